"""Hostile file names and files that break a loader never stop an index run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ragtui.cli import app
from ragtui.core.engine import create_engine
from ragtui.core.ingest import loaders

BAD_NAME = b"bad\xffname.md"


def _docs(root: Path) -> str:
    """A folder with one ordinary note and one whose name is not valid UTF-8."""
    root.mkdir()
    (root / "good.md").write_text("# Good\n\nan ordinary note about otters\n")
    with open(os.path.join(os.fsencode(root), BAD_NAME), "wb") as handle:
        handle.write(b"# Bad name\n\nthe quokka lives on Rottnest Island\n")
    return os.fsdecode(os.path.join(os.fsencode(root), BAD_NAME))


def _keyword_only(home: Path, tmp_path: Path) -> None:
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[embedding]\nmodel_dir = "{tmp_path / "no-model"}"\n')


def test_a_file_name_that_is_not_utf8_is_indexed_and_kept_byte_for_byte(tmp_path: Path) -> None:
    bad = _docs(tmp_path / "docs")
    engine = create_engine()
    report = engine.index([tmp_path / "docs"], embed=False)
    assert (report.added, report.failed, report.errors) == (2, 0, [])
    hit = engine.search("quokka", mode="bm25").hits[0]
    assert hit.path == bad and os.path.exists(hit.path)
    again = engine.index([tmp_path / "docs"], embed=False)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    os.remove(bad)
    gone = engine.index([tmp_path / "docs"], embed=False)
    assert gone.removed == 1 and not engine.search("quokka", mode="bm25").hits
    engine.close()


def test_cli_indexes_and_shows_such_a_name(tmp_path: Path, ragtui_home: Path) -> None:
    bad = _docs(tmp_path / "docs")
    _keyword_only(ragtui_home, tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["add", str(tmp_path / "docs")]).exit_code == 0
    result = runner.invoke(app, ["index", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == 2
    result = runner.invoke(app, ["search", "quokka", "--mode", "bm25", "--json"])
    assert result.exit_code == 0
    assert "\\udcff" in result.stdout and json.loads(result.stdout)["hits"][0]["path"] == bad


def test_a_file_that_breaks_its_loader_is_failed_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("a.md", "boom.md", "c.md"):
        (docs / name).write_text(f"# {name}\n\nnote {name}\n")
    real = loaders.parse_bytes

    def parse(data: bytes, path: Path, **kwargs: int) -> loaders.LoadedDocument:
        if path.name == "boom.md":
            raise RuntimeError("loader bug")
        return real(data, path, **kwargs)

    monkeypatch.setattr(loaders, "parse_bytes", parse)
    engine = create_engine()
    report = engine.index([docs], embed=False)
    assert (report.added, report.failed) == (2, 1)
    path, error = report.errors[0]
    assert path.endswith("boom.md") and "loader bug" in error and "boom.md" in error
    statuses = {Path(f.path).name: f.status for f in engine.files()}
    assert statuses == {"a.md": "indexed", "boom.md": "failed", "c.md": "indexed"}
    engine.close()
