"""Walking folders: which files exist, minus hidden, ignored, oversized and looping paths."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

from ragtui.config import IngestSettings

SkipFn = Callable[[str, str], None]
"""Told (path, reason) of what a walk could not or would not look at."""

NOT_A_FILE = "is a pipe, socket or device, not a file: ragtui reads regular files only"
LINK_LOOP = (
    "is a symbolic link that leads back to itself: fix or remove the link, or add "
    "it to ingest.ignore"
)


@dataclass(frozen=True, slots=True)
class ScanEntry:
    """A candidate file and its stat figures."""

    path: str
    size: int
    mtime_ns: int


class IgnoreRules:
    """Hidden-file rules, configured globs and .gitignore files, for paths under one root."""

    def __init__(self, root: Path, settings: IngestSettings) -> None:
        self.root = root
        self.settings = settings
        self.user = pathspec.GitIgnoreSpec.from_lines(settings.ignore) if settings.ignore else None
        self._gitignores: dict[Path, tuple[int, pathspec.GitIgnoreSpec | None]] = {}

    def _gitignore(self, directory: Path) -> pathspec.GitIgnoreSpec | None:
        """The directory's .gitignore (re-read when it changes)."""
        if not self.settings.respect_gitignore:
            return None
        file = directory / ".gitignore"
        try:
            mtime = file.stat().st_mtime_ns
        except OSError:
            self._gitignores.pop(directory, None)
            return None
        cached = self._gitignores.get(directory)
        if cached is None or cached[0] != mtime:
            try:
                lines = file.read_text(errors="replace").splitlines()
                spec: pathspec.GitIgnoreSpec | None = pathspec.GitIgnoreSpec.from_lines(lines)
            except OSError:
                spec = None
            cached = (mtime, spec)
            self._gitignores[directory] = cached
        return cached[1]

    def excludes(self, path: Path, is_dir: bool) -> bool:
        """Whether ``path`` itself is excluded (its parent folders assumed included)."""
        if not self.settings.include_hidden and path.name.startswith("."):
            return True
        suffix = "/" if is_dir else ""
        relative = path.relative_to(self.root).as_posix() + suffix
        if self.user is not None and self.user.match_file(relative):
            return True
        directory = path.parent
        while True:
            spec = self._gitignore(directory)
            if spec is not None and spec.match_file(
                path.relative_to(directory).as_posix() + suffix
            ):
                return True
            if directory == self.root or directory == directory.parent:
                return False
            directory = directory.parent

    def ignored(self, path: Path) -> bool:
        """Whether ``path`` or any folder between the root and it is excluded."""
        try:
            parts = path.relative_to(self.root).parts
        except ValueError:
            return True
        current = self.root
        for depth, part in enumerate(parts):
            current = current / part
            if self.excludes(current, is_dir=depth < len(parts) - 1):
                return True
        return False


def scan(
    root: Path,
    settings: IngestSettings,
    exclude: tuple[Path, ...] = (),
    base: Path | None = None,
    skipped: SkipFn | None = None,
) -> Iterator[ScanEntry]:
    """Every file under ``root`` (or ``root`` itself if it is a file) that ingest should see.

    ``base`` is the registered folder ``root`` lies in (default: ``root``); its
    ignore rules apply. Symlinked folders are followed once (loops cut by real
    path); ``exclude`` folders (ragtui's own data dir) are never entered. With
    ``ingest.follow_symlinks`` off, a symlinked file that leads outside ``base`` is
    not read. Unreadable folders and files are told to ``skipped`` with the reason.
    A missing root yields nothing.
    """
    rules = IgnoreRules(base or root, settings)
    if base is not None and base != root and rules.ignored(root):
        return
    excluded = {os.path.realpath(p) for p in exclude}
    if root.is_file():
        if any(os.path.realpath(root).startswith(e + os.sep) for e in excluded):
            return
        st = root.stat()
        yield ScanEntry(str(root), st.st_size, st.st_mtime_ns)
        return
    if root.exists() and not root.is_dir():
        if skipped is not None:
            skipped(str(root), NOT_A_FILE)
        return
    yield from _walk(root, rules, set(), excluded, skipped or (lambda path, why: None))


def _walk(
    directory: Path, rules: IgnoreRules, seen: set[str], excluded: set[str], skipped: SkipFn
) -> Iterator[ScanEntry]:
    real = os.path.realpath(directory)
    if real in seen or real in excluded:
        return
    seen.add(real)
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        skipped(
            str(directory),
            f"folder cannot be read ({exc.strerror or exc}): check its "
            "permissions or add it to ingest.ignore",
        )
        return
    subdirs: list[Path] = []
    for entry in entries:
        path = Path(entry.path)
        try:
            if entry.is_dir(follow_symlinks=rules.settings.follow_symlinks):
                if not rules.excludes(path, True):
                    subdirs.append(path)
                continue
            if not entry.is_file(follow_symlinks=True) or rules.excludes(path, False):
                continue
            if entry.is_symlink() and not rules.settings.follow_symlinks:
                target = os.path.realpath(path)
                if not target.startswith(os.path.realpath(rules.root) + os.sep):
                    skipped(
                        entry.path,
                        f"links to {target}, outside its folder, and ingest.follow_symlinks is off",
                    )
                    continue
            st = entry.stat(follow_symlinks=True)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                skipped(entry.path, LINK_LOOP)
            else:
                skipped(
                    entry.path,
                    f"cannot be read ({exc.strerror or exc}): check its "
                    "permissions or add it to ingest.ignore",
                )
            continue
        yield ScanEntry(entry.path, st.st_size, st.st_mtime_ns)
    for sub in subdirs:
        yield from _walk(sub, rules, seen, excluded, skipped)
