"""Replayed probes: links that loop or lead nowhere, a folder linking to its parent, and
files that are not files (a FIFO, a socket). None stops or stalls `ragtui index`; the
demo notes are indexed once each and `ragtui doctor --json` finds the index consistent."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ragtui.core.engine import create_engine
from tests.reliability.conftest import cli, doctor, keyword_only, ragtui

DEMO_FILES = 9


def _indexed_once(home: Path | None = None) -> dict[str, Any]:
    """Index the registered demo notes (in this process or as a process over ``home``)."""
    if home is None:
        result = cli("index", "--json")
        assert result.exit_code == 0 and "Traceback" not in result.output, result.output
        return dict(json.loads(result.stdout))
    done = ragtui(home, "index", "--json", timeout=60)  # a blocked open fails, not hangs
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return dict(json.loads(done.stdout))


def _consistent(home: Path | None = None) -> None:
    report = doctor(home)
    assert report["consistent"] and not report["problems"] and not report["failed_files"], report


def _paths() -> list[str]:
    return sorted(f.path for f in create_engine().files())


def test_a_symlink_loop_is_skipped_with_its_reason(
    ragtui_home: Path, tmp_path: Path, demo_docs: Path
) -> None:
    keyword_only(ragtui_home, tmp_path)
    (demo_docs / "loop-a.md").symlink_to(demo_docs / "loop-b.md")
    (demo_docs / "loop-b.md").symlink_to(demo_docs / "loop-a.md")
    assert cli("add", str(demo_docs)).exit_code == 0
    report = _indexed_once()
    assert (report["added"], report["failed"], report["skipped"]) == (DEMO_FILES, 0, 2)
    assert [(Path(s["path"]).name, s["reason"]) for s in report["skips"]] == [
        (
            name,
            "is a symbolic link that leads back to itself: fix or remove the link, or "
            "add it to ingest.ignore",
        )
        for name in ("loop-a.md", "loop-b.md")
    ]
    _consistent()


def test_a_dangling_symlink_is_left_out(ragtui_home: Path, tmp_path: Path, demo_docs: Path) -> None:
    keyword_only(ragtui_home, tmp_path)
    (demo_docs / "gone.md").symlink_to(tmp_path / "deleted-long-ago.md")
    assert cli("add", str(demo_docs)).exit_code == 0
    report = _indexed_once()
    assert (report["added"], report["failed"], report["skipped"]) == (DEMO_FILES, 0, 0)
    assert str(demo_docs / "gone.md") not in _paths()
    (tmp_path / "deleted-long-ago.md").write_text("# Back\n\nthe link works again: dugong\n")
    again = _indexed_once()
    assert again["added"] == 1
    hits = json.loads(cli("search", "dugong", "--mode", "bm25", "--json").stdout)["hits"]
    assert hits[0]["path"] == str(demo_docs / "gone.md")
    _consistent()


def test_a_folder_linking_to_its_parent_is_walked_once(
    ragtui_home: Path, tmp_path: Path, demo_docs: Path
) -> None:
    keyword_only(ragtui_home, tmp_path)
    (demo_docs / "sub").mkdir()
    (demo_docs / "sub" / "inner.md").write_text("# Inner\n\nan inner note on the gecko\n")
    (demo_docs / "sub" / "up").symlink_to("..")
    (demo_docs / "sub" / "itself").symlink_to(".")
    assert cli("add", str(demo_docs)).exit_code == 0
    report = _indexed_once()
    assert (report["added"], report["failed"], report["skipped"]) == (DEMO_FILES + 1, 0, 0)
    assert not any("/up/" in p or "/itself/" in p for p in _paths())
    hits = json.loads(cli("search", "gecko", "--mode", "bm25", "--json").stdout)["hits"]
    assert [h["path"] for h in hits] == [str(demo_docs / "sub" / "inner.md")]
    _consistent()


@pytest.fixture
def unix_socket(demo_docs: Path) -> Iterator[Path]:
    path = demo_docs / "server.md"
    if len(os.fsencode(path)) > 100:
        pytest.skip("the path is too long for a Unix socket")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    yield path
    server.close()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["fifo", "socket"])
def test_a_fifo_or_socket_is_never_opened(
    kind: str, tmp_path: Path, demo_docs: Path, request: pytest.FixtureRequest
) -> None:
    """Opening a FIFO for reading blocks until a writer comes: the run must not wait."""
    home = tmp_path / "proc-home"
    keyword_only(home, tmp_path)
    if kind == "fifo":
        special = demo_docs / "pipe.md"
        os.mkfifo(special)
    else:
        special = request.getfixturevalue("unix_socket")
    assert ragtui(home, "add", str(demo_docs)).returncode == 0
    report = _indexed_once(home)
    assert (report["added"], report["failed"], report["skipped"]) == (DEMO_FILES, 0, 0)
    alone = ragtui(home, "index", "--json", str(special), timeout=60)
    assert alone.returncode == 0, alone.stderr
    assert json.loads(alone.stdout)["skips"] == [
        {
            "path": str(special),
            "reason": "is a pipe, socket or device, not a file: ragtui reads regular files only",
        }
    ]
    _consistent(home)
