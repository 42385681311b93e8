"""The catalog (SQLite): the source of truth for folders, files, chunks and generations."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ragtui.core.ingest.chunking import Chunk
from ragtui.core.sqlite_threads import ThreadConnections

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS folders(path TEXT PRIMARY KEY, added_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS files(
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    hash TEXT,
    status TEXT NOT NULL,
    loader TEXT,
    error TEXT,
    indexed_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS files_hash ON files(hash);
CREATE TABLE IF NOT EXISTS chunks(
    chunk_id TEXT PRIMARY KEY,
    hash TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL,
    context TEXT NOT NULL,
    page INTEGER,
    heading TEXT NOT NULL,
    line_start INTEGER,
    line_end INTEGER,
    embedded INTEGER NOT NULL DEFAULT 0,
    hidden INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS chunks_hash ON chunks(hash);
CREATE TABLE IF NOT EXISTS released(hash TEXT PRIMARY KEY);
CREATE INDEX IF NOT EXISTS chunks_pending ON chunks(embedded) WHERE embedded = 0;
"""

INDEXED, EMPTY, SKIPPED, FAILED = "indexed", "empty", "skipped", "failed"
RECHECK_MTIME = -1  # a file row salvaged from a damaged catalog: parse it again on next sync
_CHUNK_COLUMNS = (
    "chunk_id, hash, ordinal, text, context, page, heading, line_start, line_end, hidden"
)
FOLDERS_FILE = "folders.json"  # the registered folders again, outside the database

# meta keys: a set dirty flag means that index may lag the catalog (a crash mid-write)
KEYWORDS_DIRTY = "keywords_dirty"
VECTORS_DIRTY = "vectors_dirty"
VECTOR_WRITES = "vector_writes_since_optimize"
KEYWORD_DELETES = "keyword_deletes_since_rebuild"
# meta keys of the vector index: the embedding model it was built with, and the signature of
# its table's files when last known good
EMBED_MODEL = "embed_model"
EMBED_DIM = "embed_dim"
VECTOR_FILES = "vector_files"


@dataclass(frozen=True, slots=True)
class FileRow:
    """What the catalog knows of one path."""

    path: str
    size: int
    mtime_ns: int
    hash: str | None
    status: str
    loader: str | None
    error: str | None
    indexed_at: float


def _path_key(path: str) -> bytes:
    """A path as the bytes the file system uses, for ``CAST(? AS TEXT)``: file names that are
    not valid UTF-8 (``surrogateescape`` in Python) are stored byte for byte."""
    return path.encode("utf-8", "surrogateescape")


def _text(data: bytes) -> str:
    """Read stored text back; raw file-name bytes come back as ``surrogateescape`` strings."""
    return data.decode("utf-8", "surrogateescape")


def _add_hidden(db: sqlite3.Connection) -> None:
    """Give a catalog from before hidden-text flags their column (chunks read before are
    taken as visible until their file is read again)."""
    columns = {r[1] for r in db.execute("PRAGMA table_info(chunks)")}
    if "hidden" not in columns:
        db.execute("ALTER TABLE chunks ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0")


def _setup(db: sqlite3.Connection) -> None:
    db.text_factory = _text
    db.execute("PRAGMA auto_vacuum=INCREMENTAL")  # takes effect on a new file
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=10000")


