"""Walking folders: which files exist, minus hidden, ignored, oversized and looping paths."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

from ragtui.config import IngestSettings


@dataclass(frozen=True, slots=True)
class ScanEntry:
    """A candidate file and its stat figures."""

    path: str
    size: int
    mtime_ns: int


class _Rules:
    """A stack of .gitignore specs plus the configured globs, applied to paths under a root."""

    def __init__(self, root: Path, settings: IngestSettings) -> None:
        self.settings = settings
        self.user = pathspec.GitIgnoreSpec.from_lines(settings.ignore) if settings.ignore else None
        self.root = root
        self.gitignores: list[tuple[Path, pathspec.GitIgnoreSpec]] = []

    def enter(self, directory: Path) -> int:
        """Load ``directory``'s .gitignore; returns how many specs to pop on leaving."""
        if not self.settings.respect_gitignore:
            return 0
        try:
            lines = (directory / ".gitignore").read_text(errors="replace").splitlines()
        except OSError:
            return 0
        self.gitignores.append((directory, pathspec.GitIgnoreSpec.from_lines(lines)))
        return 1

    def ignored(self, path: Path, is_dir: bool) -> bool:
        """Whether a path is excluded by hidden-file rules, globs or .gitignore."""
        if not self.settings.include_hidden and path.name.startswith("."):
            return True
        suffix = "/" if is_dir else ""
        if self.user is not None:
            rel = path.relative_to(self.root).as_posix() + suffix
            if self.user.match_file(rel):
                return True
        for base, spec in self.gitignores:
            if spec.match_file(path.relative_to(base).as_posix() + suffix):
                return True
        return False


def scan(
    root: Path, settings: IngestSettings, exclude: tuple[Path, ...] = ()
) -> Iterator[ScanEntry]:
    """Every file under ``root`` (or ``root`` itself if it is a file) that ingest should see.

    Symlinked folders are followed once (loops cut by real path); ``exclude``
    folders (ragtui's own data dir) are never entered.
    """
    if root.is_file():
        st = root.stat()
        yield ScanEntry(str(root), st.st_size, st.st_mtime_ns)
        return
    rules = _Rules(root, settings)
    seen: set[str] = set()
    excluded = {os.path.realpath(p) for p in exclude}
    yield from _walk(root, rules, seen, excluded)


def _walk(
    directory: Path, rules: _Rules, seen: set[str], excluded: set[str]
) -> Iterator[ScanEntry]:
    real = os.path.realpath(directory)
    if real in seen or real in excluded:
        return
    seen.add(real)
    pushed = rules.enter(directory)
    try:
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            return
        subdirs: list[Path] = []
        for entry in entries:
            path = Path(entry.path)
            try:
                if entry.is_dir(follow_symlinks=rules.settings.follow_symlinks):
                    if not rules.ignored(path, True):
                        subdirs.append(path)
                    continue
                if not entry.is_file(follow_symlinks=True) or rules.ignored(path, False):
                    continue
                st = entry.stat(follow_symlinks=True)
            except OSError:
                continue
            yield ScanEntry(entry.path, st.st_size, st.st_mtime_ns)
        for sub in subdirs:
            yield from _walk(sub, rules, seen, excluded)
    finally:
        for _ in range(pushed):
            rules.gitignores.pop()
