"""A floor under answer quality on real documents: a slice of the real-documents set
(assets/realdocs), asked of the real default models over the files it needs.

The slice is every other answerable question about the Rust book, the tldr pages and
The Devil's Dictionary (the files in ../shared/data/personal-docs, not the Debian manuals,
which need a download), over the first source of each, and four on-topic questions those
files do not answer. Greedy decoding makes the figures repeatable; the floors sit two
questions below what the slice measured, so a change that loses three right answers or
three abstentions fails. An answer the small model began to loop must have been cut by the
guard and shown as its quoted evidence.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ragtui.core.engine import Engine, create_engine
from tests.bench.realdocs import SET, ask_case

pytestmark = pytest.mark.slow

_UNANSWERABLE = {"rd-073", "rd-075", "rd-077", "rd-088"}
_MIN_RIGHT = 10 / 18  # measured 12 of 18 with both the AVX2 and the AVX-512 build
_MIN_ABSTAINED = 2 / 4  # measured 4 of 4
_MAX_LOOPED = 3  # measured 0 and 1 of 22 (the AVX2 and AVX-512 builds round differently)


def _slice() -> list[dict[str, object]]:
    cases = [json.loads(line) for line in (SET / "questions.jsonl").open()]
    answerable = [c for c in cases if c["answerable"] and int(c["id"][3:]) <= 36]
    return answerable[::2] + [c for c in cases if c["id"] in _UNANSWERABLE]


@pytest.fixture(scope="module")
def engine(
    shared_data: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Engine, Path]]:
    home = tmp_path_factory.mktemp("realdocs-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAGTUI_HOME", str(home))
        docs = home / "docs"
        for case in _slice():
            for source in case["expected_sources"][:1]:  # type: ignore[index]
                target = docs / str(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(shared_data / str(source), target)
        eng = create_engine()
        eng.add_folder(docs)
        eng.index()
        yield eng, docs
        eng.close()


def test_a_slice_of_real_document_questions_stays_above_its_floor(
    engine: tuple[Engine, Path],
) -> None:
    eng, docs = engine
    rows = [ask_case(eng, case, docs) for case in _slice()]
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    right = sum(r["right"] for r in answerable) / len(answerable)
    abstained = sum(r["abstained"] for r in unanswerable) / len(unanswerable)
    summary = [(r["id"], r["right"], r["abstained"]) for r in rows]
    looped = [r for r in rows if r["looped"]]  # the guard cut them: quoted evidence shown
    print(f"right {right:.3f}, abstained {abstained:.3f}, looped {len(looped)}")
    assert right >= _MIN_RIGHT, summary
    assert abstained >= _MIN_ABSTAINED, summary
    assert len(looped) <= _MAX_LOOPED, summary
    assert all(r["quoted"] and len(r["answer"].split()) <= 80 for r in looped), looped
    assert all(r["evidence"] for r in answerable if not r["abstained"]), summary
