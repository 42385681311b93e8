"""The data and config dirs are readable by their owner only.

They hold the user's documents in another form (chunks, answers, traces,
conversations), so ragtui creates folders 0700 and files 0600 (a process umask
of 077) and takes group and other bits away from what an older version left.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ragtui.core.errors import PathProblem

PRIVATE_UMASK = 0o077
_SHARED_BITS = stat.S_IRWXG | stat.S_IRWXO


def private_umask() -> None:
    """Make everything this process creates from now on private to its user."""
    os.umask(PRIVATE_UMASK)


def open_private(directory: Path, what: str = "The data dir") -> None:
    """Create ``directory`` 0700 (and set the private umask); if an older version left it
    readable by others, make its whole tree private."""
    private_umask()
    existing = next((p for p in (directory, *directory.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise PathProblem(
            f"{existing} is a file, not a folder, so {what.lower()} {directory} "
            "cannot be made: point RAGTUI_HOME (or --home) at a folder."
        )
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise PathProblem(
            f"{what} {directory} cannot be created ({exc.strerror or exc}): "
            "point RAGTUI_HOME (or --home) at a folder you can write."
        ) from exc
    if directory.stat().st_mode & _SHARED_BITS:
        make_private(directory)


def exposed(root: Path) -> list[Path]:
    """Folders and files under ``root`` (itself included) that other users may read."""
    return [path for path in _tree(root) if _needs_fix(path)]


def make_private(root: Path) -> int:
    """Take group and other permission bits away under ``root``; returns how many changed."""
    changed = 0
    for path in exposed(root):
        try:
            os.chmod(path, stat.S_IMODE(path.lstat().st_mode) & ~_SHARED_BITS)
            changed += 1
        except OSError:
            continue  # not ours to change; `ragtui doctor` keeps reporting it
    return changed


def _tree(root: Path) -> list[Path]:
    found = [root]
    for parent, dirs, files in os.walk(root):
        found.extend(Path(parent, name) for name in dirs + files)
    return found


def _needs_fix(path: Path) -> bool:
    """Group or other bits on a real file or folder; symlinks and hard-linked files (a model
    linked from elsewhere, whose other names are not ours) are left alone."""
    try:
        info = path.lstat()
    except OSError:
        return False
    if stat.S_ISLNK(info.st_mode) or (stat.S_ISREG(info.st_mode) and info.st_nlink > 1):
        return False
    return bool(info.st_mode & _SHARED_BITS)