class Catalog:
    """SQLite catalog in WAL mode, with one connection per thread (the TUI and the watcher
    read and write from worker threads while the UI thread searches)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connections = ThreadConnections(path, _setup)
        self._db.executescript(_SCHEMA)
        _add_hidden(self._db)
        self._keep_folders()

    @property
    def _db(self) -> sqlite3.Connection:
        """This thread's connection."""
        return self._connections.get()

    def close(self) -> None:
        """Close every thread's connection."""
        self._connections.close()

    def compact(self) -> None:
        """Return free pages to the file system and fold the WAL back into the database."""
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.executescript("PRAGMA incremental_vacuum;")  # execute() frees one page only
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write; rolled back on any exception."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # meta -----------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        """A meta value, or None."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str, db: sqlite3.Connection | None = None) -> None:
        """Set a meta value (inside ``db``'s transaction when given)."""
        (db or self._db).execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def generation(self) -> int:
        """The catalog generation: bumped by every committed change to chunks."""
        return int(self.get_meta("generation") or 0)

    def bump_generation(self, db: sqlite3.Connection) -> int:
        """Increase the generation inside a transaction and return it."""
        gen = self.generation() + 1
        self.set_meta("generation", str(gen), db)
        return gen

    # folders --------------------------------------------------------------
    def folders(self) -> list[str]:
        """Registered folders, sorted."""
        return [r[0] for r in self._db.execute("SELECT path FROM folders ORDER BY path")]

    def add_folder(self, path: str) -> bool:
        """Register a folder; False if it already was."""
        cur = self._db.execute(
            "INSERT OR IGNORE INTO folders(path, added_at) VALUES (CAST(? AS TEXT), ?)",
            (_path_key(path), time.time()),
        )
        if cur.rowcount > 0:
            self.save_folders()
        return cur.rowcount > 0

    def remove_folder(self, path: str) -> bool:
        """Unregister a folder; False if it was not registered."""
        gone = (
            self._db.execute(
                "DELETE FROM folders WHERE path = CAST(? AS TEXT)", (_path_key(path),)
            ).rowcount
            > 0
        )
        if gone:
            self.save_folders()
        return gone

    def _keep_folders(self) -> None:
        """Register again the folders ``folders.json`` lists that the database lost, and
        write that file if it is missing."""
        registered = self.folders()
        lost = [f for f in saved_folders(self.path.parent) if f not in registered]
        for folder in lost:
            self._db.execute(
                "INSERT OR IGNORE INTO folders(path, added_at) VALUES (CAST(? AS TEXT), ?)",
                (_path_key(folder), time.time()),
            )
        if lost or (registered and not (self.path.parent / FOLDERS_FILE).exists()):
            self.save_folders()

    def save_folders(self) -> None:
        """Write the folder list to ``folders.json`` (atomically, readable by this user only)."""
        target = self.path.parent / FOLDERS_FILE
        temporary = target.with_name(target.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"folders": self.folders()}, out)
        os.replace(temporary, target)

    # files ----------------------------------------------------------------
    def files_under(self, root: str) -> dict[str, FileRow]:
        """Every catalogued path under ``root`` (a folder or a single file)."""
        prefix = root.rstrip("/") + "/"
        rows = self._db.execute(
            "SELECT path, size, mtime_ns, hash, status, loader, error, indexed_at FROM files "
            "WHERE path = CAST(? AS TEXT) "
            "OR (path >= CAST(? AS TEXT) AND path < CAST(? AS TEXT))",
            (_path_key(root), _path_key(prefix), _path_key(prefix[:-1] + "0")),
        )
        return {r[0]: FileRow(*r) for r in rows}

    def all_files(self) -> list[FileRow]:
        """Every catalogued path."""
        rows = self._db.execute(
            "SELECT path, size, mtime_ns, hash, status, loader, error, indexed_at FROM files "
            "ORDER BY path"
        )
        return [FileRow(*r) for r in rows]

    def file_table(self) -> list[tuple[FileRow, int, int]]:
        """Every catalogued path with its chunk and embedded-chunk counts."""
        rows = self._db.execute(
            "SELECT f.path, f.size, f.mtime_ns, f.hash, f.status, f.loader, f.error, "
            "f.indexed_at, COUNT(c.chunk_id), COALESCE(SUM(c.embedded), 0) FROM files f "
            "LEFT JOIN chunks c ON c.hash = f.hash GROUP BY f.path ORDER BY f.path"
        )
        return [(FileRow(*r[:8]), int(r[8]), int(r[9])) for r in rows]

    def upsert_file(self, db: sqlite3.Connection, row: FileRow) -> None:
        """Insert or replace a file row (its error names the path, so it is stored as bytes
        too)."""
        db.execute(
            "INSERT OR REPLACE INTO files VALUES (CAST(? AS TEXT), ?, ?, ?, ?, ?, CAST(? AS TEXT),"
            " ?)",
            (
                _path_key(row.path),
                row.size,
                row.mtime_ns,
                row.hash,
                row.status,
                row.loader,
                None if row.error is None else _path_key(row.error),
                row.indexed_at,
            ),
        )

    def delete_file(self, db: sqlite3.Connection, path: str) -> None:
        """Forget a path."""
        db.execute("DELETE FROM files WHERE path = CAST(? AS TEXT)", (_path_key(path),))

    def hash_in_use(self, db: sqlite3.Connection, content_hash: str) -> bool:
        """Whether any path still holds this content."""
        return (
            db.execute("SELECT 1 FROM files WHERE hash = ? LIMIT 1", (content_hash,)).fetchone()
            is not None
        )

    def paths_for_hashes(self, hashes: Iterable[str]) -> dict[str, list[str]]:
        """Paths holding each content hash (duplicates share one hash)."""
        wanted = list(set(hashes))
        found: dict[str, list[str]] = {h: [] for h in wanted}
        for batch in _batched(wanted, 500):
            marks = ",".join("?" * len(batch))
            for path, h in self._db.execute(
                f"SELECT path, hash FROM files WHERE hash IN ({marks}) ORDER BY path", batch
            ):
                found[h].append(path)
        return found

    def status_of_hash(self, content_hash: str) -> str | None:
        """INDEXED or EMPTY if some path already holds this content parsed, else None."""
        row = self._db.execute(
            "SELECT status FROM files WHERE hash = ? AND status IN (?, ?) LIMIT 1",
            (content_hash, INDEXED, EMPTY),
        ).fetchone()
        return None if row is None else str(row[0])

    def add_released(self, db: sqlite3.Connection, hashes: Iterable[str]) -> None:
        """Queue content hashes whose vectors must be deleted."""
        db.executemany("INSERT OR IGNORE INTO released(hash) VALUES (?)", [(h,) for h in hashes])

    def released(self) -> list[str]:
        """Content hashes whose vectors still need deleting."""
        return [r[0] for r in self._db.execute("SELECT hash FROM released")]

    def clear_released(self, db: sqlite3.Connection, hashes: Iterable[str]) -> None:
        """Forget queued deletions once done."""
        db.executemany("DELETE FROM released WHERE hash = ?", [(h,) for h in hashes])

    # chunks ---------------------------------------------------------------

    def insert_chunks(self, db: sqlite3.Connection, rows: Sequence[Chunk]) -> None:
        """Store new chunks (not yet embedded)."""
        db.executemany(
            "INSERT OR IGNORE INTO chunks(chunk_id, hash, ordinal, text, context, page, heading,"
            " line_start, line_end, hidden) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    r.chunk_id,
                    r.hash,
                    r.ordinal,
                    r.text,
                    r.context,
                    r.page,
                    json.dumps(list(r.heading)),
                    r.line_start,
                    r.line_end,
                    int(r.hidden),
                )
                for r in rows
            ],
        )

    def delete_chunks_of(self, db: sqlite3.Connection, content_hash: str) -> int:
        """Drop every chunk of one content hash; returns how many."""
        return db.execute("DELETE FROM chunks WHERE hash = ?", (content_hash,)).rowcount

    def chunks(self, chunk_ids: Sequence[str]) -> dict[str, Chunk]:
        """Chunks by id (missing ids are absent from the result)."""
        found: dict[str, Chunk] = {}
        for batch in _batched(list(chunk_ids), 500):
            marks = ",".join("?" * len(batch))
            for r in self._db.execute(
                f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE chunk_id IN ({marks})",
                batch,
            ):
                found[r[0]] = _chunk(r)
        return found

    def pending_chunks(self, limit: int) -> list[Chunk]:
        """Chunks whose vectors are not written yet."""
        rows = self._db.execute(
            f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE embedded = 0 LIMIT ?",
            (limit,),
        )
        return [_chunk(r) for r in rows]

    def mark_embedded(self, chunk_ids: Sequence[str], clear_flag: str | None = None) -> None:
        """Record that these chunks' vectors are written (and clear a dirty flag with it)."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE chunks SET embedded = 1 WHERE chunk_id = ?", [(c,) for c in chunk_ids]
            )
            if clear_flag:
                self.set_meta(clear_flag, "0", db)

    def all_chunks(self) -> Iterator[Chunk]:
        """Every chunk (streamed)."""
        cur = self._db.execute(f"SELECT {_CHUNK_COLUMNS} FROM chunks")
        for r in cur:
            yield _chunk(r)

    def forget_vectors(self) -> int:
        """Queue every chunk for embedding again (the vector table is gone); returns how many
        chunks there are."""
        with self.transaction() as db:
            queued = db.execute("UPDATE chunks SET embedded = 0").rowcount
            db.execute("DELETE FROM released")
            self.set_meta(VECTORS_DIRTY, "0", db)
            self.set_meta(VECTOR_WRITES, "0", db)
        return int(queued)

    def forget_all(self) -> None:
        """Forget every file, chunk and queued vector deletion, and which embedding model
        built the vectors (one transaction; files are read again on the next sync)."""
        with self.transaction() as db:
            db.execute("DELETE FROM chunks")
            db.execute("DELETE FROM files")
            db.execute("DELETE FROM released")
            db.execute("DELETE FROM meta WHERE key IN (?, ?)", (EMBED_MODEL, EMBED_DIM))
            self.set_meta(VECTORS_DIRTY, "0", db)

    def embedded_ids(self) -> set[str]:
        """Ids of chunks whose vectors are written."""
        return {r[0] for r in self._db.execute("SELECT chunk_id FROM chunks WHERE embedded = 1")}

    def embedded_chunks_by_age(self, cutoff: float, newer: bool, limit: int) -> list[str]:
        """Up to ``limit`` embedded chunk ids whose content was first indexed at or after
        ``cutoff`` (``newer``) or before it, in chunk id order (content hashes: a sample
        that is spread out yet the same each time)."""
        having = ">=" if newer else "<"
        rows = self._db.execute(
            "SELECT chunk_id FROM chunks WHERE embedded = 1 AND hash IN (SELECT hash FROM files "
            f"WHERE hash IS NOT NULL GROUP BY hash HAVING MIN(indexed_at) {having} ?) "
            "ORDER BY chunk_id LIMIT ?",
            (cutoff, limit),
        )
        return [r[0] for r in rows]

    def chunk_counts(self) -> tuple[int, int]:
        """(chunks, chunks with vectors), cheaply: the pending count uses a partial index."""
        total = self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        pending = self._db.execute("SELECT COUNT(*) FROM chunks WHERE embedded = 0").fetchone()[0]
        return int(total), int(total) - int(pending)

    def counts(self) -> dict[str, int]:
        """Files by status, chunks, and embedded chunks."""
        out = {s: 0 for s in (INDEXED, EMPTY, SKIPPED, FAILED)}
        for status, n in self._db.execute("SELECT status, COUNT(*) FROM files GROUP BY status"):
            out[status] = n
        total, embedded = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(embedded), 0) FROM chunks"
        ).fetchone()
        out["chunks"] = total
        out["embedded"] = embedded
        return out


def saved_folders(data_dir: Path) -> list[str]:
    """The folders ``folders.json`` lists (none if it is missing or unreadable)."""
    try:
        saved = json.loads((data_dir / FOLDERS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    folders = saved.get("folders") if isinstance(saved, dict) else None
    return [f for f in folders if isinstance(f, str)] if isinstance(folders, list) else []


def _chunk(r: tuple[object, ...]) -> Chunk:
    return Chunk(
        chunk_id=str(r[0]),
        hash=str(r[1]),
        ordinal=int(r[2]),  # type: ignore[call-overload]
        text=str(r[3]),
        context=str(r[4]),
        page=r[5],  # type: ignore[arg-type]
        heading=tuple(json.loads(str(r[6]))),
        line_start=r[7],  # type: ignore[arg-type]
        line_end=r[8],  # type: ignore[arg-type]
        hidden=bool(r[9]),
    )


def _batched(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
