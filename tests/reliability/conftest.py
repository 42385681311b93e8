"""Helpers shared by the fault-injection tests: the CLI in-process and as a real process,
keyword-only settings, and what ``ragtui doctor --json`` and the catalog say."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from ragtui.cli import app

RAGTUI = [sys.executable, "-m", "ragtui"]


def cli(*args: str) -> Result:
    """``ragtui ARGS`` in this process (RAGTUI_HOME is the test's own)."""
    return CliRunner().invoke(app, list(args))


def ragtui(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``ragtui --home HOME ARGS`` as its own process (a hang fails the test, not the run)."""
    return subprocess.run(
        [*RAGTUI, "--home", str(home), *args], capture_output=True, text=True, timeout=timeout
    )


def write_config(home: Path, text: str) -> None:
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text)


def keyword_only(home: Path, tmp_path: Path, extra: str = "") -> None:
    """No embedding model: indexing is fast and searches are BM25."""
    write_config(home, f'{extra}[embedding]\nmodel_dir = "{tmp_path / "no-model"}"\n')


def doctor(home: Path | None = None) -> dict[str, Any]:
    """``ragtui doctor --json``: in this process, or as a process over ``home``."""
    if home is None:
        result = cli("doctor", "--json")
        assert "Traceback" not in result.output, result.output
        return dict(json.loads(result.stdout))
    done = ragtui(home, "doctor", "--json")
    assert "Traceback" not in done.stderr, done.stderr
    return dict(json.loads(done.stdout))


def chunk_ids(home: Path) -> list[str]:
    """Every chunk id in the catalog, duplicates kept."""
    with sqlite3.connect(home / "data" / "catalog.sqlite") as db:
        return sorted(r[0] for r in db.execute("SELECT chunk_id FROM chunks"))


def one_sentence(message: str) -> bool:
    """A message a user can read: one line, no traceback, ends like a sentence."""
    return (
        "\n" not in message.strip()
        and "Traceback" not in message
        and (message.rstrip().endswith("."))
    )


@pytest.fixture
def keyword_home(ragtui_home: Path, tmp_path: Path) -> Path:
    """This test's home with keyword-only settings (files over 1 MB are refused)."""
    keyword_only(ragtui_home, tmp_path, "[ingest]\nmax_file_mb = 1\n\n")
    return ragtui_home
