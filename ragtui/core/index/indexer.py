"""Syncing folders into the catalog and both indexes, in two phases.

Phase 1 parses changed files, stores their chunks in the catalog and the BM25
index (searchable at once). Phase 2 embeds chunks that have no vector yet and
writes them to LanceDB; it resumes where an interrupted run stopped.

Crash safety: before an index is mutated a ``dirty`` flag is set in the catalog
(in the same transaction as the catalog change); it is cleared once the index
has committed. A set flag on start-up means the index is repaired from the
catalog (see :mod:`ragtui.core.index.repair`).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ragtui.config import IngestSettings
from ragtui.core.embed import Embedder
from ragtui.core.index.catalog import (
    EMPTY,
    FAILED,
    INDEXED,
    KEYWORD_DELETES,
    KEYWORDS_DIRTY,
    RECHECK_MTIME,
    SKIPPED,
    VECTOR_WRITES,
    VECTORS_DIRTY,
    Catalog,
    FileRow,
)
from ragtui.core.index.keywords import KeywordIndex
from ragtui.core.index.vectors import VectorIndex
from ragtui.core.ingest import loaders, ocr
from ragtui.core.ingest.chunking import Chunk, chunk_document
from ragtui.core.ingest.document import LoadedDocument, LoaderError, Unsupported
from ragtui.core.ingest.reader import FileLimits, ReadCancelled, Reader
from ragtui.core.ingest.scan import ScanEntry, scan

_FLUSH_FILES = 64
_FLUSH_CHUNKS = 2000
_OPTIMIZE_AFTER_WRITES = 20


@dataclass(frozen=True, slots=True)
class Progress:
    """One progress report: phase (``scan``, ``parse``, ``embed``), done of total, current item."""

    phase: str
    done: int
    total: int
    item: str = ""


ProgressFn = Callable[[Progress], None]


@dataclass
class IndexReport:
    """What one sync did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    embedded_fraction: float = 1.0
    cancelled: bool = False
    errors: list[tuple[str, str]] = field(default_factory=list)
    skips: list[tuple[str, str]] = field(default_factory=list)  # (path, why), every run
    warnings: list[str] = field(default_factory=list)

    def skip(self, path: str, reason: str) -> None:
        """Count a file (or folder) left out, with why."""
        self.skipped += 1
        self.skips.append((path, reason))


def chunk_id(content_hash: str, ordinal: int, text: str) -> str:
    """Stable chunk id from the file content hash, the chunk's position and its text."""
    return hashlib.sha256(f"{content_hash}:{ordinal}:{text}".encode()).hexdigest()[:32]


def parse_chunks(content_hash: str, doc: LoadedDocument, settings: IngestSettings) -> list[Chunk]:
    """Chunk a parsed document into catalog rows."""
    return [
        replace(d, hash=content_hash, chunk_id=chunk_id(content_hash, d.ordinal, d.text))
        for d in chunk_document(doc, settings.chunk_tokens, settings.chunk_overlap)
    ]


class _Batch:
    """Catalog and keyword changes gathered until the next flush."""

    def __init__(self) -> None:
        self.files: list[FileRow] = []
        self.deleted_paths: list[str] = []
        self.new_chunks: dict[str, list[Chunk]] = {}
        self.released: set[str] = set()

    def size(self) -> int:
        return len(self.files) + len(self.deleted_paths)

    def chunk_count(self) -> int:
        return sum(len(rows) for rows in self.new_chunks.values())


