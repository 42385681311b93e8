"""`ragtui index` without a terminal reports progress on stderr every few seconds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ragtui.cli import app
from ragtui.cli import common as cli_common


@pytest.fixture
def indexed_quickly(
    ragtui_home: Path, tmp_path: Path, demo_docs: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Keyword only (no model) and a line for every progress event."""
    config = ragtui_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[embedding]\nmodel_dir = "{tmp_path / "no-model"}"\n')
    monkeypatch.setattr(cli_common, "PROGRESS_EVERY_S", 0.0)
    assert CliRunner().invoke(app, ["add", str(demo_docs)]).exit_code == 0
    return demo_docs


def test_progress_lines_go_to_stderr_when_it_is_not_a_terminal(indexed_quickly: Path) -> None:
    result = CliRunner().invoke(app, ["index"])
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("index: ")]
    assert lines and lines[-1].startswith("index: parse · files 9/9 · chunks embedded 0/0 · ")
    assert "files/s" in lines[-1] and "index:" not in result.stdout


def test_progress_is_json_lines_with_json(indexed_quickly: Path) -> None:
    result = CliRunner().invoke(app, ["index", "--json"])
    assert result.exit_code == 0, result.output
    events = [json.loads(ln) for ln in result.stderr.splitlines() if ln.startswith("{")]
    assert events[-1] | {"rate": 0, "elapsed_s": 0} == {
        "phase": "parse",
        "files_done": 9,
        "files_total": 9,
        "chunks_embedded": 0,
        "chunks_total": 0,
        "rate": 0,
        "unit": "files/s",
        "elapsed_s": 0,
    }
    assert json.loads(result.stdout)["added"] == 9
