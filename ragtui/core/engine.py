"""The Engine: the one facade the CLI and the TUI call."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragtui import paths
from ragtui.config import SearchMode, Settings, load_settings
from ragtui.core.errors import (
    EmptyIndex,
    IndexLocked,
    IndexModelMismatch,
    ModelInvalid,
    ModelMissing,
    PathProblem,
)
from ragtui.core.index.catalog import KEYWORD_DELETES, VECTORS_DIRTY
from ragtui.core.index.lock import writer_lock
from ragtui.core.index.salvage import open_catalog
from ragtui.core.models import Answer, FileInfo, Hit, Location, Passage, SearchResult
from ragtui.core.trace import Tracing
from ragtui.core.trace_store import TraceRecord

if TYPE_CHECKING:  # the modules below load numpy, the loaders and the indexes: on first use
    from ragtui.core.answer import AnswerPipeline
    from ragtui.core.conversations import ConversationStore
    from ragtui.core.embed import Embedder
    from ragtui.core.eval.runner import EvalProgress, RunResult
    from ragtui.core.eval.runs import RunStore
    from ragtui.core.generate import Backend
    from ragtui.core.index.indexer import Indexer, IndexReport, ProgressFn
    from ragtui.core.index.keywords import KeywordIndex
    from ragtui.core.index.vectors import VectorIndex
    from ragtui.core.ingest.document import LoadedDocument
    from ragtui.core.models_admin import ModelAdmin
    from ragtui.core.rerank import Reranker

_MODEL_KEY, _DIM_KEY = "embed_model", "embed_dim"
_FILES_KEY = "vector_files"  # signature of the vector table's files when last known good
_KEYWORD_REBUILD_RATIO = 0.25  # deleted chunks per live chunk before a keyword rebuild
_DUPLICATE_ROOM = 3  # candidates per wanted hit, so that collapsing copies still leaves k


class Engine:
    """Owns the catalog, both indexes and the models of one data dir."""

    def __init__(self, settings: Settings, data_dir: Path,
                 tracing: Tracing | None = None) -> None:
        self.settings = settings
        self.data_dir = data_dir
        self.catalog, salvaged = open_catalog(data_dir / "catalog.sqlite")
        self.warnings: list[str] = [salvaged] if salvaged else []  # damaged stores mended
        self._keywords: KeywordIndex | None = None
        self._vectors: VectorIndex | None = None
        self._embedder: Embedder | None = None
        self._backend: Backend | None = None
        self._pipeline: AnswerPipeline | None = None
        self._reranker: Reranker | None = None
        self._repairs: list[str] = []  # what opening the indexes had to mend
        self._owns_tracing = tracing is None  # an eval corpus index traces into the user's
        self.tracing = tracing or Tracing(settings.tracing, data_dir / "traces.sqlite")
        if self._owns_tracing:
            self.tracing.store.on_mend = self.warnings.append
        self._conversations: ConversationStore | None = None
        self._lock = threading.RLock()

    # components --------------------------------------------------------------
    @property
    def keywords(self) -> KeywordIndex:
        """The BM25 index, repaired from the catalog if a crash left it behind."""
        with self._lock:
            if self._keywords is None:
                from ragtui.core.index import repair
                from ragtui.core.index.keywords import KeywordIndex, KeywordsDamaged

                try:
                    self._keywords = KeywordIndex(self.data_dir / "tantivy")
                except KeywordsDamaged as exc:
                    self._keywords = self._mend_keywords(exc)
                if repair.keywords_need_repair(self.catalog, self._keywords):
                    self._try_repair(self._repair_keywords)
            return self._keywords

    def _mend_keywords(self, damage: Exception) -> KeywordIndex:
        """Wipe a keyword index Tantivy cannot open and rebuild it from the catalog."""
        from ragtui.core import stores
        from ragtui.core.index import repair
        from ragtui.core.index.keywords import KeywordIndex

        folder = self.data_dir / "tantivy"
        with writer_lock(self.data_dir):
            stores.wipe(folder)
            keywords = KeywordIndex(folder)
            written = repair.repair_keywords(self.catalog, keywords)
        sentence = (f"The keyword index in {folder} was damaged ({stores.brief(damage)}): it "
                    f"was rebuilt from the catalog ({written} chunks).")
        stores.record(self.data_dir, sentence)
        self.warnings.append(sentence)
        self._repairs.append(f"rebuilt the damaged keyword index ({written} chunks)")
        return keywords

    def _repair_keywords(self) -> None:
        """Rebuild the keyword index if it still disagrees (a writer may have just finished)."""
        from ragtui.core.index import repair

        keywords = self._keywords
        if keywords is not None and repair.keywords_need_repair(self.catalog, keywords):
            written = repair.repair_keywords(self.catalog, keywords)
            self._repairs.append(f"rebuilt the keyword index from the catalog ({written} chunks)")

    @property
    def embedder(self) -> Embedder:
        """The embedding model (loaded on first use), with its vector cache."""
        with self._lock:
            if self._embedder is None:
                from ragtui.core.cache import EmbeddingCache
                from ragtui.core.embed import Embedder

                cache = EmbeddingCache(self.data_dir / "cache" / "embeddings",
                                       self.settings.answer.cache_mb)
                self._embedder = Embedder(self.settings.embedding, cache)
            return self._embedder

    def vectors_uri(self) -> str:
        """Where LanceDB keeps the vectors."""
        return self.settings.index.vectors_uri or str(self.data_dir / "lancedb")

    @property
    def vectors(self) -> VectorIndex:
        """The vector index, checked against the configured embedding model."""
        with self._lock:
            if self._vectors is None:
                from ragtui.core.index import repair
                from ragtui.core.index.vectors import VectorIndex

                self._check_model()
                self._vectors = VectorIndex(self.vectors_uri(), self.embedder.dim)
                if repair.vectors_need_repair(self.catalog):
                    vectors = self._vectors
                    self._try_repair(lambda: repair.repair_vectors(self.catalog, vectors))
            return self._vectors

    def _mend_vectors(self, vectors: VectorIndex, damage: Exception) -> bool:
        """Drop a vector table LanceDB cannot read and queue every chunk for embedding
        again (keyword search works meanwhile); False if another process holds the writer
        lock (it mends the table when it next reads it)."""
        from ragtui.core import stores

        try:
            with writer_lock(self.data_dir):
                vectors.reset()
                queued = self.catalog.forget_vectors()
        except IndexLocked:
            return False
        self._vectors = None
        sentence = (f"The vector index in {self.vectors_uri()} was damaged "
                    f"({stores.brief(damage)}): it was "
                    f"dropped and its {queued} chunks were queued for embedding again (by this or "
                    "the next `ragtui index`); keyword search works meanwhile.")
        stores.record(self.data_dir, sentence)
        self.warnings.append(sentence)
        self._repairs.append(f"dropped the damaged vector index and queued {queued} chunks "
                             "for embedding again")
        return True

    def _check_vectors(self, if_changed: bool = False) -> None:
        """Read the stored vector table through and mend it if LanceDB cannot; with
        ``if_changed``, only when its files differ from those last known good (a local
        table's unchanged file list costs a directory walk, not a LanceDB import)."""
        from ragtui.core.index.vectors import VectorsDamaged

        files = self._vector_files()
        if if_changed and files is not None and files == self.catalog.get_meta(_FILES_KEY):
            return
        vectors = self._stored_vectors()
        if vectors is None:
            return
        try:
            vectors.check()
        except VectorsDamaged as exc:
            self._mend_vectors(vectors, exc)
            return
        self._note_vector_files()

    def _vector_files(self) -> str | None:
        """The signature of a local vector table's files (None if not local or absent)."""
        from ragtui.core import stores

        folder = Path(self.vectors_uri()) / "chunks.lance"
        return stores.files_signature(folder) if folder.is_dir() else None

    def _note_vector_files(self) -> None:
        """Remember the vector table's files as known good (after this process wrote or read
        them through)."""
        files = self._vector_files()
        if files is not None:
            self.catalog.set_meta(_FILES_KEY, files)

    def _try_repair(self, job: Callable[[], object]) -> None:
        try:
            with writer_lock(self.data_dir):
                job()
        except IndexLocked:
            pass  # another process is writing; it repairs when it opens the index

    def _check_model(self) -> None:
        stored = self.catalog.get_meta(_MODEL_KEY)
        if stored is None:
            return
        dim = self.catalog.get_meta(_DIM_KEY)
        if stored != self.embedder.model_id or dim != str(self.embedder.dim):
            raise IndexModelMismatch(
                f"This index was built with embedding model {stored} ({dim} dims) but "
                f"{self.embedder.model_id} ({self.embedder.dim} dims) is configured: run "
                f"`ragtui index --rebuild` to re-embed, or configure {stored} again."
            )

    # folders -----------------------------------------------------------------
    def folders(self) -> list[str]:
        """Registered folders."""
        return self.catalog.folders()

    def add_folder(self, folder: Path) -> tuple[str, bool]:
        """Register a folder (absolute path); returns it and whether it was new."""
        resolved = folder.expanduser().resolve()
        if not resolved.exists():
            raise PathProblem(f"{folder} does not exist: check the path and try again.")
        if not resolved.is_dir():
            raise PathProblem(f"{folder} is not a folder: give the folder that contains it.")
        return str(resolved), self.catalog.add_folder(str(resolved))

    def remove_folder(self, folder: Path) -> IndexReport:
        """Unregister a folder and drop its files from the index."""
        resolved = str(folder.expanduser().resolve())
        if not self.catalog.remove_folder(resolved) and not self.catalog.remove_folder(
            str(folder)
        ):
            raise PathProblem(
                f"{folder} is not a registered folder: `ragtui folders` lists them."
            )
        from ragtui.core.index.indexer import IndexReport

        report = IndexReport()
        with writer_lock(self.data_dir):
            self._indexer().forget(resolved, report)
        return report

    # indexing ------------------------------------------------------------------
    def _indexer(self) -> Indexer:
        from ragtui.core.index.indexer import Indexer

        exclude = (self.data_dir,)
        return Indexer(self.catalog, self.keywords, self.settings.ingest, exclude)

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
        roots = self._roots(targets)

        def sync(indexer: Indexer, report: IndexReport) -> None:
            if rebuild:
                self._rebuild()
            indexer.sync(roots, report, cancel, progress)

        return self._write(sync, embed=embed, cancel=cancel, progress=progress,
                           check_vectors=True)

    def index_documents(
        self,
        documents: Iterable[tuple[str, str, LoadedDocument]],
        *,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
    ) -> IndexReport:
        """Index already-parsed documents given as (path or id, content hash, document)."""
        return self._write(
            lambda indexer, report: indexer.upsert_documents(documents, report, cancel, progress),
            cancel=cancel, progress=progress,
        )

    def _write(
        self,
        sync: Callable[[Indexer, IndexReport], None],
        *,
        embed: bool = True,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
        check_vectors: bool = False,
    ) -> IndexReport:
        """Run one writing job under the writer lock, then embed what it left pending (after
        reading the vector table through once, with ``check_vectors``)."""
        from ragtui.core.index.indexer import IndexReport

        started = time.perf_counter()
        report = IndexReport()
        with self.tracing.span("index") as span, writer_lock(self.data_dir):
            indexer = self._indexer()
            with self.tracing.span("index.sync"):
                sync(indexer, report)
            if embed and check_vectors and self.catalog.chunk_counts()[1]:
                self._check_vectors(if_changed=True)  # "100% embedded": readable vectors
            if embed and not report.cancelled:
                before = self._embed_cache_counts()
                with self.tracing.span("index.embed") as embed_span:
                    self._embed(indexer, report, cancel, progress)
                    after = self._embed_cache_counts()
                    embed_span.set_attributes({
                        "ragtui.embed.cache_hits": after[0] - before[0],
                        "ragtui.embed.cache_misses": after[1] - before[1],
                    })
            if embed and report.embedded:
                self._note_vector_files()
            span.set_attributes(_report_attributes(report))
        report.embedded_fraction = _fraction(self.catalog.counts())
        report.seconds = time.perf_counter() - started
        return report

    def _embed_cache_counts(self) -> tuple[int, int]:
        embedder = self._embedder
        return (embedder.cache_hits, embedder.cache_misses) if embedder else (0, 0)

    def _roots(self, targets: Sequence[Path] | None) -> list[tuple[Path, Path | None]]:
        if not targets:
            return [(Path(f), None) for f in self.folders()]
        roots = []
        for target in targets:
            resolved = target.expanduser().resolve()
            if not resolved.exists():
                raise PathProblem(f"{target} does not exist: check the path and try again.")
            roots.append((resolved, self.folder_of(resolved)))
        return roots

    def folder_of(self, path: Path) -> Path | None:
        """The registered folder containing ``path`` (the innermost), if any."""
        best: Path | None = None
        for folder in map(Path, self.folders()):
            if (path == folder or folder in path.parents) and (
                best is None or len(folder.parts) > len(best.parts)
            ):
                best = folder
        return best

    def apply_changes(
        self,
        changed: Sequence[Path],
        *,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
    ) -> IndexReport:
        """Re-sync just these paths (files or folders, present or gone), then embed.

        Present paths go first so that a move re-uses the content it carries
        before its old path is forgotten.
        """
        given = set(changed)
        outermost = [p for p in given if not any(parent in given for parent in p.parents)]
        roots = [(p, self.folder_of(p))
                 for p in sorted(outermost, key=lambda p: (not p.exists(), str(p)))]
        return self._write(
            lambda indexer, report: indexer.sync(roots, report, cancel, progress),
            cancel=cancel, progress=progress,
        )

    def _embed(
        self, indexer: Indexer, report: IndexReport, cancel: threading.Event | None,
        progress: ProgressFn | None,
    ) -> None:
        counts = self.catalog.counts()
        if counts["chunks"] == counts["embedded"] and not self.catalog.released():
            return  # nothing to embed or delete: don't pay for LanceDB and the model
        try:
            vectors = self.vectors
            embedder = self.embedder
        except (ModelMissing, ModelInvalid) as exc:
            report.warnings.append(f"Keyword search only for now. {exc}")
            return
        self.catalog.set_meta(_MODEL_KEY, embedder.model_id)
        self.catalog.set_meta(_DIM_KEY, str(embedder.dim))
        indexer.embed_pending(
            embedder, vectors, self.settings.index.embed_batch_chunks, report, cancel, progress
        )

    def _rebuild(self) -> None:
        """Forget every chunk and vector (files are re-read on the following sync).

        The vector table goes first, under the dirty flag, so a crash half-way
        leaves chunks queued for embedding rather than vectors nobody owns.
        """
        stored = self._stored_vectors()
        if stored is not None:
            self.catalog.set_meta(VECTORS_DIRTY, "1")
            stored.drop()
        with self.catalog.transaction() as db:
            db.execute("DELETE FROM chunks")
            db.execute("DELETE FROM files")
            db.execute("DELETE FROM released")
            db.execute("DELETE FROM meta WHERE key IN (?, ?)", (_MODEL_KEY, _DIM_KEY))
            self.catalog.set_meta(VECTORS_DIRTY, "0", db)
        self.keywords.clear()
        self.keywords.commit()
        self._vectors = None

    # search --------------------------------------------------------------------
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
        cfg = self.settings.retrieval
        query = _request(query, k, "query", "search for something")
        k = k or cfg.k
        mode = mode or cfg.mode
        diversify = cfg.mmr if diversify is None else diversify
        filtered = bool(path_glob or file_types)
        pool = max(cfg.candidates, k) * (10 if filtered else 1)
        with self.tracing.span("search", {
            "openinference.span.kind": "RETRIEVER", "input.value": query,
            "ragtui.retrieve.mode": mode, "ragtui.retrieve.k": k,
        }) as span:
            result = self._search(query, k, mode, pool, path_glob, file_types, diversify)
            self.tracing.extra(span, "documents", _documents(result.hits))
            return result

    def _search(
        self, query: str, k: int, mode: SearchMode, pool: int, path_glob: str | None,
        file_types: Sequence[str], diversify: bool,
    ) -> SearchResult:
        from ragtui.core.retrieve import convex, rrf

        cfg = self.settings.retrieval
        keep = self.settings.tracing.stage_documents
        timings: dict[str, float] = {}
        total, embedded = self.catalog.chunk_counts()
        fraction = embedded / total if total else 1.0
        rankings: dict[str, list[tuple[str, float]]] = {}
        query_vec = None
        if mode in ("hybrid", "bm25"):
            t = time.perf_counter()
            with self.tracing.span("retrieve.bm25") as span:
                rankings["bm25"] = self.keywords.search(query, pool)
                self._stage(span, rankings["bm25"], keep)
            timings["bm25"] = _ms(t)
        if mode in ("hybrid", "dense") and embedded:
            t = time.perf_counter()
            with self.tracing.span("embed.query", {"embedding.model_name":
                                                   self.embedder.model_id}):
                query_vec = self.embedder.embed_query(query)
            timings["embed"] = _ms(t)
            t = time.perf_counter()
            with self.tracing.span("retrieve.dense") as span:
                dense = self._dense(query_vec, pool)
                if dense is not None:
                    rankings["dense"] = dense
                    self._stage(span, dense, keep)
            timings["dense"] = _ms(t)
            if dense is None and "bm25" not in rankings:  # dense only, and the table is gone
                rankings["bm25"] = self.keywords.search(query, pool)
        t = time.perf_counter()
        with self.tracing.span("retrieve.fusion", {"ragtui.fusion": cfg.fusion}) as span:
            if len(rankings) > 1:
                weights = {"dense": cfg.dense_weight, "bm25": cfg.bm25_weight}
                if cfg.fusion == "rrf":
                    fused = rrf(rankings, weights, cfg.rrf_k)
                else:
                    fused = convex(rankings, weights)
            else:
                fused = next(iter(rankings.values()), [])
            self._stage(span, fused, keep)
        timings["fusion"] = _ms(t)
        if cfg.reranker_dir is not None and fused:
            t = time.perf_counter()
            with self.tracing.span("retrieve.rerank", {"ragtui.rerank.model":
                                                       str(cfg.reranker_dir)}) as span:
                fused = self._rerank(query, fused, cfg.rerank_candidates)
                rankings["rerank"] = fused
                self._stage(span, fused, keep)
            timings["rerank"] = _ms(t)
        hits = self._hits(query, fused, rankings, k, path_glob, file_types, diversify, query_vec)
        return SearchResult(
            query=query, mode=mode, hits=tuple(hits), embedded_fraction=fraction,
            timings_ms=timings,
        )

    def _dense(self, query_vec: Any, pool: int) -> list[tuple[str, float]] | None:
        """The dense ranking, or None when the vector table turned out damaged (it is
        dropped and re-queued)."""
        from ragtui.core.index.vectors import VectorsDamaged

        vectors = self.vectors
        try:
            return vectors.search(query_vec, pool)
        except VectorsDamaged as exc:
            self._mend_vectors(vectors, exc)
            return None

    def _stage(self, span: Any, ranking: list[tuple[str, float]], keep: int) -> None:
        """A retrieval stage's candidate count, and its top chunk ids and scores."""
        span.set_attribute("ragtui.retrieve.candidates", len(ranking))
        self.tracing.extra(span, "ranking", ranking[:keep])

    def _rerank(self, query: str, fused: list[tuple[str, float]], candidates: int,
                ) -> list[tuple[str, float]]:
        """Re-score the top fused chunks with the cross-encoder; the rest keep their order
        below them."""
        with self._lock:
            if self._reranker is None:
                from ragtui.core.rerank import Reranker

                reranker_dir = self.settings.retrieval.reranker_dir
                assert reranker_dir is not None
                self._reranker = Reranker(reranker_dir, self.settings.embedding.threads)
        top = [cid for cid, _ in fused[:candidates]]
        texts = self.chunk_texts(top)
        present = [cid for cid in top if cid in texts]
        scores = self._reranker.scores(query, [texts[cid][1] for cid in present])
        ranked = sorted(zip(present, scores, strict=True), key=lambda p: -p[1])
        return ranked + [(cid, s) for cid, s in fused[candidates:]]

    def _hits(
        self, query: str, fused: list[tuple[str, float]],
        rankings: dict[str, list[tuple[str, float]]], k: int, path_glob: str | None,
        file_types: Sequence[str], diversify: bool, query_vec: object,
    ) -> list[Hit]:
        from ragtui.core.retrieve import collapse_duplicates, mmr, path_matches, snippet

        wanted = k * 4 if diversify else k
        fetch = wanted * _DUPLICATE_ROOM * (10 if (path_glob or file_types) else 1)
        chunks = self.catalog.chunks([cid for cid, _ in fused[:fetch]])
        paths = self.catalog.paths_for_hashes(c.hash for c in chunks.values())
        order = [
            (cid, score) for cid, score in fused
            if cid in chunks and paths.get(chunks[cid].hash)
            and path_matches(paths[chunks[cid].hash], path_glob, file_types)
        ][:wanted * _DUPLICATE_ROOM]
        groups = collapse_duplicates([cid for cid, _ in order],
                                     {cid: chunks[cid].text for cid, _ in order})
        copies = {cid: [p for dup in absorbed for p in paths[chunks[dup].hash]]
                  for cid, absorbed in groups.items()}
        order = [(cid, score) for cid, score in order if cid in groups][:wanted]
        if diversify and query_vec is not None and len(order) > k and self._vectors:
            with self.tracing.span("retrieve.mmr") as span:
                vecs = self.vectors.vectors_for([cid for cid, _ in order])
                keep = mmr(query_vec, [cid for cid, _ in order], vecs,  # type: ignore[arg-type]
                           k, self.settings.retrieval.mmr_lambda)
                score_of = dict(order)
                order = [(cid, score_of[cid]) for cid in keep]
                self._stage(span, order, k)
        per_stage = {name: {cid: (rank, s) for rank, (cid, s) in enumerate(r, 1)}
                     for name, r in rankings.items()}
        hits = []
        for cid, score in order[:k]:
            chunk = chunks[cid]
            where = paths[chunk.hash]
            also = [p for p in dict.fromkeys([*where[1:], *copies.get(cid, [])])
                    if p != where[0]]
            hits.append(
                Hit(
                    chunk_id=cid, path=where[0], also_at=tuple(also),
                    location=Location(page=chunk.page, heading=chunk.heading,
                                      line_start=chunk.line_start, line_end=chunk.line_end),
                    score=score,
                    scores={n: v[cid][1] for n, v in per_stage.items() if cid in v},
                    ranks={n: v[cid][0] for n, v in per_stage.items() if cid in v},
                    snippet=snippet(chunk.text, query), text=chunk.text, context=chunk.context,
                )
            )
        return hits

    def chunk_texts(self, chunk_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """(path, text with its heading context) of each chunk still in the index."""
        chunks = self.catalog.chunks(chunk_ids)
        paths = self.catalog.paths_for_hashes(c.hash for c in chunks.values())
        return {cid: (paths.get(c.hash, [""])[0],
                      f"{c.context}\n{c.text}" if c.context else c.text)
                for cid, c in chunks.items()}

    # answers -----------------------------------------------------------------------
    def backend(self) -> Backend:
        """The configured generation backend (the model loads on first use)."""
        with self._lock:
            if self._backend is None:
                self._backend = self._make_backend()
            return self._backend

    def _make_backend(self) -> Backend:
        from ragtui.core import model_store
        from ragtui.core.generate import LlamaCppBackend, OpenAIBackend

        cfg = self.settings.llm
        fmt: str = cfg.prompt_format
        if cfg.backend == "openai":
            return OpenAIBackend(cfg, "completion" if fmt == "auto" else fmt)
        if cfg.model_path is not None:
            path = cfg.model_path.expanduser()
            if fmt == "auto" and path.is_file():
                from ragtui.core.gguf import prompt_format

                fmt = prompt_format(path)
        else:
            entry = model_store.llm_entry(cfg.model)
            if entry is None:
                raise ModelMissing(
                    f"Unknown language model {cfg.model!r}: use a name from models.toml or set "
                    "llm.model_path to a GGUF file."
                )
            path = model_store.assemble_llm(entry)
            fmt = entry.prompt_format if fmt == "auto" else fmt
        from ragtui.core.cache import DisposableCache

        states = DisposableCache(self.data_dir / "cache" / "llm-state",
                                 self.settings.answer.cache_mb)
        return LlamaCppBackend(path, cfg, fmt, states)

    def pipeline(self) -> AnswerPipeline:
        """The answer pipeline over this engine's search, embedder and model."""
        with self._lock:
            if self._pipeline is None:
                from ragtui.core.answer import AnswerPipeline, Breaker
                from ragtui.core.cache import AnswerCache

                cache_dir = self.data_dir / "cache"
                self._pipeline = AnswerPipeline(
                    self.settings,
                    search=lambda q, k: self.search(q, k=k).hits,
                    embed=lambda texts: self.embedder.embed_passages(texts),
                    embed_query=lambda q: self.embedder.embed_query(q),
                    backend=self.backend,
                    cache=AnswerCache(cache_dir / "answers", self.settings.answer.cache_mb),
                    breaker=Breaker(cache_dir / f"llm-breaker-{self._model_key()}.json",
                                    self.settings.llm.breaker_s),
                    tracing=self.tracing,
                )
            return self._pipeline

    def _model_key(self) -> str:
        """Short id of the configured model and where it runs (one breaker per model)."""
        import hashlib

        cfg = self.settings.llm
        where = [cfg.backend, str(cfg.model_path or cfg.model), cfg.base_url]
        return hashlib.sha256("|".join(where).encode()).hexdigest()[:12]

    def ask(self, question: str, *, k: int | None = None, use_cache: bool = True,
            on_token: Callable[[str], None] | None = None,
            cancel: threading.Event | None = None) -> Answer:
        """Answer a question from the index with the configured model, streaming tokens.

        Setting ``cancel`` stops the stream at the next token and raises
        :class:`~ragtui.core.errors.Cancelled`.
        """
        question = _request(question, k, "question", "ask something about your documents")
        if not self.catalog.chunk_counts()[0]:
            raise EmptyIndex(
                "Nothing is indexed yet: run `ragtui add PATH` and `ragtui index` first."
            )
        return self.pipeline().ask(question, k=k, use_cache=use_cache, on_token=on_token,
                                   cancel=cancel)

    # conversations and library -----------------------------------------------------
    @property
    def conversations(self) -> ConversationStore:
        """Stored conversations (``conversations.sqlite`` in the data dir)."""
        with self._lock:
            if self._conversations is None:
                from ragtui.core.conversations import ConversationStore

                self._conversations = ConversationStore(self.data_dir / "conversations.sqlite")
            return self._conversations

    def files(self) -> list[FileInfo]:
        """Every catalogued file with its status, chunk counts, last index time and error."""
        return [
            FileInfo(path=row.path, status=row.status, size=row.size, chunks=chunks,
                     embedded=embedded, indexed_at=row.indexed_at, loader=row.loader,
                     error=row.error)
            for row, chunks, embedded in self.catalog.file_table()
        ]

    def passages(self, chunk_ids: Sequence[str]) -> dict[str, Passage]:
        """Stored chunks by id with their text and first path (ids no longer stored are
        absent)."""
        chunks = self.catalog.chunks(list(chunk_ids))
        paths = self.catalog.paths_for_hashes(c.hash for c in chunks.values())
        found = {}
        for cid, chunk in chunks.items():
            where = paths.get(chunk.hash)
            if not where:
                continue
            found[cid] = Passage(
                chunk_id=cid, path=where[0], text=chunk.text, context=chunk.context,
                location=Location(page=chunk.page, heading=chunk.heading,
                                  line_start=chunk.line_start, line_end=chunk.line_end),
            )
        return found

    # health ------------------------------------------------------------------------
    def repair(self) -> list[str]:
        """Start-up repair: rebuild a keyword index a crash left behind, fix vectors from the
        catalog, and finish queued vector deletions. Returns what was done."""
        from ragtui.core.index import repair

        with writer_lock(self.data_dir):
            self.keywords  # noqa: B018 - opening it repairs it
            self._repair_keywords()
            self._check_vectors()
            done = list(self._repairs)
            vectors = self._stored_vectors()
            if vectors is not None:
                if repair.vectors_need_repair(self.catalog):
                    dropped, queued = repair.repair_vectors(self.catalog, vectors)
                    done.append(
                        f"repaired the vector index ({dropped} stray rows removed, "
                        f"{queued} chunks queued for embedding)"
                    )
                released = self.catalog.released()
                if released:
                    self._indexer().drop_released(vectors)
                    done.append(f"removed vectors of {len(released)} deleted files")
                self._note_vector_files()
        return done

    def housekeep(self) -> bool:
        """Compact the vector table and prune its old versions, vacuum the catalog and drop
        unused keyword segments (the watcher calls this when folders go quiet).

        Returns True when table versions younger than the retention window remain,
        so another pass later would free more disk.
        """
        from ragtui.core.index import repair

        remaining = False
        with writer_lock(self.data_dir):
            vectors = self._stored_vectors()
            if vectors is not None and vectors.versions() > 1:
                vectors.optimize()
                remaining = vectors.versions() > 1
                self._note_vector_files()
            deletes = int(self.catalog.get_meta(KEYWORD_DELETES) or 0)
            if deletes > _KEYWORD_REBUILD_RATIO * max(self.catalog.chunk_counts()[0], 100):
                repair.repair_keywords(self.catalog, self.keywords)  # no deleted docs left
            self.keywords.compact()
            self.catalog.compact()
        return remaining

    def _stored_vectors(self) -> VectorIndex | None:
        """The vector index as stored (dimension from the catalog), without loading a model."""
        from ragtui.core.index.vectors import VectorIndex

        dim = self.catalog.get_meta(_DIM_KEY)
        if dim is None:
            return None
        vectors = VectorIndex(self.vectors_uri(), int(dim))
        return vectors if vectors.exists() else None

    def doctor(self) -> dict[str, Any]:
        """Repair what a crash left, then report whether the catalog and both indexes agree."""
        from ragtui.core.index import health

        repaired = self.repair()
        report = health.consistency(self.catalog, self.keywords, self._stored_vectors())
        report["repaired"] = repaired
        report["data_dir"] = str(self.data_dir)
        return report

    # evaluation ----------------------------------------------------------------------
    def _eval_store(self) -> RunStore:
        from ragtui.core.eval.runs import RunStore

        return RunStore(self.data_dir / "evals" / "runs.sqlite")

    def run_eval(
        self, dataset: Path, *, name: str | None = None, limit: int | None = None,
        overrides: dict[str, Any] | None = None, resume: str | None = None,
        retrieval_only: bool = False, judge: bool = True, workers: int | None = None,
        cancel: threading.Event | None = None, progress: EvalProgress | None = None,
    ) -> RunResult:
        """Run a dataset through this engine's pipeline and store the scored run."""
        from ragtui.core.eval.runner import EvalRunner

        store = self._eval_store()
        runner = EvalRunner(self, store, retrieval_only=retrieval_only, judge=judge,
                            workers=workers)
        try:
            return runner.run(dataset, name=name, limit=limit, overrides=overrides,
                              resume=resume, cancel=cancel, progress=progress)
        finally:
            runner.close()
            store.close()

    def eval_runs(self) -> list[dict[str, Any]]:
        """Stored eval runs, newest first."""
        store = self._eval_store()
        try:
            return store.all()
        finally:
            store.close()

    def eval_run(self, run: str, *, with_cases: bool = True) -> dict[str, Any]:
        """One stored run (by id, id prefix or name), with its cases."""
        store = self._eval_store()
        try:
            found = store.get(run)
            if found is None:
                raise PathProblem(f"No eval run matches {run!r}: `ragtui eval list` shows them.")
            if with_cases:
                found["cases"] = store.cases(found["run_id"])
            return found
        finally:
            store.close()

    def generate_eval(self, count: int, out: Path, seed: int = 0,
                      progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """Write ``count`` synthetic cases from this index (a question per sampled chunk)."""
        from ragtui.core.eval.dataset import write_cases
        from ragtui.core.eval.generate import generate_cases

        if not self.catalog.chunk_counts()[0]:
            raise EmptyIndex("Nothing is indexed yet: run `ragtui add PATH` and `ragtui index` "
                             "first, then generate cases from it.")
        rows = list(self.catalog.all_chunks())
        paths = self.catalog.paths_for_hashes(c.hash for c in rows)
        chunks = [(c.chunk_id, paths[c.hash][0], c.text) for c in rows if paths.get(c.hash)]
        cases, report = generate_cases(chunks, self.backend(), count, seed, progress)
        write_cases(out, cases)
        return report | {"out": str(out)}

    def adversarial(self) -> dict[str, Any]:
        """Run the adversarial suite in its own index; defense rate per attack type."""
        from ragtui.core.eval.adversarial import run_adversarial

        return run_adversarial(self, self.data_dir / "evals" / "adversarial")

    def compare_evals(self, a: str, b: str, tolerance: float = 0.02) -> dict[str, Any]:
        """Per-metric deltas of run ``b`` against run ``a`` with paired significance."""
        from ragtui.core.eval.compare import compare

        first, second = self.eval_run(a), self.eval_run(b)
        return compare(first, first["cases"], second, second["cases"], tolerance)

    # traces and stats ----------------------------------------------------------------
    def traces(self, limit: int = 20, name: str | None = None) -> list[TraceRecord]:
        """Newest traces first (without spans)."""
        return self.tracing.store.recent(limit, name)

    def trace(self, trace_id: str) -> TraceRecord:
        """One trace with its spans, by id or unique id prefix."""
        found = self.tracing.store.get(trace_id)
        if found is None:
            raise PathProblem(
                f"No single trace matches {trace_id!r}: `ragtui traces list` shows the ids."
            )
        return found

    def last_trace(self, name: str | None = None) -> TraceRecord:
        """The newest trace (of that kind), with its spans."""
        found = self.tracing.store.last(name)
        if found is None:
            raise PathProblem("No traces are stored yet: ask or search something first.")
        return found

    def export_traces(self, destination: Path, *, since: str = "all", limit: int | None = None,
                      ) -> int:
        """Write traces as OTLP JSON (what Phoenix or any OTLP collector reads); returns how
        many."""
        import json

        from ragtui.core import otlp
        from ragtui.core.stats import since_ns

        store = self.tracing.store
        start = self._window(since, since_ns)
        chosen = [t for t in store.recent(limit or max(store.count(), 1)) if t.start_ns >= start]
        full = [t for t in (store.get(t.trace_id) for t in chosen) if t is not None]
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(json.dumps(otlp.document(full)))
        return len(full)

    def purge_traces(self, older_than: str | None = None) -> int:
        """Delete all traces, or those older than a window like ``7d``; returns how many."""
        from ragtui.core.stats import since_ns

        if older_than is None:
            return self.tracing.store.purge()
        return self.tracing.store.prune(older_than_ns=self._window(older_than, since_ns))

    def stats(self, since: str = "24h") -> dict[str, Any]:
        """Latency, throughput, cache, cost, energy and index figures for a time window."""
        import psutil

        from ragtui.core import stats

        start = self._window(since, stats.since_ns)
        process = psutil.Process()
        current = {"rss_bytes": process.memory_info().rss,
                   "cpu_s": sum(process.cpu_times()[:2])}
        figures = stats.compute(self.tracing.store, self.settings.stats, start,
                                index=self.index_size(), process=current)
        return {"since": since, **figures}

    @staticmethod
    def _window(since: str, parse: Callable[[str], int]) -> int:
        try:
            return parse(since)
        except ValueError as exc:
            raise PathProblem(f"{str(exc).capitalize()}.") from None

    def index_size(self) -> dict[str, Any]:
        """Files, chunks and bytes on disk of the catalog and both indexes."""
        counts = self.catalog.counts()
        parts = {"catalog": self.data_dir.glob("catalog.sqlite*"),
                 "keywords": (self.data_dir / "tantivy").rglob("*"),
                 "vectors": (self.data_dir / "lancedb").rglob("*")}
        sizes = {name: sum(p.stat().st_size for p in files if p.is_file())
                 for name, files in parts.items()}
        return {"files": counts["indexed"], "failed": counts["failed"],
                "skipped": counts["skipped"], "chunks": counts["chunks"],
                "embedded": counts["embedded"],
                "bytes_on_disk": sum(sizes.values()), "bytes": sizes}

    @property
    def models(self) -> ModelAdmin:
        """List, import, verify and switch models (``ragtui models``)."""
        from ragtui.core.models_admin import ModelAdmin

        return ModelAdmin(self.settings, lambda: self.catalog.get_meta(_MODEL_KEY))

    # status ------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Files by status, chunks and embedded chunks."""
        return self.catalog.counts()

    def close(self) -> None:
        """Store pending traces, release files and connections."""
        if self._owns_tracing:
            self.tracing.close()
        else:
            self.tracing.flush()
        self.catalog.close()
        if self._conversations is not None:
            self._conversations.close()


MAX_K = 1000  # eval beir ranks 300 for Recall@100; -k 1e20 must not reach LanceDB


def _request(text: str, k: int | None, what: str, fix: str) -> str:
    """A query or question fit to run: undecodable bytes (from a terminal argument) become
    U+FFFD; an empty text or a ``k`` out of range is one sentence."""
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if not text.strip():
        raise PathProblem(f"The {what} is empty: {fix}.")
    if k is not None and not 1 <= k <= MAX_K:
        raise PathProblem(
            f"k must be from 1 to {MAX_K}, not {k}: pick a number of results in that range."
        )
    return text


def _report_attributes(report: IndexReport) -> dict[str, Any]:
    """An index batch's counts as span attributes."""
    counts = {name: getattr(report, name) for name in (
        "added", "updated", "removed", "unchanged", "skipped", "failed", "chunks", "embedded")}
    attributes: dict[str, Any] = {f"ragtui.index.{k}": v for k, v in counts.items()}
    attributes["ragtui.index.cancelled"] = report.cancelled
    if report.errors:
        attributes["ragtui.index.errors"] = [f"{path}: {why}" for path, why in report.errors[:20]]
    return attributes


def _documents(hits: Sequence[Hit]) -> list[tuple[str, float, str, str]]:
    """The final hits for the trace's OpenInference ``retrieval.documents.*``."""
    return [(h.chunk_id, float(h.score), h.snippet, h.path) for h in hits]


def _fraction(counts: dict[str, int]) -> float:
    return 1.0 if not counts["chunks"] else counts["embedded"] / counts["chunks"]


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


def create_engine(settings: Settings | None = None, data_dir: Path | None = None) -> Engine:
    """The one factory shells and tests use to build an Engine (over a data dir, and a
    config dir if there is one, readable by this user only)."""
    from ragtui.core import privacy

    data_dir = data_dir or paths.data_dir()
    privacy.open_private(data_dir)
    if paths.config_dir().is_dir():
        privacy.open_private(paths.config_dir(), "The config dir")
    return Engine(settings or load_settings(), data_dir)
