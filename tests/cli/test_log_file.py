"""Each command leaves one line in ``logs/ragtui.log``: the version and the command names."""

from __future__ import annotations

import stat
from pathlib import Path

from typer.testing import CliRunner

from ragtui import __version__, paths
from ragtui.cli import app

runner = CliRunner()


def _log() -> str:
    return paths.log_file().read_text(encoding="utf-8")


def test_a_command_writes_its_line_and_never_its_arguments(tmp_path: Path) -> None:
    assert runner.invoke(app, ["folders"]).exit_code == 0
    assert runner.invoke(app, ["eval", "list"]).exit_code == 0
    assert runner.invoke(app, ["search", "my private question"]).exit_code == 0
    lines = _log().splitlines()
    assert [line.split(" INFO ragtui: ")[1] for line in lines] == [
        f"ragtui {__version__}, command: {name}" for name in ("folders", "eval list", "search")
    ]
    assert "private" not in _log()


def test_the_log_is_private_and_doctor_names_it() -> None:
    result = runner.invoke(app, ["doctor"])
    assert f"log: {paths.log_file()}" in result.stdout
    assert stat.S_IMODE(paths.log_file().stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.logs_dir().stat().st_mode) == 0o700


def test_home_moves_the_log(tmp_path: Path) -> None:
    other = tmp_path / "other"
    assert runner.invoke(app, ["--home", str(other), "folders"]).exit_code == 0
    assert "command: folders" in (other / "data" / "logs" / "ragtui.log").read_text()
