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


def test_a_symlink_out_of_the_folder_is_not_followed_when_links_are_off(tmp_path: Path) -> None:
    from ragtui.config import load_settings

    secret = tmp_path / "outside" / "passwd.txt"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0:secret wallaby\n")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "inside.txt").write_text("an inside note\n")
    (docs / "passwd.txt").symlink_to(secret)
    (docs / "again.txt").symlink_to(docs / "inside.txt")
    engine = create_engine(load_settings(ingest={"follow_symlinks": False}))
    report = engine.index([docs], embed=False)
    assert not engine.search("wallaby", mode="bm25").hits
    assert [(Path(p).name, "outside its folder" in why) for p, why in report.skips] == [
        ("passwd.txt", True)
    ]
    assert report.added == 2  # a link that stays inside the folder is fine
    engine.close()


def test_unreadable_folders_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = tmp_path / "docs"
    (docs / "locked").mkdir(parents=True)
    (docs / "locked" / "x.md").write_text("# X\n\nhidden\n")
    (docs / "open.md").write_text("# Open\n\nvisible\n")
    real = os.scandir

    def scandir(path: str | os.PathLike[str]) -> object:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    engine = create_engine()
    report = engine.index([docs], embed=False)
    assert report.added == 1 and report.skipped == 1
    path, why = report.skips[0]
    assert path.endswith("locked") and "Permission denied" in why and "ingest.ignore" in why
    engine.close()


def test_binary_files_are_skipped_with_reasons_on_every_run(
    tmp_path: Path, ragtui_home: Path
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)))
    (docs / "blob.txt").write_bytes(b"\x00\x01\x02binary\x00" * 50)
    _keyword_only(ragtui_home, tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["add", str(docs)]).exit_code == 0
    first = runner.invoke(app, ["index"])
    second = runner.invoke(app, ["index"])
    for result in (first, second):
        assert result.exit_code == 0 and "skipped 2" in result.stdout
        assert "clip.mp4: not a document type" in result.stderr
        assert "blob.txt: " in result.stderr
    report = json.loads(runner.invoke(app, ["index", "--json"]).stdout)
    assert report["skipped"] == 2 and {Path(s["path"]).name for s in report["skips"]} == {
        "clip.mp4",
        "blob.txt",
    }
