"""What the evaluations need of an engine. The Engine satisfies it; the eval modules take one
(and a way to open more, over other data dirs) instead of importing it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ragtui.config import SearchMode, Settings
from ragtui.core.followup import Exchange
from ragtui.core.models import Answer, SearchResult
from ragtui.core.trace import Tracing

if TYPE_CHECKING:
    from ragtui.core.generate import Backend
    from ragtui.core.index.indexer import IndexReport, ProgressFn
    from ragtui.core.index.store import IndexStore
    from ragtui.core.ingest.document import LoadedDocument
    from ragtui.core.retriever import Retriever


class EvalEngine(Protocol):
    """An engine over one data dir: its index, search, answers and model."""

    settings: Settings
    data_dir: Path
    tracing: Tracing
    store: IndexStore
    retriever: Retriever

    def folders(self) -> list[str]: ...

    def add_folder(self, folder: Path) -> tuple[str, bool]: ...

    def index(
        self,
        targets: Sequence[Path] | None = None,
        *,
        rebuild: bool = False,
        embed: bool = True,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
    ) -> IndexReport: ...

    def index_documents(
        self,
        documents: Iterable[tuple[str, str, LoadedDocument]],
        *,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
    ) -> IndexReport: ...

    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        mode: SearchMode | None = None,
        path_glob: str | None = None,
        file_types: Sequence[str] = (),
        diversify: bool | None = None,
    ) -> SearchResult: ...

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

    def backend(self) -> Backend: ...

    def close(self) -> None: ...


class OpenEngine(Protocol):
    """Opens an engine over another data dir (tracing into ``tracing`` when given)."""

    def __call__(
        self, settings: Settings, data_dir: Path, tracing: Tracing | None = None
    ) -> EvalEngine: ...
