"""kill -9 of `ragtui index` at set progress points (not at random times: each case hits
the same phase on every machine), then a restart. After it `ragtui doctor --json` finds
the indexes consistent, every chunk is embedded once, and the catalog holds exactly the
chunks a clean index of the same files holds: none lost, none twice.

The kill follows the JSON progress lines the run writes on stderr (one per event here), so
it lands just after that point, while the run goes on with the next file or batch."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEMO_CORPUS, install_bundled
from tests.reliability.conftest import chunk_ids, doctor, ragtui, write_config

pytestmark = pytest.mark.slow

TLDR_PAGES = 30
EMBED_BATCH = 16
# python -m ragtui, with a progress line for every event instead of every 5 s
EVERY_EVENT = (
    "import sys, ragtui.cli.common as c; c.PROGRESS_EVERY_S = 0.0; "
    "from ragtui.cli import main; sys.argv[0] = 'ragtui'; main()"
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    root = tmp_path_factory.mktemp("kill-corpus") / "docs"
    shutil.copytree(DEMO_CORPUS, root)
    pages = sorted((shared_data / "personal-docs/github/tldr-pages/pages/common").glob("*.md"))
    (root / "tldr").mkdir()
    for page in pages[:TLDR_PAGES]:
        shutil.copy(page, root / "tldr" / page.name)
    return root


@pytest.fixture(scope="module")
def clean_chunks(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Chunk ids of an uninterrupted index (they depend on the text only, so keyword only)."""
    home = tmp_path_factory.mktemp("clean-home")
    write_config(home, f'[embedding]\nmodel_dir = "{home / "no-model"}"\n')
    done = ragtui(home, "index", "--json", str(corpus))
    assert done.returncode == 0, done.stderr
    ids = chunk_ids(home)
    assert len(ids) == len(set(ids)) > TLDR_PAGES
    return ids


def _kill_at(home: Path, docs: Path, phase: str, fraction: float) -> dict[str, object]:
    """Run `ragtui index DOCS`; SIGKILL it at the first ``phase`` event at or past ``fraction``
    of that phase's total. Returns the event it was killed at."""
    proc = subprocess.Popen(
        [sys.executable, "-c", EVERY_EVENT, "--home", str(home), "index", "--json", str(docs)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    try:
        for line in proc.stderr:
            if not line.startswith("{"):
                continue
            event = json.loads(line)
            done, total = (
                (event["files_done"], event["files_total"])
                if phase == "parse"
                else (event["chunks_embedded"], event["chunks_total"])
            )
            if event["phase"] == phase and total and done >= fraction * total:
                proc.send_signal(signal.SIGKILL)
                return dict(event)
    finally:
        proc.kill()
        proc.wait(timeout=60)
    raise AssertionError(f"the run ended (exit {proc.returncode}) before {phase} {fraction}")


@pytest.mark.parametrize(
    ("phase", "fraction"),
    [
        ("parse", 0.0),  # the first file read: its batch not yet flushed
        ("parse", 0.5),  # a batch in the catalog and Tantivy, the rest not read
        ("parse", 1.0),  # the last file read, the final flush under way
        ("embed", 0.0),  # the first vectors written to LanceDB
        ("embed", 0.6),  # part of the vectors written, the rest pending
    ],
    ids=["first-file", "mid-parse", "last-file", "first-vectors", "mid-embed"],
)
def test_sigkill_at_a_progress_point_then_restart(
    phase: str,
    fraction: float,
    ragtui_home: Path,
    corpus: Path,
    clean_chunks: list[str],
    bundled_models: dict[str, Path],
) -> None:
    home = ragtui_home  # the killed run's home is this process's too: doctor runs here
    install_bundled(bundled_models, home)
    write_config(home, f"[index]\nembed_batch_chunks = {EMBED_BATCH}\n")
    _kill_at(home, corpus, phase, fraction)
    interrupted = doctor()
    assert interrupted["consistent"], interrupted  # repaired on opening, if need be

    restart = ragtui(home, "index", "--json", str(corpus), timeout=300)
    assert restart.returncode == 0, restart.stderr
    report = json.loads(restart.stdout)
    assert report["failed"] == 0 and report["embedded_fraction"] == 1.0, report
    final = doctor()
    assert final["consistent"] and not final["problems"], final
    catalog, vectors = final["catalog"], final["vectors"]
    assert catalog["embedded"] == catalog["chunks"] == len(clean_chunks) == vectors["rows"]
    assert (vectors["duplicates"], vectors["orphans"], vectors["missing"]) == (0, 0, 0)
    assert final["keywords"]["chunks"] == len(clean_chunks)
    assert chunk_ids(home) == clean_chunks, "no duplicate, missing or orphaned chunk"
