"""Damaged stores in the data dir: how to tell, and how to set one aside.

Each store ragtui keeps on disk is either the source of truth (the catalog,
salvaged by :mod:`ragtui.core.index.salvage`), derived from it (the keyword and
vector indexes, rebuilt), disposable (the caches, recreated) or a record worth
keeping for forensics (traces, moved aside). This module holds what they share.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sqlite3
import time
from pathlib import Path

log = logging.getLogger("ragtui.stores")
log.addHandler(logging.NullHandler())  # the shells show what matters; the rest goes to the file
LOG_FILE = Path("logs") / "stores.log"

SQLITE_DAMAGE = (sqlite3.DatabaseError,)  # "malformed", "not a database", …


def sqlite_damage(path: Path) -> str | None:
    """Why the SQLite file at ``path`` cannot be trusted, or None (absent or sound).

    ``PRAGMA quick_check`` reads every page (about 0.1 s per 100 MB, warm), so a
    file cut short or with garbage in the middle is caught before it is used.
    """
    if not path.exists():
        return None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        rows = db.execute("PRAGMA quick_check").fetchall()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return None  # a writer holds it; it is in use, not damaged
        return str(exc)
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        db.close()
    found = [str(r[0]) for r in rows]
    return None if found == ["ok"] else "; ".join(found[:3])


def record(data_dir: Path, message: str) -> None:
    """Log a store mended, and append it to ``logs/stores.log`` in the data dir."""
    log.warning("%s", message)
    target = data_dir / LOG_FILE
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8", errors="replace") as out:
            out.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {message}\n")
    except OSError:
        pass  # a log line is not worth failing the repair for


def brief(exc: BaseException) -> str:
    """The first clause of a library's error, short enough for one sentence."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.split(". ")[0][:160].rstrip(".:")


def stamp() -> str:
    """A time stamp for a file set aside: ``20261206-184200``."""
    return time.strftime("%Y%m%d-%H%M%S")


def move_aside(path: Path, when: str | None = None) -> Path:
    """Rename a damaged SQLite file (with its ``-wal`` and ``-shm``) to
    ``<name>.corrupt-<time>`` and return the new path."""
    target = path.with_name(f"{path.name}.corrupt-{when or stamp()}")
    path.with_name(path.name + "-shm").unlink(missing_ok=True)  # rebuilt from the WAL
    for suffix in ("", "-wal"):
        part = path.with_name(path.name + suffix)
        if part.exists() and (suffix == "" or part.stat().st_size):
            part.rename(target.with_name(target.name + suffix))
        else:
            part.unlink(missing_ok=True)
    return target


def wipe(directory: Path) -> None:
    """Delete a derived or disposable store's folder and create it empty."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)


def files_signature(folder: Path) -> str:
    """A digest of the names and sizes of every file under ``folder`` (cheap: no file is
    read), to tell whether a store changed since it was last known good."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        try:
            if path.is_file():
                digest.update(
                    f"{path.relative_to(folder)}\0{path.stat().st_size}\n".encode(
                        "utf-8", "surrogateescape"
                    )
                )
        except OSError:
            digest.update(b"?")
    return digest.hexdigest()
