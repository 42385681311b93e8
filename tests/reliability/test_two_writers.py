"""Replayed probe: two `ragtui index` processes on one data dir. The second is told, in one
sentence, which process holds the writer lock and exits non-zero at once; the first
finishes untouched and the index is consistent.

The first run is frozen (SIGSTOP) just after it reads its first file, so it holds the
lock for as long as the test needs on any machine, then let go on (SIGCONT)."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import DEMO_CORPUS
from tests.reliability.conftest import chunk_ids, doctor, keyword_only, one_sentence, ragtui

EVERY_EVENT = (
    "import sys, ragtui.cli.common as c; c.PROGRESS_EVERY_S = 0.0; "
    "from ragtui.cli import main; sys.argv[0] = 'ragtui'; main()"
)


@pytest.mark.slow
def test_a_second_writer_is_told_who_holds_the_lock(tmp_path: Path) -> None:
    home, docs = tmp_path / "home", tmp_path / "docs"
    shutil.copytree(DEMO_CORPUS, docs)
    for n in range(40):  # enough files that the first run is still parsing when frozen
        (docs / f"note-{n}.md").write_text(f"# Note {n}\n\nfieldnote {n} about the tapir\n")
    keyword_only(home, tmp_path)
    first = subprocess.Popen(
        [sys.executable, "-c", EVERY_EVENT, "--home", str(home), "index", "--json", str(docs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert first.stderr is not None
    try:
        line = first.stderr.readline()
        while line and not (line.startswith("{") and json.loads(line)["phase"] == "parse"):
            line = first.stderr.readline()
        first.send_signal(signal.SIGSTOP)
        assert line, "the first run ended before it read a file"
        started = time.monotonic()
        second = ragtui(home, "index", "--json", str(docs), timeout=60)
        waited = time.monotonic() - started
    finally:
        first.send_signal(signal.SIGCONT)
    out, err = first.communicate(timeout=120)

    assert second.returncode != 0 and second.stdout == ""
    [message] = second.stderr.strip().splitlines()
    assert one_sentence(message) and "Traceback" not in second.stderr
    assert re.search(
        rf"Another ragtui process \(pid {first.pid}\) is writing the index in "
        rf"{re.escape(str(home / 'data'))}: wait for it to finish or stop it, "
        r"then try again\.",
        message,
    ), message
    assert waited < 30  # told at once, not queued behind the first run

    assert first.returncode == 0, err
    report = json.loads(out)
    assert (report["added"], report["failed"]) == (49, 0)
    final = doctor(home)
    assert final["consistent"] and not final["problems"], final
    ids = chunk_ids(home)
    assert len(ids) == len(set(ids)) == final["keywords"]["chunks"]
    after = ragtui(home, "index", "--json", str(docs))
    assert after.returncode == 0 and json.loads(after.stdout)["unchanged"] == 49
