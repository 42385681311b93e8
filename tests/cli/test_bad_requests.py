"""Requests the user can get wrong end in one sentence, never a traceback or odd hits."""

from __future__ import annotations

import errno
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ragtui import cli
from ragtui.core.engine import Engine

runner = CliRunner()


def _one_sentence(args: list[str], needle: str) -> None:
    result = runner.invoke(cli.app, args)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1, (args, result.output, result.exception)
    assert len(lines) == 1 and needle in lines[0], (args, lines)


@pytest.mark.parametrize("k", ["-1", "0", "1001", "100000000000000000000"])
def test_k_out_of_range(k: str) -> None:
    _one_sentence(["search", "belt", "-k", k], "k must be from 1 to 1000")
    _one_sentence(["ask", "belt?", "-k", k], "k must be from 1 to 1000")


@pytest.mark.parametrize("query", ["", "   ", "\t\n"])
def test_empty_query(query: str) -> None:
    _one_sentence(["search", query], "The query is empty")
    _one_sentence(["ask", query], "The question is empty")


def test_undecodable_query_bytes_are_replaced(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "n.md").write_text("# Note\n\ncaf\u00e9 quokka\n")
    engine = _engine()
    engine.add_folder(docs)
    engine.index([docs], embed=False)
    result = engine.search("quokka caf\udce9 \udcff", mode="bm25")
    assert result.query == "quokka caf\ufffd \ufffd" and result.hits
    engine.close()


def _engine() -> Engine:
    from ragtui.core.engine import create_engine

    return create_engine()


@pytest.mark.parametrize(
    "exc",
    [
        OSError(errno.ENOSPC, "No space left on device"),
        sqlite3.OperationalError("database or disk is full"),
    ],
)
def test_full_disk_is_one_sentence(
    exc: Exception, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def index(self: Engine, *args: object, **kwargs: object) -> None:
        raise exc

    monkeypatch.setattr(Engine, "index", index)
    _one_sentence(["index", str(tmp_path)], "disk holding ragtui's data dir is full")


def test_full_disk_outside_a_command_is_one_sentence(tmp_path: Path) -> None:
    code = (
        "import errno, ragtui.cli.root as c\n"
        "def boom(*a, **k): raise OSError(errno.ENOSPC, 'No space left on device')\n"
        "c.app = boom\nc.main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "is full" in result.stderr and len(result.stderr.strip().splitlines()) == 1
