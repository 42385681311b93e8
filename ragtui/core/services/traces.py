"""Stored traces: list, read, export as OTLP JSON and purge (``ragtui traces``)."""

from __future__ import annotations

import json
from pathlib import Path

from ragtui.core.errors import InvalidRequest, NotFound
from ragtui.core.stats import window_start
from ragtui.core.trace import Tracing
from ragtui.core.trace_store import TraceRecord


class TraceService:
    """The traces one Engine recorded."""

    def __init__(self, tracing: Tracing) -> None:
        self.tracing = tracing

    def recent(self, limit: int = 20, name: str | None = None) -> list[TraceRecord]:
        """Newest traces first (without spans)."""
        return self.tracing.store.recent(limit, name)

    def get(self, trace_id: str) -> TraceRecord:
        """One trace with its spans, by id or unique id prefix."""
        found = self.tracing.store.get(trace_id)
        if found is None:
            raise NotFound(
                f"No single trace matches {trace_id!r}: `ragtui traces list` shows the ids."
            )
        return found

    def last(self, name: str | None = None) -> TraceRecord:
        """The newest trace (of that kind), with its spans."""
        found = self.tracing.store.last(name)
        if found is None:
            raise NotFound("No traces are stored yet: ask or search something first.")
        return found

    def rate(self, trace_id: str, up: bool) -> str:
        """Keep a thumbs up or down for the answer of an ask trace (id or unique prefix);
        returns the full id."""
        self.tracing.flush()  # the answer just shown may still be on its way to the store
        found = self.get(trace_id)
        if found.name != "ask":
            raise InvalidRequest(
                f"Trace {found.trace_id[:12]} is a {found.name}, not an answer: rate the "
                "trace of an ask (`ragtui traces list --kind ask` shows them)."
            )
        self.tracing.store.rate(found.trace_id, up)
        return found.trace_id

    def rating(self, trace_id: str) -> bool | None:
        """The thumbs up (True) or down (False) kept for a trace, or None."""
        return self.tracing.store.rating(trace_id)

    def export(self, destination: Path, *, since: str = "all", limit: int | None = None) -> int:
        """Write traces as OTLP JSON (what Phoenix or any OTLP collector reads); returns how
        many."""
        from ragtui.core import otlp

        store = self.tracing.store
        start = window_start(since)
        chosen = [t for t in store.recent(limit or max(store.count(), 1)) if t.start_ns >= start]
        full = [t for t in (store.get(t.trace_id) for t in chosen) if t is not None]
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(json.dumps(otlp.document(full)))
        return len(full)

    def purge(self, older_than: str | None = None) -> int:
        """Delete all traces, or those older than a window like ``7d``; returns how many."""
        if older_than is None:
            return self.tracing.store.purge()
        return self.tracing.store.prune(older_than_ns=window_start(older_than))
