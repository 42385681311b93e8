"""The index store: the catalog and both indexes of one data dir, opened lazily under one
lock, mended when damaged, repaired after a crash, written under the writer lock,
housekept and rebuilt."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragtui.config import Settings
from ragtui.core.errors import IndexLocked, IndexModelMismatch, ModelInvalid, ModelMissing
from ragtui.core.index.catalog import (
    EMBED_DIM,
    EMBED_MODEL,
    KEYWORD_DELETES,
    VECTOR_FILES,
    VECTORS_DIRTY,
)
from ragtui.core.index.lock import writer_lock
from ragtui.core.index.salvage import open_catalog
from ragtui.core.reports import IndexHealth, IndexSize
from ragtui.core.trace import Tracing
from ragtui.paths import DataLayout

if TYPE_CHECKING:  # the modules below load numpy, the loaders and the indexes: on first use
    from ragtui.core.embed import Embedder
    from ragtui.core.index.indexer import Indexer, IndexReport, ProgressFn
    from ragtui.core.index.keywords import KeywordIndex
    from ragtui.core.index.vectors import VectorIndex

_KEYWORD_REBUILD_RATIO = 0.25  # deleted chunks per live chunk before a keyword rebuild

WriteJob = Callable[["Indexer", "IndexReport"], None]


class IndexStore:
    """The catalog, the keyword and vector indexes and the embedding model that fills the
    vectors; every open index agrees with the catalog."""

    def __init__(self, settings: Settings, layout: DataLayout, tracing: Tracing) -> None:
        self.settings = settings
        self.layout = layout
        self.tracing = tracing
        self.catalog, salvaged = open_catalog(layout.catalog)
        self.warnings: list[str] = [salvaged] if salvaged else []  # damaged stores mended
        self._keywords: KeywordIndex | None = None
        self._vectors: VectorIndex | None = None
        self._embedder: Embedder | None = None
        self._repairs: list[str] = []  # what opening the indexes had to mend
        self._lock = threading.RLock()

    # opening -------------------------------------------------------------------------
    @property
    def keywords(self) -> KeywordIndex:
        """The BM25 index, repaired from the catalog if a crash left it behind."""
        with self._lock:
            if self._keywords is None:
                from ragtui.core.index import repair
                from ragtui.core.index.keywords import KeywordIndex, KeywordsDamaged

                try:
                    self._keywords = KeywordIndex(self.layout.tantivy)
                except KeywordsDamaged as exc:
                    self._keywords = self._mend_keywords(exc)
                if repair.keywords_need_repair(self.catalog, self._keywords):
                    self._try_repair(self._repair_keywords)
            return self._keywords

    @property
    def embedder(self) -> Embedder:
        """The embedding model (loaded on first use), with its vector cache."""
        with self._lock:
            if self._embedder is None:
                from ragtui.core.cache import EmbeddingCache
                from ragtui.core.embed import Embedder

                cache = EmbeddingCache(
                    self.layout.cache / "embeddings", self.settings.answer.cache_mb
                )
                self._embedder = Embedder(self.settings.embedding, cache)
            return self._embedder

    def vectors_uri(self) -> str:
        """Where LanceDB keeps the vectors."""
        return self.settings.index.vectors_uri or str(self.layout.lancedb)

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

    @property
    def vectors_open(self) -> bool:
        """Whether this process has opened the vector index already."""
        return self._vectors is not None

    def stored_vectors(self) -> VectorIndex | None:
        """The vector index as stored (dimension from the catalog), without loading a model."""
        from ragtui.core.index.vectors import VectorIndex

        dim = self.catalog.get_meta(EMBED_DIM)
        if dim is None:
            return None
        vectors = VectorIndex(self.vectors_uri(), int(dim))
        return vectors if vectors.exists() else None

    def _check_model(self) -> None:
        stored = self.catalog.get_meta(EMBED_MODEL)
        if stored is None:
            return
        dim = self.catalog.get_meta(EMBED_DIM)
        if stored != self.embedder.model_id or dim != str(self.embedder.dim):
            raise IndexModelMismatch(
                f"This index was built with embedding model {stored} ({dim} dims) but "
                f"{self.embedder.model_id} ({self.embedder.dim} dims) is configured: run "
                f"`ragtui index --rebuild` to re-embed, or configure {stored} again."
            )

    # mending -------------------------------------------------------------------------
    def _mend_keywords(self, damage: Exception) -> KeywordIndex:
        """Wipe a keyword index Tantivy cannot open and rebuild it from the catalog."""
        from ragtui.core import stores
        from ragtui.core.index import repair
        from ragtui.core.index.keywords import KeywordIndex

        folder = self.layout.tantivy
        with writer_lock(self.layout.root):
            stores.wipe(folder)
            keywords = KeywordIndex(folder)
            written = repair.repair_keywords(self.catalog, keywords)
        sentence = (
            f"The keyword index in {folder} was damaged ({stores.brief(damage)}): it "
            f"was rebuilt from the catalog ({written} chunks)."
        )
        stores.record(self.layout.root, sentence)
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

    def mend_vectors(self, vectors: VectorIndex, damage: Exception) -> bool:
        """Drop a vector table LanceDB cannot read and queue every chunk for embedding
        again (keyword search works meanwhile); False if another process holds the writer
        lock (it mends the table when it next reads it)."""
        from ragtui.core import stores

        try:
            with writer_lock(self.layout.root):
                vectors.reset()
                queued = self.catalog.forget_vectors()
        except IndexLocked:
            return False
        self._vectors = None
        sentence = (
            f"The vector index in {self.vectors_uri()} was damaged "
            f"({stores.brief(damage)}): it was "
            f"dropped and its {queued} chunks were queued for embedding again (by this or "
            "the next `ragtui index`); keyword search works meanwhile."
        )
        stores.record(self.layout.root, sentence)
        self.warnings.append(sentence)
        self._repairs.append(
            f"dropped the damaged vector index and queued {queued} chunks for embedding again"
        )
        return True

    def _check_vectors(self, if_changed: bool = False) -> None:
        """Read the stored vector table through and mend it if LanceDB cannot; with
        ``if_changed``, only when its files differ from those last known good (a local
        table's unchanged file list costs a directory walk, not a LanceDB import)."""
        from ragtui.core.index.vectors import VectorsDamaged

        files = self._vector_files()
        if if_changed and files is not None and files == self.catalog.get_meta(VECTOR_FILES):
            return
        vectors = self.stored_vectors()
        if vectors is None:
            return
        try:
            vectors.check()
        except VectorsDamaged as exc:
            self.mend_vectors(vectors, exc)
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
            self.catalog.set_meta(VECTOR_FILES, files)

    def _try_repair(self, job: Callable[[], object]) -> None:
        try:
            with writer_lock(self.layout.root):
                job()
        except IndexLocked:
            pass  # another process is writing; it repairs when it opens the index

    # writing -------------------------------------------------------------------------
    def indexer(self) -> Indexer:
        """An indexer over the catalog and the keyword index (the data dir is never read)."""
        from ragtui.core.index.indexer import Indexer

        exclude = (self.layout.root,)
        return Indexer(self.catalog, self.keywords, self.settings.ingest, exclude)

    def write(
        self,
        sync: WriteJob,
        *,
        embed: bool = True,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
        check_vectors: bool = False,
        rebuild: bool = False,
    ) -> IndexReport:
        """Run one writing job under the writer lock (after forgetting everything, with
        ``rebuild``), then embed what it left pending (after reading the vector table
        through once, with ``check_vectors``)."""
        from ragtui.core.index.indexer import IndexReport

        started = time.perf_counter()
        report = IndexReport()
        with self.tracing.span("index") as span, writer_lock(self.layout.root):
            indexer = self.indexer()
            with self.tracing.span("index.sync"):
                if rebuild:
                    self._rebuild()
                sync(indexer, report)
            if embed and check_vectors and self.catalog.chunk_counts()[1]:
                self._check_vectors(if_changed=True)  # "100% embedded": readable vectors
            if embed and not report.cancelled:
                before = self._embed_cache_counts()
                with self.tracing.span("index.embed") as embed_span:
                    self._embed(indexer, report, cancel, progress)
                    after = self._embed_cache_counts()
                    embed_span.set_attributes(
                        {
                            "ragtui.embed.cache_hits": after[0] - before[0],
                            "ragtui.embed.cache_misses": after[1] - before[1],
                        }
                    )
            if embed and report.embedded:
                self._note_vector_files()
            span.set_attributes(_report_attributes(report))
        report.embedded_fraction = _fraction(self.catalog.counts())
        report.seconds = time.perf_counter() - started
        return report

    def _embed_cache_counts(self) -> tuple[int, int]:
        embedder = self._embedder
        return (embedder.cache_hits, embedder.cache_misses) if embedder else (0, 0)

    def _embed(
        self,
        indexer: Indexer,
        report: IndexReport,
        cancel: threading.Event | None,
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
        self.catalog.set_meta(EMBED_MODEL, embedder.model_id)
        self.catalog.set_meta(EMBED_DIM, str(embedder.dim))
        indexer.embed_pending(
            embedder, vectors, self.settings.index.embed_batch_chunks, report, cancel, progress
        )

    def _rebuild(self) -> None:
        """Forget every chunk and vector (files are re-read on the following sync).

        The vector table goes first, under the dirty flag, so a crash half-way
        leaves chunks queued for embedding rather than vectors nobody owns.
        """
        stored = self.stored_vectors()
        if stored is not None:
            self.catalog.set_meta(VECTORS_DIRTY, "1")
            stored.drop()
        self.catalog.forget_all()
        self.keywords.clear()
        self.keywords.commit()
        self._vectors = None

    # health --------------------------------------------------------------------------
    def repair(self) -> list[str]:
        """Start-up repair: rebuild a keyword index a crash left behind, fix vectors from the
        catalog, and finish queued vector deletions. Returns what was done."""
        from ragtui.core.index import repair

        with writer_lock(self.layout.root):
            self.keywords  # noqa: B018 - opening it repairs it
            self._repair_keywords()
            self._check_vectors()
            done = list(self._repairs)
            vectors = self.stored_vectors()
            if vectors is not None:
                if repair.vectors_need_repair(self.catalog):
                    dropped, queued = repair.repair_vectors(self.catalog, vectors)
                    done.append(
                        f"repaired the vector index ({dropped} stray rows removed, "
                        f"{queued} chunks queued for embedding)"
                    )
                released = self.catalog.released()
                if released:
                    self.indexer().drop_released(vectors)
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
        with writer_lock(self.layout.root):
            vectors = self.stored_vectors()
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

    def health(self) -> IndexHealth:
        """Repair what a crash left, then report whether the catalog and both indexes agree."""
        from ragtui.core.index import health

        repaired = self.repair()
        return health.consistency(
            self.catalog,
            self.keywords,
            self.stored_vectors(),
            repaired=repaired,
            data_dir=self.layout.root,
        )

    def size(self) -> IndexSize:
        """Files, chunks and bytes on disk of the catalog and both indexes."""
        counts = self.catalog.counts()
        root = self.layout.root
        parts = {
            "catalog": root.glob(self.layout.catalog.name + "*"),
            "keywords": self.layout.tantivy.rglob("*"),
            "vectors": self.layout.lancedb.rglob("*"),
        }
        sizes = {
            name: sum(p.stat().st_size for p in files if p.is_file())
            for name, files in parts.items()
        }
        return IndexSize(
            files=counts["indexed"],
            failed=counts["failed"],
            skipped=counts["skipped"],
            chunks=counts["chunks"],
            embedded=counts["embedded"],
            bytes_on_disk=sum(sizes.values()),
            bytes=sizes,
        )

    def embedding_model(self) -> str | None:
        """The embedding model the vectors were built with (None before any)."""
        return self.catalog.get_meta(EMBED_MODEL)

    def close(self) -> None:
        """Release the catalog's connections."""
        self.catalog.close()


def _report_attributes(report: IndexReport) -> dict[str, Any]:
    """An index batch's counts as span attributes."""
    counts = {
        name: getattr(report, name)
        for name in (
            "added",
            "updated",
            "removed",
            "unchanged",
            "skipped",
            "failed",
            "chunks",
            "embedded",
        )
    }
    attributes: dict[str, Any] = {f"ragtui.index.{k}": v for k, v in counts.items()}
    attributes["ragtui.index.cancelled"] = report.cancelled
    if report.errors:
        attributes["ragtui.index.errors"] = [f"{path}: {why}" for path, why in report.errors[:20]]
    return attributes


def _fraction(counts: dict[str, int]) -> float:
    return 1.0 if not counts["chunks"] else counts["embedded"] / counts["chunks"]
