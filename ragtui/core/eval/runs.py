"""The eval run store: ``evals/runs.sqlite`` in the data dir.

A run row holds its config snapshot, status and aggregate metrics; each case's
output and metrics are committed as soon as the case finishes, so a run that was
interrupted (Ctrl-C, a crash) resumes with the cases it had not done.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    dataset TEXT NOT NULL,
    created REAL NOT NULL,
    finished REAL,
    status TEXT NOT NULL,
    total INTEGER NOT NULL,
    config TEXT NOT NULL,
    metrics TEXT,
    timing TEXT
);
CREATE TABLE IF NOT EXISTS cases (
    run_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (run_id, case_id)
) WITHOUT ROWID;
"""


class RunStore:
    """Runs and their per-case results (safe to write from several threads)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def create(
        self, run_id: str, name: str, dataset: str, total: int, config: dict[str, Any]
    ) -> None:
        """Record a new run."""
        with self._lock:
            self._db.execute(
                "INSERT INTO runs (run_id, name, dataset, created, status, total, config) "
                "VALUES (?,?,?,?,?,?,?)",
                (run_id, name, dataset, time.time(), "running", total, json.dumps(config)),
            )

    def add_case(self, run_id: str, case_id: str, ordinal: int, result: dict[str, Any]) -> None:
        """Commit one finished case."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO cases VALUES (?,?,?,?)",
                (run_id, case_id, ordinal, json.dumps(result)),
            )

    def done_ids(self, run_id: str) -> set[str]:
        """Cases already finished in a run."""
        with self._lock:
            rows = self._db.execute("SELECT case_id FROM cases WHERE run_id = ?", (run_id,))
            return {r[0] for r in rows}

    def cases(self, run_id: str) -> list[dict[str, Any]]:
        """A run's case results in dataset order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT result FROM cases WHERE run_id = ? ORDER BY ordinal", (run_id,)
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def finish(
        self, run_id: str, status: str, metrics: dict[str, Any], timing: dict[str, Any]
    ) -> None:
        """Store the aggregate metrics and the final status."""
        with self._lock:
            self._db.execute(
                "UPDATE runs SET status = ?, finished = ?, metrics = ?, timing = ? "
                "WHERE run_id = ?",
                (status, time.time(), json.dumps(metrics), json.dumps(timing), run_id),
            )

    def set_status(self, run_id: str, status: str) -> None:
        """Mark a run running again (resume) or interrupted."""
        with self._lock:
            self._db.execute("UPDATE runs SET status = ? WHERE run_id = ?", (status, run_id))

    def get(self, run_id: str) -> dict[str, Any] | None:
        """One run by id, unique id prefix or name (newest of that name)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM runs WHERE run_id LIKE ? OR name = ? ORDER BY created DESC",
                (run_id + "%", run_id),
            ).fetchall()
            names = [d[0] for d in self._db.execute("SELECT * FROM runs LIMIT 0").description]
        exact = [r for r in rows if r[0] == run_id]
        by_name = [r for r in rows if r[1] == run_id]
        chosen = exact or by_name[:1] or (rows if len(rows) == 1 else [])
        return _run(names, chosen[0]) if chosen else None

    def all(self) -> list[dict[str, Any]]:
        """Every run, newest first."""
        with self._lock:
            cursor = self._db.execute("SELECT * FROM runs ORDER BY created DESC")
            names = [d[0] for d in cursor.description]
            return [_run(names, row) for row in cursor.fetchall()]

    def close(self) -> None:
        """Close the database."""
        self._db.close()


def _run(names: list[str], row: tuple[Any, ...]) -> dict[str, Any]:
    run = dict(zip(names, row, strict=True))
    for key in ("config", "metrics", "timing"):
        run[key] = json.loads(run[key]) if run[key] else {}
    return run
