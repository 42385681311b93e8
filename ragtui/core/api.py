"""The core's public face for the TUI: the Engine as a Protocol of what the app uses, the
factory that builds the real one, and the records, errors and helpers the screens show.

The TUI imports the core only from here (``lint-imports`` enforces it), so a test double
implements :class:`EngineApi` instead of subclassing the Engine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ragtui.core.conversations import ConversationStore, answer_labels
from ragtui.core.engine import Engine, create_engine
from ragtui.core.errors import Cancelled, IndexLocked, RagtuiError
from ragtui.core.followup import Exchange
from ragtui.core.index.indexer import IndexReport, Progress
from ragtui.core.models import Answer, Citation, ConversationInfo, FileInfo, Passage
from ragtui.core.reports import (
    AdversarialReport,
    ContinuousOutcome,
    ContinuousRun,
    ContinuousTrend,
    EvalComparison,
    EvalRun,
    GeneratedCases,
    IndexCounts,
    IndexHealth,
    IndexSize,
    MetricSummary,
    StatsReport,
)
from ragtui.core.text import printable
from ragtui.core.trace import Tracing
from ragtui.core.trace_store import SpanRecord, TraceRecord
from ragtui.core.watch import WatchedEngine, Watcher, WatchStatus

if TYPE_CHECKING:
    from ragtui.core.eval.runner import EvalProgress, RunResult

__all__ = [
    "AdversarialReport",
    "Answer",
    "Cancelled",
    "Citation",
    "ContinuousApi",
    "ContinuousOutcome",
    "ContinuousRun",
    "ContinuousTrend",
    "ConversationInfo",
    "ConversationStore",
    "Engine",
    "EngineApi",
    "EvalComparison",
    "EvalRun",
    "Exchange",
    "FileInfo",
    "GeneratedCases",
    "IndexCounts",
    "IndexHealth",
    "IndexLocked",
    "IndexReport",
    "IndexSize",
    "MetricSummary",
    "Passage",
    "Progress",
    "RagtuiError",
    "SpanRecord",
    "StatsReport",
    "TraceRecord",
    "WatchStatus",
    "Watcher",
    "answer_labels",
    "create_engine",
    "printable",
]


class EvalsApi(Protocol):
    """Stored eval runs, comparing two, and running a dataset."""

    def runs(self) -> list[EvalRun]: ...

    def get(self, run: str, *, with_cases: bool = True) -> EvalRun: ...

    def compare(self, a: str, b: str, tolerance: float = 0.02) -> EvalComparison: ...

    def run(
        self,
        dataset: Path,
        *,
        name: str | None = None,
        limit: int | None = None,
        overrides: dict[str, Any] | None = None,
        resume: str | None = None,
        retrieval_only: bool = False,
        judge: bool = True,
        workers: int | None = None,
        cancel: threading.Event | None = None,
        progress: EvalProgress | None = None,
    ) -> RunResult: ...


class ContinuousApi(Protocol):
    """Continuous evaluation: whether it is on, the background loop, the trend."""

    @property
    def enabled(self) -> bool: ...

    def loop(
        self,
        cancel: threading.Event,
        on_outcome: Callable[[ContinuousOutcome], None] | None = None,
    ) -> None: ...

    def trend(self) -> ContinuousTrend: ...


class TracesApi(Protocol):
    """Stored traces."""

    def recent(self, limit: int = 20, name: str | None = None) -> list[TraceRecord]: ...

    def get(self, trace_id: str) -> TraceRecord: ...

    def rate(self, trace_id: str, up: bool) -> str: ...


class StatsApi(Protocol):
    """Stats figures, the index's size and its health."""

    def figures(self, since: str = "24h") -> StatsReport: ...

    def index_size(self) -> IndexSize: ...

    def doctor(self) -> IndexHealth: ...


class PassagesApi(Protocol):
    """Stored chunks by id (for source previews)."""

    def passages(self, chunk_ids: Sequence[str]) -> dict[str, Passage]: ...


class EngineApi(WatchedEngine, Protocol):
    """What the TUI uses of the Engine: what its watcher needs, and more."""

    @property
    def tracing(self) -> Tracing: ...

    @property
    def conversations(self) -> ConversationStore: ...

    @property
    def retriever(self) -> PassagesApi: ...

    @property
    def evals(self) -> EvalsApi: ...

    @property
    def continuous(self) -> ContinuousApi: ...

    @property
    def traces(self) -> TracesApi: ...

    @property
    def stats(self) -> StatsApi: ...

    def add_folder(self, folder: Path) -> tuple[str, bool]: ...

    def remove_folder(self, folder: Path) -> IndexReport: ...

    def files(self) -> list[FileInfo]: ...

    def warm(self) -> list[str]: ...

    def ask(
        self,
        question: str,
        *,
        k: int | None = None,
        use_cache: bool = True,
        on_token: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
        history: Sequence[Exchange] = (),
    ) -> Answer: ...

    def close(self) -> None: ...
