"""Which files a scan sees: hidden, .gitignore, globs, symlink loops, the data dir."""

from __future__ import annotations

import os
from pathlib import Path

from ragtui.config import IngestSettings
from ragtui.core.ingest.scan import scan


def _tree(root: Path) -> None:
    files = {
        "a.md": "a",
        "sub/b.txt": "b",
        ".hidden/c.md": "c",
        ".secret.md": "s",
        "build/out.txt": "o",
        "sub/.gitignore": "*.log\n",
        "sub/x.log": "l",
        "sub/keep.log.md": "k",
        "notes/draft.tmp": "t",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / ".gitignore").write_text("build/\n")


def _names(root: Path, settings: IngestSettings, exclude: tuple[Path, ...] = ()) -> set[str]:
    return {Path(e.path).relative_to(root).as_posix() for e in scan(root, settings, exclude)}


def test_hidden_gitignore_and_globs(tmp_path: Path) -> None:
    _tree(tmp_path)
    seen = _names(tmp_path, IngestSettings(ignore=["*.tmp"]))
    assert seen == {"a.md", "sub/b.txt", "sub/keep.log.md"}


def test_switches_turn_rules_off(tmp_path: Path) -> None:
    _tree(tmp_path)
    seen = _names(tmp_path, IngestSettings(include_hidden=True, respect_gitignore=False))
    assert {".hidden/c.md", ".secret.md", "build/out.txt", "sub/x.log", "notes/draft.tmp"} <= seen


def test_symlink_loop_is_cut_and_linked_folder_seen_once(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "n.md").write_text("n")
    os.symlink(tmp_path, tmp_path / "docs" / "loop")
    os.symlink(tmp_path / "docs", tmp_path / "alias")
    seen = _names(tmp_path, IngestSettings())
    assert sum(1 for s in seen if s.endswith("n.md")) == 1


def test_a_link_loop_and_a_pipe_are_named_for_what_they_are(tmp_path: Path) -> None:
    (tmp_path / "a.md").symlink_to(tmp_path / "b.md")
    (tmp_path / "b.md").symlink_to(tmp_path / "a.md")
    os.mkfifo(tmp_path / "pipe.md")
    told: list[tuple[str, str]] = []
    assert (
        list(scan(tmp_path, IngestSettings(), skipped=lambda p, why: told.append((p, why)))) == []
    )  # the pipe is left out quietly when walking
    assert [(Path(p).name, "leads back to itself" in why) for p, why in told] == [
        ("a.md", True),
        ("b.md", True),
    ]
    told.clear()
    assert (
        list(
            scan(
                tmp_path / "pipe.md", IngestSettings(), skipped=lambda p, why: told.append((p, why))
            )
        )
        == []
    )
    assert told == [
        (
            str(tmp_path / "pipe.md"),
            "is a pipe, socket or device, not a file: ragtui reads regular files only",
        )
    ]


def test_excluded_folder_is_never_entered(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "catalog.md").write_text("x")
    (tmp_path / "doc.md").write_text("y")
    assert _names(tmp_path, IngestSettings(), (tmp_path / "data",)) == {"doc.md"}


def test_a_single_file_root(tmp_path: Path) -> None:
    (tmp_path / "one.md").write_text("1")
    (entry,) = scan(tmp_path / "one.md", IngestSettings())
    assert entry.path == str(tmp_path / "one.md") and entry.size == 1


def test_rules_answer_for_single_paths(tmp_path: Path) -> None:
    from ragtui.core.ingest.scan import IgnoreRules

    _tree(tmp_path)
    rules = IgnoreRules(tmp_path, IngestSettings(ignore=["*.tmp"]))
    assert not rules.ignored(tmp_path / "sub" / "b.txt")
    assert rules.ignored(tmp_path / "sub" / "x.log")
    assert rules.ignored(tmp_path / "build" / "out.txt")
    assert rules.ignored(tmp_path / ".hidden" / "c.md")
    assert rules.ignored(tmp_path / "notes" / "draft.tmp")
    assert rules.ignored(tmp_path.parent / "elsewhere.md")
    (tmp_path / "sub" / ".gitignore").write_text("b.txt\n")
    assert rules.ignored(tmp_path / "sub" / "b.txt"), "an edited .gitignore is re-read"
