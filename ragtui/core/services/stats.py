"""Figures about one Engine: stats over its traces, index size and counts, and index health
(``ragtui stats``, the Library's health line, ``ragtui doctor``)."""

from __future__ import annotations

import time
from typing import Any

from ragtui.config import Settings
from ragtui.core import drift_signals, stats
from ragtui.core.index.store import IndexStore
from ragtui.core.reports import IndexCounts, IndexHealth, IndexSize, StatsReport
from ragtui.core.trace import Tracing


class StatsService:
    """Figures read from an Engine's traces and index store."""

    def __init__(self, settings: Settings, tracing: Tracing, store: IndexStore) -> None:
        self.settings = settings
        self.tracing = tracing
        self.store = store
        self._corpus_memo: tuple[tuple[int, int], dict[str, Any]] | None = None

    def figures(self, since: str = "24h") -> StatsReport:
        """Latency, throughput, cache, cost, energy and index figures for a time window, and
        drift over the newest traces (counted windows, whatever ``since`` is)."""
        import psutil

        start = stats.window_start(since)
        process = psutil.Process()
        current = {"rss_bytes": process.memory_info().rss, "cpu_s": sum(process.cpu_times()[:2])}
        figures = stats.compute(
            self.tracing.store,
            self.settings.stats,
            start,
            index=self.index_size().as_json(),
            process=current,
        )
        drift = drift_signals.compute(self.tracing.store, self.settings.drift, self._corpus)
        return StatsReport(since=since, **figures, drift=drift)

    def _corpus(self) -> dict[str, Any]:
        """The new-topics signal, remembered while the catalog generation and the hour stay
        the same (reading the vectors costs a few hundred ms, opening LanceDB more)."""
        key = (self.store.catalog.generation(), int(time.time() // 3600))
        if self._corpus_memo is None or self._corpus_memo[0] != key:
            signal = drift_signals.corpus_signal(
                self.store.catalog, self._vectors, self.settings.drift
            )
            self._corpus_memo = (key, signal)
        return dict(self._corpus_memo[1])

    def _vectors(self) -> object:
        """The vector index (opened without loading the embedding model), or None."""
        return self.store.vectors if self.store.vectors_open else self.store.stored_vectors()

    def index_size(self) -> IndexSize:
        """Files, chunks and bytes on disk of the catalog and both indexes."""
        return self.store.size()

    def counts(self) -> IndexCounts:
        """Files by status, chunks and embedded chunks."""
        return IndexCounts(**self.store.catalog.counts())

    def doctor(self) -> IndexHealth:
        """Repair what a crash left, then report whether the catalog and both indexes agree."""
        return self.store.health()
