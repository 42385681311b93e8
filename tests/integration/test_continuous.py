"""Continuous evaluation on real components: the demo corpus indexed with the real embedding
model, the set drawn and run through the real pipeline (a scripted model in the fast test,
the bundled GGUF in the slow one), cancelled and resumed, re-run when a setting or the
corpus changes, and the trend compared."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ragtui.cli import app
from ragtui.config import load_settings
from ragtui.core import prompts
from ragtui.core.engine import Engine, create_engine
from ragtui.core.generate import Generation
from tests.conftest import DEMO_CORPUS, install_bundled
from tests.fakes import Scripted

_WORD = re.compile(r"[A-Za-z]{6,}")


class Writer(Scripted):
    """A scripted model: writes a question from a passage's long words, and answers with a
    fixed sentence, token by token (a set cancel stops it at the next token)."""

    def __init__(self) -> None:
        super().__init__()
        self.question_prefix = prompts.load("question").prefix

    def generate(self, prefix: str, rest: str, **options: Any) -> Generation:
        if prefix == self.question_prefix:
            words = list(dict.fromkeys(_WORD.findall(rest)))[-4:]
            self.text = f"What do the notes say about {' and '.join(words)}?"
        else:
            self.text = "The timing belt is replaced at 45,000 miles [1]."
        return super().generate(prefix, rest, **options)


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> Writer:
    writer = Writer()
    monkeypatch.setattr("ragtui.core.generate.open_backend", lambda *a, **k: writer)
    return writer


@pytest.fixture
def docs(tmp_path: Path, bundled_models: dict[str, Path], ragtui_home: Path) -> Path:
    install_bundled(bundled_models, ragtui_home)
    config = ragtui_home / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[eval]\ncontinuous_cases = 3\ncontinuous_idle_s = 0\n")
    target = tmp_path / "docs"
    shutil.copytree(DEMO_CORPUS, target)
    return target


@pytest.fixture
def engine(docs: Path) -> Iterator[Engine]:
    eng = create_engine()
    eng.add_folder(docs)
    eng.index()
    yield eng
    eng.close()


def test_draw_cancel_resume_and_rerun_on_change(
    engine: Engine, docs: Path, scripted: Writer
) -> None:
    status = engine.continuous.status()
    assert status.due and status.regenerate and "no eval set yet" in status.reason

    cancel = threading.Event()

    def stop_after_first(done: int, total: int, case_id: str) -> None:
        cancel.set()

    first = engine.continuous.run(cancel, progress=stop_after_first)
    assert first.status == "interrupted" and first.set_version == 1
    assert first.name is not None and first.name.startswith("continuous-set@1-")
    kept = engine.evals.layout.evals / "continuous"
    assert (kept / "set@1.jsonl").is_file() and (kept / "set@1.json").is_file()
    assert len((kept / "set@1.jsonl").read_text().splitlines()) == 3

    status = engine.continuous.status()
    assert status.due and status.resume == first.run_id and "stopped at 1/3" in status.reason
    resumed = engine.continuous.run(threading.Event())
    assert resumed.status == "complete" and resumed.run_id == first.run_id
    run = engine.evals.get(first.run_id)
    assert len(run.cases or []) == 3 and run.config["continuous"]["reason"].startswith("no eval")
    assert run.metrics["ndcg@10"].n == 3
    assert not engine.continuous.status().due
    assert engine.continuous.run(threading.Event()).status == "not due"
    engine.close()

    changed = Engine(load_settings(retrieval={"mode": "bm25"}), engine.data_dir)
    try:
        status = changed.continuous.status()
        assert status.due and "retrieval.mode hybrid → bm25" in status.reason
        second = changed.continuous.run(threading.Event())
        assert second.status == "complete" and second.set_version == 1
        trend = changed.continuous.trend()
        assert [r.run_id for r in trend.runs] == [first.run_id, second.run_id]
        assert trend.comparison is not None and trend.comparison.cases_compared == 3
        assert trend.regressions == trend.comparison.regressions

        for name in ("a", "b", "c"):  # 3 new files on top of the 8: over the 20 % share
            (docs / f"extra-{name}.md").write_text(
                f"# Note {name}\n\nThe {name} shelf holds spare fuses.\n"
            )
        changed.index()
        status = changed.continuous.status()
        assert status.due and status.regenerate and "since set@1 was drawn" in status.reason
    finally:
        changed.close()

    result = CliRunner().invoke(app, ["eval", "continuous", "status", "--json"])
    assert result.exit_code == 0, result.stderr
    assert '"regenerate": true' in result.stdout and '"set_version": 1' in result.stdout


def test_nothing_is_written_while_an_answer_runs(engine: Engine, scripted: Writer) -> None:
    """An answer in progress holds the gate: the turn waits, then draws and runs."""
    done: list[Any] = []
    with engine.gate.answering():
        worker = threading.Thread(target=lambda: done.append(engine.continuous.run(None)))
        worker.start()
        worker.join(timeout=1.0)
        assert worker.is_alive() and scripted.calls == 0  # waiting for its turn
    worker.join(timeout=120)
    assert done and done[0].status == "complete" and scripted.calls >= 3


@pytest.mark.slow
def test_the_bundled_model_runs_two_cases(docs: Path, ragtui_home: Path) -> None:
    config = ragtui_home / "config" / "config.toml"
    config.write_text("[eval]\ncontinuous_cases = 2\ncontinuous_idle_s = 0\n")
    engine = create_engine()
    try:
        engine.add_folder(docs)
        engine.index()
        outcome = engine.continuous.run(threading.Event())
        if outcome.status == "empty":
            pytest.fail("the bundled model wrote no usable question from the demo corpus")
        assert outcome.status == "complete", outcome
        run = engine.evals.get(outcome.run_id or "")
        assert 1 <= len(run.cases or []) <= 2
        assert all(c.get("answer") is not None for c in run.cases or [])
        assert "latency_ms" in run.metrics and not engine.continuous.status().due
    finally:
        engine.close()
