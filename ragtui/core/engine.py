"""The Engine: assembles the parts of one data dir and hands them to the shells.

Parts: ``store`` (catalog and both indexes), ``library`` (folders and syncing),
``retriever`` (search), the answer pipeline, ``conversations``, ``models`` and the
``evals``, ``traces``, ``stats`` and ``prompts`` services. Searching, asking, indexing and
folders are called often enough to have a method here; everything else is reached through
its part.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ragtui import paths
from ragtui.config import LLMSettings, SearchMode, Settings, load_settings
from ragtui.core.errors import EmptyIndex, RagtuiError
from ragtui.core.gate import AnswerGate
from ragtui.core.index.store import IndexStore
from ragtui.core.library import Library
from ragtui.core.models import Answer, FileInfo, SearchResult
from ragtui.core.retriever import Retriever, fit_request
from ragtui.core.services.continuous import ContinuousService
from ragtui.core.services.evals import EvalService
from ragtui.core.services.prompts import PromptService
from ragtui.core.services.stats import StatsService
from ragtui.core.services.traces import TraceService
from ragtui.core.trace import Tracing

if TYPE_CHECKING:  # the modules below load numpy, the loaders and the models: on first use
    from ragtui.core.answer import AnswerPipeline
    from ragtui.core.conversations import ConversationStore
    from ragtui.core.embed import Embedder
    from ragtui.core.followup import Exchange
    from ragtui.core.generate import Backend
    from ragtui.core.index.indexer import IndexReport, ProgressFn
    from ragtui.core.ingest.document import LoadedDocument
    from ragtui.core.models_admin import ModelAdmin


class Engine:
    """The catalog, both indexes, the models and the services of one data dir."""

    def __init__(self, settings: Settings, data_dir: Path, tracing: Tracing | None = None) -> None:
        self.settings = settings
        self.data_dir = data_dir
        self.layout = paths.DataLayout(data_dir)
        self._owns_tracing = tracing is None  # an eval corpus index traces into the user's
        self.tracing = tracing or Tracing(settings.tracing, self.layout.traces)
        self.store = IndexStore(settings, self.layout, self.tracing)
        self.catalog = self.store.catalog
        self.warnings = self.store.warnings  # damaged stores mended, as sentences
        if self._owns_tracing:
            self.tracing.store.on_mend = self.warnings.append
        self.library = Library(self.store)
        self.gate = AnswerGate()  # answers hold it; continuous evaluation waits on it
        self.retriever = Retriever(settings, self.store, self.tracing, writer=self.backend)
        self.evals = EvalService(self, Engine)
        self.continuous = ContinuousService(self.evals, self.gate)
        self.traces = TraceService(self.tracing)
        self.stats = StatsService(settings, self.tracing, self.store)
        self.prompts = PromptService(settings, self.tracing, self.layout)
        self._backend: Backend | None = None
        self._route_backends: dict[str, Backend] = {}
        self._pipeline: AnswerPipeline | None = None
        self._conversations: ConversationStore | None = None
        self._load_started = False
        self._ahead: list[threading.Thread] = []  # the model and LanceDB, loading ahead
        self._lock = threading.RLock()

    # lazily built parts ----------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        """The embedding model (loaded on first use)."""
        return self.store.embedder

    def backend(self) -> Backend:
        """The configured generation backend (the model loads on first use)."""
        with self._lock:
            if self._backend is None:
                from ragtui.core.generate import open_backend

                self._backend = open_backend(
                    self.settings.llm,
                    self.layout.cache / "llm-state",
                    self.settings.answer.cache_mb,
                )
            return self._backend

    def _route_backend(self, cfg: LLMSettings) -> Backend:
        """The backend of a route of ``llm.routes`` (opened once per model)."""
        with self._lock:
            key = cfg.model_dump_json(exclude={"timeout_s", "breaker_s", "routes"})
            if key not in self._route_backends:
                from ragtui.core.generate import open_backend

                self._route_backends[key] = open_backend(
                    cfg, self.layout.cache / "llm-state", self.settings.answer.cache_mb
                )
            return self._route_backends[key]

    def pipeline(self) -> AnswerPipeline:
        """The answer pipeline over this engine's search, embedder and model router."""
        with self._lock:
            if self._pipeline is None:
                from ragtui.core import router
                from ragtui.core.answer import AnswerPipeline
                from ragtui.core.cache import AnswerCache

                cache_dir = self.layout.cache
                self._pipeline = AnswerPipeline(
                    self.settings,
                    search=lambda q, k: self.search(q, k=k).hits,
                    embed=lambda texts: self.embedder.embed_passages(texts),
                    embed_query=lambda q: self.embedder.embed_query(q),
                    backend=self.backend,
                    cache=AnswerCache(cache_dir / "answers", self.settings.answer.cache_mb),
                    router=router.build(
                        self.settings.llm, cache_dir, self.backend, self._route_backend
                    ),
                    tracing=self.tracing,
                    rarity=lambda: self.store.keywords.rarity(),
                )
            return self._pipeline

    @property
    def conversations(self) -> ConversationStore:
        """Stored conversations (``conversations.sqlite`` in the data dir)."""
        with self._lock:
            if self._conversations is None:
                from ragtui.core.conversations import ConversationStore

                self._conversations = ConversationStore(self.layout.conversations)
            return self._conversations

    @property
    def models(self) -> ModelAdmin:
        """List, import, verify and switch models (``ragtui models``)."""
        from ragtui.core.models_admin import ModelAdmin

        return ModelAdmin(self.settings, self.store.embedding_model)

    # folders and indexing ----------------------------------------------------------------
    def folders(self) -> list[str]:
        """Registered folders."""
        return self.library.folders()

    def add_folder(self, folder: Path) -> tuple[str, bool]:
        """Register a folder (absolute path); returns it and whether it was new."""
        return self.library.add_folder(folder)

    def remove_folder(self, folder: Path) -> IndexReport:
        """Unregister a folder and drop its files from the index."""
        return self.library.remove_folder(folder)

    def files(self) -> list[FileInfo]:
        """Every catalogued file with its status, chunk counts, last index time and error."""
        return self.library.files()

    def index(
        self,
        targets: Sequence[Path] | None = None,
        *,
        rebuild: bool = False,
        embed: bool = True,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
    ) -> IndexReport:
        """Sync registered folders (or ``targets``) into both indexes."""
        return self.library.index(
            targets, rebuild=rebuild, embed=embed, cancel=cancel, progress=progress
        )

    def index_documents(
        self,
        documents: Iterable[tuple[str, str, LoadedDocument]],
        *,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
    ) -> IndexReport:
        """Index already-parsed documents given as (path or id, content hash, document)."""
        return self.library.index_documents(documents, cancel=cancel, progress=progress)

    def apply_changes(
        self,
        changed: Sequence[Path],
        *,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
    ) -> IndexReport:
        """Re-sync just these paths (files or folders, present or gone), then embed."""
        return self.library.apply_changes(changed, cancel=cancel, progress=progress)

    def housekeep(self) -> bool:
        """Compact the indexes; True when a later pass would free more disk."""
        return self.store.housekeep()

    # search and answers ------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        mode: SearchMode | None = None,
        path_glob: str | None = None,
        file_types: Sequence[str] = (),
        diversify: bool | None = None,
    ) -> SearchResult:
        """Rank chunks for ``query`` with dense, BM25 or hybrid retrieval."""
        return self.retriever.search(
            query, k=k, mode=mode, path_glob=path_glob, file_types=file_types, diversify=diversify
        )

    def ask(
        self,
        question: str,
        *,
        k: int | None = None,
        use_cache: bool = True,
        on_token: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
        history: Sequence[Exchange] = (),
        route: str | None = None,
    ) -> Answer:
        """Answer a question from the index with the configured model, streaming tokens.

        ``history`` holds the conversation's earlier turns (oldest first): a follow-up is
        searched with the key terms of the latest ones carried over. Setting ``cancel``
        stops the stream at the next token and raises :class:`~ragtui.core.errors.Cancelled`.
        ``route`` names the route of ``llm.routes`` to try first.
        """
        question = fit_request(question, k, "question", "ask something about your documents")
        if not self.catalog.chunk_counts()[0]:
            raise EmptyIndex(
                "Nothing is indexed yet: run `ragtui add PATH` and `ragtui index` first."
            )
        self._load_ahead()
        with self.gate.answering():
            return self.pipeline().ask(
                question,
                k=k,
                use_cache=use_cache,
                on_token=on_token,
                cancel=cancel,
                history=history,
                route=route,
            )

    def _load_ahead(self) -> None:
        """On the first question, load the model and import LanceDB in threads while the
        search does its other work (a cold ``ragtui ask`` spends about half a second and a
        second on them)."""
        with self._lock:
            if self._load_started:
                return
            self._load_started = True
            if not self.store.vectors_open:
                from ragtui.core.index.vectors import import_ahead

                self._ahead.append(import_ahead())
            try:
                backend = self.backend()
            except RagtuiError:
                return  # no model: the answer falls back and says why
            load_ahead = getattr(backend, "load_ahead", None)  # a server has nothing to load
            loading = load_ahead() if load_ahead is not None else None
            if loading is not None:
                self._ahead.append(loading)

    def warm(self) -> list[str]:
        """Load the embedder, open both indexes and load the model (each weight read once),
        so the first question after start answers as fast as the next. Returns what could
        not be warmed (no embedding model, say), as sentences."""
        problems: list[str] = []
        for part in (self._warm_search, self._warm_model):
            try:
                part()
            except RagtuiError as exc:
                problems.append(str(exc))
        return problems

    def _warm_search(self) -> None:
        query = self.embedder.embed_query("warm up")
        if self.catalog.chunk_counts()[0]:
            self.store.keywords.search("warm up", 1)
            self.store.vectors.search(query, 1)

    def _warm_model(self) -> None:
        self.pipeline()
        warm = getattr(self.backend(), "warm", None)  # a remote server has nothing to load
        if warm is not None:
            warm()

    def close(self) -> None:
        """Store pending traces, release files and connections (after a model loading
        ahead has loaded: llama.cpp must not be mid-load when the process ends)."""
        for thread in self._ahead:
            thread.join()
        if self._owns_tracing:
            self.tracing.close()
        else:
            self.tracing.flush()
        self.store.close()
        if self._conversations is not None:
            self._conversations.close()


def create_engine(settings: Settings | None = None, data_dir: Path | None = None) -> Engine:
    """The one factory shells and tests use to build an Engine (over a data dir, and a
    config dir if there is one, readable by this user only)."""
    from ragtui.core import privacy

    data_dir = data_dir or paths.data_dir()
    privacy.open_private(data_dir)
    if paths.config_dir().is_dir():
        privacy.open_private(paths.config_dir(), "The config dir")
    return Engine(settings or load_settings(), data_dir)
