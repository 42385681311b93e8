"""kill -9 at random points of indexing and watching; the indexes must agree again after."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import DEMO_CORPUS

pytestmark = pytest.mark.slow
RAGTUI = [sys.executable, "-m", "ragtui"]


def _corpus(root: Path, shared_data: Path, files: int) -> None:
    shutil.copytree(DEMO_CORPUS, root)
    pages = sorted((shared_data / "personal-docs/github/tldr-pages/pages/common").glob("*.md"))
    target = root / "tldr"
    target.mkdir()
    for page in pages[:files]:
        shutil.copy(page, target / page.name)


def _ragtui(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*RAGTUI, "--home", str(home), *args], capture_output=True, text=True, timeout=600
    )


def _doctor(home: Path) -> dict[str, object]:
    result = _ragtui(home, "doctor", "--json")
    return dict(json.loads(result.stdout))


def _chunk_ids(home: Path) -> set[str]:
    import sqlite3

    with sqlite3.connect(home / "data" / "catalog.sqlite") as db:
        return {r[0] for r in db.execute("SELECT chunk_id FROM chunks")}


def _kill_after(cmd: list[str], seconds: float) -> int | None:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return None


def test_sigkill_during_indexing_then_restart_is_consistent(
    tmp_path: Path, shared_data: Path
) -> None:
    docs, home = tmp_path / "docs", tmp_path / "home"
    _corpus(docs, shared_data, 250)
    assert _ragtui(home, "add", str(docs)).returncode == 0
    rng = random.Random(int(os.environ.get("RAGTUI_CRASH_SEED", "2026")))
    killed = 0
    for round_ in range(6):
        if round_:  # change the tree between crashes: edits, deletions, new files
            pages = sorted((docs / "tldr").glob("*.md"))
            for page in rng.sample(pages, 5):
                page.write_text(page.read_text() + f"\n- round {round_} edit\n")
            for page in rng.sample(pages, 3):
                page.unlink()
            (docs / f"new-{round_}.md").write_text(f"# New {round_}\n\nfresh note {round_}\n")
        if _kill_after([*RAGTUI, "--home", str(home), "index"], rng.uniform(1.5, 9.0)) is None:
            killed += 1
        report = _doctor(home)
        assert report["consistent"], (round_, report)
    assert killed >= 3, "the test must actually interrupt runs"
    assert _ragtui(home, "index").returncode == 0
    final = _doctor(home)
    assert final["consistent"], final
    catalog = final["catalog"]
    assert isinstance(catalog, dict) and catalog["embedded"] == catalog["chunks"]
    clean = tmp_path / "clean-home"
    _ragtui(clean, "add", str(docs))
    assert _ragtui(clean, "index").returncode == 0
    assert _chunk_ids(home) == _chunk_ids(clean), "no duplicate, missing or orphaned chunk"


def test_sigkill_during_watch_then_restart_is_consistent(tmp_path: Path, shared_data: Path) -> None:
    docs, home = tmp_path / "docs", tmp_path / "home"
    _corpus(docs, shared_data, 30)
    _ragtui(home, "add", str(docs))
    assert _ragtui(home, "index").returncode == 0
    watcher = subprocess.Popen(
        [*RAGTUI, "--home", str(home), "watch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(4.0)
        burst = docs / "burst"
        burst.mkdir()
        for i in range(150):
            (burst / f"n{i}.md").write_text(f"# N{i}\n\nwatched marker{i}\n")
        time.sleep(2.5)
    finally:
        watcher.send_signal(signal.SIGKILL)
        watcher.wait()
    assert _doctor(home)["consistent"]
    assert _ragtui(home, "index").returncode == 0
    final = _doctor(home)
    assert final["consistent"], final
    clean = tmp_path / "clean-home"
    _ragtui(clean, "add", str(docs))
    _ragtui(clean, "index")
    assert _chunk_ids(home) == _chunk_ids(clean)
