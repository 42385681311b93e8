"""The local trace store: finished traces and their spans in ``traces.sqlite``.

One row per trace carries the figures stats need (tokens, time to first token,
cache hit, CPU seconds …) so ``ragtui stats`` and ``ragtui traces list`` never
parse span attributes; spans keep everything else as JSON.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ragtui.core import stores

_SCHEMA = """
CREATE TABLE IF NOT EXISTS traces (
    trace_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    start_ns INTEGER NOT NULL,
    duration_ms REAL NOT NULL,
    status TEXT NOT NULL,
    input TEXT,
    cached TEXT,
    abstained INTEGER,
    fallback INTEGER,
    error TEXT,
    model TEXT,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    ttft_ms REAL,
    prefill_tps REAL,
    decode_tps REAL,
    cpu_s REAL,
    rss_bytes INTEGER,
    embed_hits INTEGER,
    embed_misses INTEGER
);
CREATE INDEX IF NOT EXISTS traces_start ON traces(start_ns);
CREATE TABLE IF NOT EXISTS spans (
    trace_id TEXT NOT NULL,
    span_id TEXT NOT NULL,
    parent_id TEXT,
    name TEXT NOT NULL,
    start_ns INTEGER NOT NULL,
    end_ns INTEGER NOT NULL,
    status TEXT NOT NULL,
    attributes TEXT NOT NULL,
    events TEXT NOT NULL,
    PRIMARY KEY (trace_id, span_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS spans_stage ON spans(name, start_ns, end_ns);  -- covers stats
CREATE TABLE IF NOT EXISTS signals (
    trace_id TEXT PRIMARY KEY,
    start_ns INTEGER NOT NULL,
    query_vec BLOB,
    top1 REAL,
    topk REAL,
    relevant INTEGER,
    refocused INTEGER,
    answer_chars INTEGER,
    unsupported REAL
);
CREATE INDEX IF NOT EXISTS signals_start ON signals(start_ns);
CREATE TABLE IF NOT EXISTS feedback (
    trace_id TEXT PRIMARY KEY,
    rating INTEGER NOT NULL,  -- 1: thumbs up, -1: thumbs down
    at_ns INTEGER NOT NULL
);
"""

SUMMARY_COLUMNS = (
    "input",
    "cached",
    "abstained",
    "fallback",
    "error",
    "model",
    "prompt_tokens",
    "completion_tokens",
    "ttft_ms",
    "prefill_tps",
    "decode_tps",
    "cpu_s",
    "rss_bytes",
    "embed_hits",
    "embed_misses",
)
SIGNAL_COLUMNS = (
    "query_vec",
    "top1",
    "topk",
    "relevant",
    "refocused",
    "answer_chars",
    "unsupported",
)
_MMAP_BYTES = 256 * 2**20
FIGURE_COLUMNS = (
    "name",
    "start_ns",
    "duration_ms",
    "status",
    *(c for c in SUMMARY_COLUMNS if c not in ("input", "error", "model")),
)


@dataclass
class SpanRecord:
    """One finished span, ids as lowercase hex."""

    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    start_ns: int
    end_ns: int
    status: str
    attributes: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def duration_ms(self) -> float:
        """Wall time of the span."""
        return (self.end_ns - self.start_ns) / 1e6

    def as_json(self) -> dict[str, Any]:
        """The span in the documented JSON shape."""
        return {
            "span_id": self.span_id,
            "parent_id": self.parent_id,
            "name": self.name,
            "start": _iso(self.start_ns),
            "duration_ms": round(self.duration_ms, 3),
            "status": self.status,
            "attributes": self.attributes,
            "events": self.events,
        }


@dataclass
class TraceRecord:
    """A finished trace: its root's figures and all its spans."""

    trace_id: str
    name: str
    start_ns: int
    duration_ms: float
    status: str
    summary: dict[str, Any]
    spans: list[SpanRecord] = field(default_factory=list)
    signals: dict[str, Any] | None = None  # drift figures of an ask or search (SIGNAL_COLUMNS)

    def note(self) -> str:
        """cached / abstained / fallback / error, as ``traces list`` and the app show it."""
        notes = []
        if self.summary.get("cached") not in (None, "none"):
            notes.append(f"cached:{self.summary['cached']}")
        notes += [flag for flag in ("abstained", "fallback") if self.summary.get(flag)]
        if self.summary.get("error"):
            notes.append("error")
        return ",".join(notes)

    def as_json(self) -> dict[str, Any]:
        """``{trace_id, name, start, duration_ms, status, spans: [...]}``."""
        return {
            "trace_id": self.trace_id,
            "name": self.name,
            "start": _iso(self.start_ns),
            "duration_ms": round(self.duration_ms, 3),
            "status": self.status,
            **{k: v for k, v in self.summary.items() if v is not None},
            "spans": [s.as_json() for s in self.spans],
        }


def _iso(ns: int) -> str:
    seconds, rest = divmod(ns, 1_000_000_000)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{stamp}.{rest // 1000:06d}Z"


class TraceStore:
    """SQLite store of traces (WAL: readers never wait for the exporter)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._ready = False
        self._ready_lock = threading.Lock()
        self.on_mend: Callable[[str], None] | None = None  # told when a damaged file is set aside

    def _set_aside_if_damaged(self) -> None:
        """Move a damaged file to ``traces.sqlite.corrupt-<time>`` so a new one starts."""
        damage = stores.sqlite_damage(self.path)
        if damage is None:
            return
        aside = stores.move_aside(self.path)
        sentence = (
            f"{self.path.name} was damaged ({damage}): it was moved to {aside.name} "
            "and a new one started."
        )
        stores.record(self.path.parent, sentence)
        if self.on_mend is not None:
            self.on_mend(sentence)

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            with self._ready_lock:
                if not self._ready:
                    self._set_aside_if_damaged()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(f"PRAGMA mmap_size={_MMAP_BYTES}")  # stats read every span of a window
            with self._ready_lock:
                if not self._ready:
                    db.executescript(_SCHEMA)
                    self._ready = True
            self._local.db = db
        return db

    def exists(self) -> bool:
        """Whether anything was ever stored."""
        return self.path.exists()

    def write(self, traces: Sequence[TraceRecord]) -> None:
        """Store finished traces (one transaction)."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            for trace in traces:
                summary = [trace.summary.get(c) for c in SUMMARY_COLUMNS]
                db.execute(
                    f"INSERT OR REPLACE INTO traces VALUES (?,?,?,?,?,{','.join('?' * 15)})",
                    (
                        trace.trace_id,
                        trace.name,
                        trace.start_ns,
                        trace.duration_ms,
                        trace.status,
                        *summary,
                    ),
                )
                if trace.signals is not None:
                    db.execute(
                        "INSERT OR REPLACE INTO signals VALUES (?,?,?,?,?,?,?,?,?)",
                        (
                            trace.trace_id,
                            trace.start_ns,
                            *(trace.signals.get(c) for c in SIGNAL_COLUMNS),
                        ),
                    )
                db.executemany(
                    "INSERT OR REPLACE INTO spans VALUES (?,?,?,?,?,?,?,?,?)",
                    [
                        (
                            s.trace_id,
                            s.span_id,
                            s.parent_id,
                            s.name,
                            s.start_ns,
                            s.end_ns,
                            s.status,
                            json.dumps(s.attributes, separators=(",", ":")),
                            json.dumps(s.events, separators=(",", ":")),
                        )
                        for s in trace.spans
                    ],
                )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def recent(self, limit: int = 20, name: str | None = None) -> list[TraceRecord]:
        """Newest traces first, without their spans."""
        if not self.exists():
            return []
        where, args = ("WHERE name = ?", [name]) if name else ("", [])
        rows = (
            self._db()
            .execute(f"SELECT * FROM traces {where} ORDER BY start_ns DESC LIMIT ?", [*args, limit])
            .fetchall()
        )
        return [_trace_of(row) for row in rows]

    def get(self, trace_id: str) -> TraceRecord | None:
        """One trace with its spans; ``trace_id`` may be a unique prefix."""
        if not self.exists():
            return None
        db = self._db()
        rows = db.execute(
            "SELECT * FROM traces WHERE trace_id LIKE ? LIMIT 2", (trace_id.lower() + "%",)
        ).fetchall()
        if len(rows) != 1:
            return None
        trace = _trace_of(rows[0])
        spans = db.execute(
            "SELECT * FROM spans WHERE trace_id = ? ORDER BY start_ns", (trace.trace_id,)
        ).fetchall()
        trace.spans = [
            SpanRecord(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]), json.loads(r[8]))
            for r in spans
        ]
        return trace

    def last(self, name: str | None = None) -> TraceRecord | None:
        """The newest trace (of that root name), with its spans."""
        newest = self.recent(1, name)
        return self.get(newest[0].trace_id) if newest else None

    def summaries(self, since_ns: int) -> dict[str, tuple[Any, ...]]:
        """The figures of traces started at or after ``since_ns``, column by column (every
        column but the question, the error text and the model name)."""
        if not self.exists():
            return {}
        cursor = self._db().execute(
            f"SELECT {', '.join(FIGURE_COLUMNS)} FROM traces WHERE start_ns >= ?", (since_ns,)
        )
        rows = cursor.fetchall()
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in FIGURE_COLUMNS]
        return dict(zip(FIGURE_COLUMNS, columns, strict=True))

    def stage_durations(self, since_ns: int) -> dict[str, list[int]]:
        """Durations (ns, sorted) of the spans started at or after ``since_ns``, by name."""
        if not self.exists():
            return {}
        rows = (
            self._db()
            .execute(
                "SELECT name, group_concat(end_ns - start_ns) FROM spans WHERE start_ns >= ? "
                "GROUP BY name",
                (since_ns,),
            )
            .fetchall()
        )
        return {name: sorted(map(int, joined.split(","))) for name, joined in rows}

    def routes(self, since_ns: int) -> dict[str, int]:
        """Answers made since ``since_ns`` per route of the model router (``extractive``
        when every route failed); cached and declined answers took no route."""
        if not self.exists():
            return {}
        rows = (
            self._db()
            .execute(
                "SELECT json_extract(s.attributes, '$.\"ragtui.route\"') AS route, count(*) "
                "FROM traces t JOIN spans s ON s.trace_id = t.trace_id AND s.parent_id IS NULL "
                "WHERE t.name = 'ask' AND s.name = 'ask' AND t.start_ns >= ? "
                "AND coalesce(t.cached, 'none') = 'none' AND route IS NOT NULL "
                "GROUP BY route ORDER BY count(*) DESC, route",
                (since_ns,),
            )
            .fetchall()
        )
        return {str(route): int(n) for route, n in rows}

    def prompt_answers(self, since_ns: int) -> list[dict[str, Any]]:
        """Each answer since ``since_ns`` with its prompt version (``name@version``), arm
        (default or candidate), duration, abstained, fallback and cached flags,
        faithfulness_embedding (None when declined or cached) and the user's rating."""
        if not self.exists():
            return []
        rows = (
            self._db()
            .execute(
                "SELECT json_extract(r.attributes, '$.\"ragtui.prompt.name\"'), "
                "json_extract(r.attributes, '$.\"ragtui.prompt.version\"'), "
                "json_extract(r.attributes, '$.\"ragtui.prompt.arm\"'), "
                "t.duration_ms, t.abstained, t.fallback, t.cached, "
                "(SELECT json_extract(c.attributes, "
                "'$.\"ragtui.answer.faithfulness_embedding\"') FROM spans c "
                "WHERE c.trace_id = t.trace_id AND c.name = 'citations.check' LIMIT 1), "
                "f.rating "
                "FROM traces t JOIN spans r ON r.trace_id = t.trace_id AND r.parent_id IS NULL "
                "LEFT JOIN feedback f ON f.trace_id = t.trace_id "
                "WHERE t.name = 'ask' AND r.name = 'ask' AND t.start_ns >= ? "
                "ORDER BY t.start_ns",
                (since_ns,),
            )
            .fetchall()
        )
        return [
            {
                "prompt": f"{name}@{version}",
                "arm": arm or "default",
                "duration_ms": duration,
                "abstained": bool(abstained),
                "fallback": bool(fallback),
                "cached": cached not in (None, "none"),
                "faithfulness_embedding": faithful,
                "rating": rating,
            }
            for name, version, arm, duration, abstained, fallback, cached, faithful, rating in rows
            if name is not None and version is not None
        ]

    def signal_rows(self, limit: int) -> dict[str, tuple[Any, ...]]:
        """Drift figures of the newest ``limit`` asks and searches, oldest first, column by
        column: ``name``, ``start_ns``, ``duration_ms``, ``abstained``, ``fallback``,
        ``completion_tokens`` and the :data:`SIGNAL_COLUMNS`."""
        columns = (
            "name",
            "start_ns",
            "duration_ms",
            "abstained",
            "fallback",
            "completion_tokens",
            *SIGNAL_COLUMNS,
        )
        if not self.exists():
            return {c: () for c in columns}
        rows = (
            self._db()
            .execute(
                f"SELECT t.{', t.'.join(columns[:6])}, s.{', s.'.join(SIGNAL_COLUMNS)} "
                "FROM signals s JOIN traces t USING (trace_id) "
                "ORDER BY s.start_ns DESC LIMIT ?",
                (limit,),
            )
            .fetchall()
        )
        rows.reverse()
        found = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
        return dict(zip(columns, found, strict=True))

    def rate(self, trace_id: str, up: bool) -> None:
        """Keep the user's thumbs up or down for an answer's trace (the latest counts)."""
        self._db().execute(
            "INSERT OR REPLACE INTO feedback VALUES (?,?,?)",
            (trace_id, 1 if up else -1, time.time_ns()),
        )

    def rating(self, trace_id: str) -> bool | None:
        """The user's thumbs up (True) or down (False) for a trace, or None."""
        if not self.exists():
            return None
        row = (
            self._db()
            .execute("SELECT rating FROM feedback WHERE trace_id = ?", (trace_id,))
            .fetchone()
        )
        return None if row is None else row[0] > 0

    def count(self) -> int:
        """Stored traces."""
        if not self.exists():
            return 0
        return int(self._db().execute("SELECT count(*) FROM traces").fetchone()[0])

    def prune(self, max_traces: int | None = None, older_than_ns: int | None = None) -> int:
        """Delete traces beyond the newest ``max_traces`` or started before ``older_than_ns``;
        returns how many went."""
        if not self.exists():
            return 0
        db = self._db()
        doomed: set[str] = set()
        if older_than_ns is not None:
            doomed.update(
                r[0]
                for r in db.execute(
                    "SELECT trace_id FROM traces WHERE start_ns < ?", (older_than_ns,)
                )
            )
        if max_traces is not None:
            doomed.update(
                r[0]
                for r in db.execute(
                    "SELECT trace_id FROM traces ORDER BY start_ns DESC LIMIT -1 OFFSET ?",
                    (max_traces,),
                )
            )
        if not doomed:
            return 0
        ids = [(t,) for t in doomed]
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("DELETE FROM spans WHERE trace_id = ?", ids)
            db.executemany("DELETE FROM signals WHERE trace_id = ?", ids)
            db.executemany("DELETE FROM feedback WHERE trace_id = ?", ids)
            db.executemany("DELETE FROM traces WHERE trace_id = ?", ids)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return len(doomed)

    def purge(self) -> int:
        """Delete every trace and give the space back."""
        if not self.exists():
            return 0
        db = self._db()
        gone = self.count()
        db.execute("DELETE FROM spans")
        db.execute("DELETE FROM signals")
        db.execute("DELETE FROM feedback")
        db.execute("DELETE FROM traces")
        db.execute("VACUUM")
        return gone

    def close(self) -> None:
        """Close this thread's connection."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


def _trace_of(row: Sequence[Any]) -> TraceRecord:
    summary = dict(zip(SUMMARY_COLUMNS, row[5:], strict=True))
    for flag in ("abstained", "fallback"):
        if summary[flag] is not None:
            summary[flag] = bool(summary[flag])
    return TraceRecord(row[0], row[1], row[2], row[3], row[4], summary)
