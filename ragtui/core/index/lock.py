"""One writer per data dir: an advisory file lock between processes (readers ignore it).

Within one process the lock is re-entrant for the thread holding it; other
threads of the same process wait for it.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ragtui.core.errors import IndexLocked

_THREAD_LOCKS: dict[str, threading.RLock] = {}
_HELD: dict[str, int] = {}
_GUARD = threading.Lock()


@contextmanager
def writer_lock(data_dir: Path) -> Iterator[None]:
    """Hold the data dir's writer lock, or raise :class:`IndexLocked` at once."""
    key = str(data_dir.resolve())
    with _GUARD:
        local = _THREAD_LOCKS.setdefault(key, threading.RLock())
    with local:
        if _HELD.get(key, 0):
            _HELD[key] += 1
            try:
                yield
            finally:
                _HELD[key] -= 1
            return
        with _file_lock(data_dir):
            _HELD[key] = 1
            try:
                yield
            finally:
                _HELD[key] = 0


@contextmanager
def _file_lock(data_dir: Path) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "writer.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise IndexLocked(
                f"Another ragtui process (pid {holder}) is writing the index in {data_dir}: "
                "wait for it to finish or stop it, then try again."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
