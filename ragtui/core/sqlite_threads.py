"""One SQLite connection per thread to one database file, all closed together.

The app's UI thread, its indexing worker and the watcher read and write the same files;
an SQLite connection belongs to the thread that uses it, so each thread opens its own.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path


class ThreadConnections:
    """This thread's connection to ``path`` (opened on first use and set up by ``setup``)."""

    def __init__(
        self, path: Path, setup: Callable[[sqlite3.Connection], None], timeout: float = 5.0
    ) -> None:
        self.path = path
        self._setup = setup
        self._timeout = timeout
        self._local = threading.local()
        self._open: list[sqlite3.Connection] = []
        self._guard = threading.Lock()

    def get(self) -> sqlite3.Connection:
        """The calling thread's connection."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(
                self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
            self._setup(db)
            self._local.db = db
            with self._guard:
                self._open.append(db)
        return db

    def close(self) -> None:
        """Close every thread's connection (the next use opens a new one)."""
        with self._guard:
            for db in self._open:
                db.close()
            self._open.clear()
        self._local = threading.local()
