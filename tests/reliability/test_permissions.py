"""The data and config dirs are readable by their owner only, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ragtui.cli import app
from ragtui.core import privacy, system_checks
from ragtui.core.engine import create_engine

SHARED = stat.S_IRWXG | stat.S_IRWXO


@pytest.fixture(autouse=True)
def loose_umask() -> Iterator[None]:
    """Start each test with the common umask 022 and put the real one back after."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _shared(root: Path) -> list[str]:
    found = [root, *root.rglob("*")]
    return [str(p) for p in found if not p.is_symlink() and p.stat().st_mode & SHARED]


def test_a_new_data_dir_and_everything_in_it_is_private(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "note.md").write_text("# Note\n\nprivate thoughts\n")
    engine = create_engine()
    engine.add_folder(docs)
    engine.index([docs], embed=False)
    engine.conversations  # noqa: B018 - creates conversations.sqlite
    engine.close()
    assert stat.S_IMODE(engine.data_dir.stat().st_mode) == 0o700
    assert (engine.data_dir / "catalog.sqlite").is_file() and (engine.data_dir / "tantivy").is_dir()
    assert _shared(engine.data_dir) == []


def test_an_old_readable_data_dir_is_made_private_on_start(ragtui_home: Path) -> None:
    data, config = ragtui_home / "data", ragtui_home / "config"
    (data / "logs").mkdir(parents=True)
    config.mkdir()
    for path in (data / "catalog.sqlite", data / "logs" / "ragtui.log", config / "config.toml"):
        path.write_text("")
        path.chmod(0o644)
    for folder in (data, data / "logs", config):
        folder.chmod(0o755)
    create_engine().close()
    assert _shared(data) == [] and _shared(config) == []


def test_doctor_reports_and_repairs_readable_files(tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir(mode=0o700)
    (root / "traces.sqlite").write_text("")
    (root / "traces.sqlite").chmod(0o644)
    first = system_checks.privacy_check(root)
    assert first.status == "warn" and "1 files or folders" in first.detail
    assert system_checks.privacy_check(root).status == "ok"
    assert privacy.exposed(root) == []


def test_home_that_is_a_file_is_one_sentence(tmp_path: Path) -> None:
    home = tmp_path / "home-file"
    home.write_text("not a folder")
    result = CliRunner().invoke(app, ["--home", str(home), "folders"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "is a file, not a folder" in lines[0] and "Traceback" not in lines[0]