class Indexer:
    """Writes the catalog, the keyword index and the vector index; one writer at a time."""

    def __init__(
        self,
        catalog: Catalog,
        keywords: KeywordIndex,
        settings: IngestSettings,
        exclude: tuple[Path, ...] = (),
    ) -> None:
        self.catalog = catalog
        self.keywords = keywords
        self.settings = settings
        self.exclude = exclude
        self.ocr = (
            ocr.OcrOptions(int(settings.ocr_max_megapixels * 1_000_000)) if settings.ocr else None
        )
        limits = FileLimits(
            settings.file_timeout_s, settings.ocr_timeout_s, settings.file_memory_mb
        )
        self.reader = Reader(limits, isolate=settings.reader_process)

    # phase 1 ----------------------------------------------------------------
    def sync(
        self,
        roots: list[tuple[Path, Path | None]],
        report: IndexReport,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
    ) -> None:
        """Bring the catalog and keyword index in line with the files under each root.

        Each root comes with the registered folder whose ignore rules apply (or
        None). A root that no longer exists drops everything catalogued under it.
        """
        with self.reader:  # a reader process started for this run stops with it
            self._sync(roots, report, cancel, progress)

    def _sync(
        self,
        roots: list[tuple[Path, Path | None]],
        report: IndexReport,
        cancel: threading.Event | None,
        progress: ProgressFn | None,
    ) -> None:
        for root, base in roots:
            if cancel is not None and cancel.is_set():
                report.cancelled = True
                return
            known = self.catalog.files_under(str(root))
            ocr_ready = ocr.skip_reason(self.settings.ocr) is None
            seen: list[ScanEntry] = []
            for entry in scan(root, self.settings, self.exclude, base, report.skip):
                seen.append(entry)
                if progress is not None and len(seen) % 500 == 0:
                    progress(Progress("scan", len(seen), 0, entry.path))
            changed: list[tuple[ScanEntry, FileRow | None]] = []
            for entry in seen:
                row = known.pop(entry.path, None)
                if row is not None and row.size == entry.size and row.mtime_ns == entry.mtime_ns:
                    if _newly_readable(row, ocr_ready):
                        changed.append((entry, row))
                        continue
                    if row.status == SKIPPED:  # told again each run, not "unchanged"
                        report.skip(entry.path, row.error or "skipped")
                    else:
                        report.unchanged += 1
                else:
                    changed.append((entry, row))
            batch = _Batch()
            _forget_rows(known, batch, report)
            for done, (entry, row) in enumerate(changed, 1):
                if cancel is not None and cancel.is_set():
                    report.cancelled = True
                    break
                try:
                    self._examine(entry, row, batch, report, cancel)
                except ReadCancelled:
                    report.cancelled = True
                    break
                except Exception as exc:  # one bad file never stops a run
                    _fail_file(entry, exc, batch, report)
                if progress is not None:
                    progress(Progress("parse", done, len(changed), entry.path))
                if batch.size() >= _FLUSH_FILES or batch.chunk_count() >= _FLUSH_CHUNKS:
                    self._flush(batch)
                    batch = _Batch()
            self._flush(batch)
            if report.cancelled:
                return

    def upsert_documents(
        self,
        documents: Iterable[tuple[str, str, LoadedDocument]],
        report: IndexReport,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
    ) -> None:
        """Store already-parsed documents given as (path, content hash, document)."""
        batch = _Batch()
        known = {row.path: row for row in self.catalog.all_files()}
        for done, (path, content_hash, doc) in enumerate(documents, 1):
            if cancel is not None and cancel.is_set():
                report.cancelled = True
                break
            old = known.get(path)
            if old is not None and old.hash == content_hash:
                report.unchanged += 1
                continue
            status = self._known_status(content_hash, batch)
            if status is None:
                rows = parse_chunks(content_hash, doc, self.settings)
                batch.new_chunks[content_hash] = rows
                report.chunks += len(rows)
                status = INDEXED if rows else EMPTY
            batch.files.append(
                FileRow(path, 0, 0, content_hash, status, doc.loader, None, time.time())
            )
            if old is not None and old.hash:
                batch.released.add(old.hash)
            if old is None:
                report.added += 1
            else:
                report.updated += 1
            if batch.size() >= _FLUSH_FILES * 4 or batch.chunk_count() >= _FLUSH_CHUNKS:
                self._flush(batch)
                batch = _Batch()
            if progress is not None and done % 100 == 0:
                progress(Progress("parse", done, 0, path))
        self._flush(batch)

    def forget(self, root: str, report: IndexReport) -> None:
        """Drop every file under ``root`` from the catalog and the keyword index."""
        batch = _Batch()
        _forget_rows(self.catalog.files_under(root), batch, report)
        self._flush(batch)

    def _examine(
        self,
        entry: ScanEntry,
        old: FileRow | None,
        batch: _Batch,
        report: IndexReport,
        cancel: threading.Event | None = None,
    ) -> None:
        """Read one new or changed file into the batch."""
        path = Path(entry.path)
        now = time.time()

        def record(
            status: str,
            content_hash: str | None,
            loader: str | None,
            error: str | None,
            counted: bool = True,
        ) -> None:
            batch.files.append(
                FileRow(
                    entry.path, entry.size, entry.mtime_ns, content_hash, status, loader, error, now
                )
            )
            if old is not None and old.hash and old.hash != content_hash:
                batch.released.add(old.hash)
            if counted and status in (INDEXED, EMPTY):
                if old is None or old.status in (SKIPPED, FAILED):
                    report.added += 1
                else:
                    report.updated += 1

        loader = loaders.loader_for(path)
        if loader is None:
            record(SKIPPED, None, None, "not a document type ragtui reads")
            report.skip(entry.path, "not a document type ragtui reads")
            return
        unread = ocr.skip_reason(self.settings.ocr) if loader in loaders.OCR_LOADERS else None
        if unread is not None:  # no hash: read once OCR is turned on or installed
            record(SKIPPED, None, loader, unread)
            report.skip(entry.path, unread)
            return
        max_bytes = int(self.settings.max_file_mb * 1024 * 1024)
        if entry.size > max_bytes:
            too_big = f"larger than ingest.max_file_mb ({self.settings.max_file_mb:g} MB)"
            record(SKIPPED, None, loader, too_big)
            report.skip(entry.path, too_big)
            return

        def refuse(exc: Unsupported | LoaderError, content_hash: str | None) -> None:
            if isinstance(exc, Unsupported):
                record(SKIPPED, content_hash, loader, str(exc))
                report.skip(entry.path, str(exc))
            else:
                record(FAILED, content_hash, loader, str(exc))
                report.failed += 1
                report.errors.append((entry.path, str(exc)))

        try:
            data = loaders.read_bytes(path, max_bytes)
        except (Unsupported, LoaderError) as exc:
            refuse(exc, None)
            return
        content_hash = hashlib.sha256(data).hexdigest()
        salvaged = old is not None and old.mtime_ns == RECHECK_MTIME and old.hash == content_hash
        if old is not None and old.hash == content_hash and not salvaged:
            record(old.status, content_hash, old.loader, old.error, counted=False)
            if old.status == SKIPPED:
                report.skip(entry.path, old.error or "skipped")
            else:
                report.unchanged += 1
            return
        status = None if salvaged else self._known_status(content_hash, batch)
        if status is not None:
            record(status, content_hash, loader, None)
            return
        try:
            doc = self.reader.parse(data, path, max_bytes=max_bytes, ocr=self.ocr, cancel=cancel)
        except (Unsupported, LoaderError) as exc:
            refuse(exc, content_hash)
            return
        rows = parse_chunks(content_hash, doc, self.settings)
        if salvaged:  # a row from a damaged catalog: add only the chunks it lost
            stored = self.catalog.chunks([r.chunk_id for r in rows])
            missing = [r for r in rows if r.chunk_id not in stored]
            if missing:
                batch.new_chunks[content_hash] = missing
                report.chunks += len(missing)
            else:
                report.unchanged += 1
            record(
                INDEXED if rows else EMPTY, content_hash, doc.loader, None, counted=bool(missing)
            )
            return
        batch.new_chunks[content_hash] = rows
        report.chunks += len(rows)
        record(INDEXED if rows else EMPTY, content_hash, doc.loader, None)

    def _known_status(self, content_hash: str, batch: _Batch) -> str | None:
        """INDEXED/EMPTY if this exact content is already chunked (a duplicate file)."""
        if content_hash in batch.new_chunks:
            return INDEXED if batch.new_chunks[content_hash] else EMPTY
        return self.catalog.status_of_hash(content_hash)

    def _flush(self, batch: _Batch) -> None:
        """Commit a batch: catalog first (with dirty flags), then the keyword index."""
        if not batch.files and not batch.deleted_paths:
            return
        with self.catalog.transaction() as db:
            for path in batch.deleted_paths:
                self.catalog.delete_file(db, path)
            for row in batch.files:
                self.catalog.upsert_file(db, row)
            for rows in batch.new_chunks.values():
                self.catalog.insert_chunks(db, rows)
            released = [
                h
                for h in batch.released
                if h not in batch.new_chunks and not self.catalog.hash_in_use(db, h)
            ]
            deleted = sum(self.catalog.delete_chunks_of(db, h) for h in released)
            if deleted:
                total = int(self.catalog.get_meta(KEYWORD_DELETES) or 0) + deleted
                self.catalog.set_meta(KEYWORD_DELETES, str(total), db)
            if released or batch.new_chunks:
                self.catalog.set_meta(KEYWORDS_DIRTY, "1", db)
            if released:
                self.catalog.add_released(db, released)
            self.catalog.bump_generation(db)
        if released or batch.new_chunks:
            for content_hash in released:
                self.keywords.delete_hash(content_hash)
            for rows in batch.new_chunks.values():
                self.keywords.add(rows)
            self.keywords.commit()
            self.catalog.set_meta(KEYWORDS_DIRTY, "0")

    # phase 2 ----------------------------------------------------------------
    def embed_pending(
        self,
        embedder: Embedder,
        vectors: VectorIndex,
        batch_chunks: int,
        report: IndexReport,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
    ) -> None:
        """Embed every chunk without a vector; resumable, cancellable between batches."""
        self.drop_released(vectors)
        counts = self.catalog.counts()
        total = counts["chunks"] - counts["embedded"]
        done = 0
        while total:
            if cancel is not None and cancel.is_set():
                report.cancelled = True
                break
            rows = self.catalog.pending_chunks(batch_chunks)
            if not rows:
                break
            vecs = embedder.embed_passages([r.index_text() for r in rows])
            self.catalog.set_meta(VECTORS_DIRTY, "1")
            vectors.add([r.chunk_id for r in rows], [r.hash for r in rows], vecs)
            self.catalog.mark_embedded([r.chunk_id for r in rows], clear_flag=VECTORS_DIRTY)
            done += len(rows)
            report.embedded += len(rows)
            self._count_vector_write()
            if progress is not None:
                progress(Progress("embed", done, total, ""))
        if int(self.catalog.get_meta(VECTOR_WRITES) or 0) >= _OPTIMIZE_AFTER_WRITES:
            vectors.optimize()
            self.catalog.set_meta(VECTOR_WRITES, "0")

    def _count_vector_write(self) -> None:
        writes = int(self.catalog.get_meta(VECTOR_WRITES) or 0) + 1
        self.catalog.set_meta(VECTOR_WRITES, str(writes))

    def drop_released(self, vectors: VectorIndex) -> None:
        """Delete vectors of content no file holds any more."""
        released = self.catalog.released()
        if released:
            vectors.delete_hashes(released)
            self._count_vector_write()
            with self.catalog.transaction() as db:
                self.catalog.clear_released(db, released)
                self.catalog.set_meta(VECTORS_DIRTY, "0", db)


def _newly_readable(row: FileRow, ocr_ready: bool) -> bool:
    """A file an older ragtui skipped for its type, which this one has a loader for, or an
    image skipped while OCR was off or missing, now that OCR is ready."""
    if row.status != SKIPPED:
        return False
    if ocr_ready and row.error in ocr.SKIP_REASONS:
        return True
    return row.loader is None and loaders.loader_for(Path(row.path)) is not None


def _fail_file(entry: ScanEntry, exc: Exception, batch: _Batch, report: IndexReport) -> None:
    """Record a file that broke its loader or the indexer in a way no loader reports."""
    error = f"{entry.path} could not be read ({type(exc).__name__}: {exc})."
    batch.files.append(
        FileRow(entry.path, entry.size, entry.mtime_ns, None, FAILED, None, error, time.time())
    )
    report.failed += 1
    report.errors.append((entry.path, error))


def _forget_rows(rows: dict[str, FileRow], batch: _Batch, report: IndexReport) -> None:
    for path, row in rows.items():
        batch.deleted_paths.append(path)
        if row.hash:
            batch.released.add(row.hash)
        report.removed += 1
