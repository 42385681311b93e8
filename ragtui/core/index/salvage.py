"""A damaged catalog is rebuilt from every row that can still be read.

The catalog is the source of truth, so nothing readable is thrown away: the
damaged file is set aside (``catalog.sqlite.corrupt-<time>``), each table is
read row by row (skipping past unreadable pages) into a fresh catalog, and the
folder list is completed from ``folders.json``. What was lost comes back by
re-indexing: salvaged file rows are parsed again on the next sync (their
missing chunks are added), files whose rows were lost are found as new, and
both indexes are marked for repair against the salvaged catalog.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from ragtui.core import stores
from ragtui.core.index.catalog import (
    EMBED_DIM,
    KEYWORDS_DIRTY,
    RECHECK_MTIME,
    VECTORS_DIRTY,
    Catalog,
)
from ragtui.core.index.lock import writer_lock

TABLES = ("meta", "folders", "files", "chunks", "released")
_SKIPS = 64  # unreadable spots tried past, per table, before the rest counts as lost
_HEADER = 100


@dataclass
class Rows:
    """What could be read of a damaged catalog."""

    tables: dict[str, tuple[list[str], list[tuple[object, ...]]]] = field(default_factory=dict)
    damaged: list[str] = field(default_factory=list)  # tables with unreadable rows


def open_catalog(path: Path) -> tuple[Catalog, str | None]:
    """The catalog at ``path``; a damaged one is salvaged first, and the sentence saying
    what was kept and lost comes with it."""
    damage = stores.sqlite_damage(path)
    if damage is None:
        try:
            return Catalog(path), None
        except stores.SQLITE_DAMAGE as exc:
            damage = str(exc)
    with writer_lock(path.parent):
        return salvage(path, damage)


def salvage(path: Path, damage: str) -> tuple[Catalog, str]:
    """Set the damaged catalog aside and rebuild it from its readable rows."""
    aside = stores.move_aside(path)
    rows = read_rows(aside)
    catalog = Catalog(path)  # restores the folders folders.json lists
    kept = _restore(catalog, rows)
    folders = len(catalog.folders())
    lost = (
        f"lost the unreadable part of the {_join(rows.damaged)} "
        f"{'table' if len(rows.damaged) == 1 else 'tables'}, which `ragtui index` "
        "re-reads from your files"
        if rows.damaged
        else "lost nothing"
    )
    sentence = (
        f"{path.name} was damaged ({damage}) and has been rebuilt from what could be read: "
        f"kept {folders} registered folder{'s' if folders != 1 else ''}, "
        f"{kept['files']} file records and {kept['chunks']} chunks, {lost} "
        f"(the damaged file is kept as {aside.name})."
    )
    stores.record(path.parent, sentence)
    return catalog, sentence


def read_rows(damaged: Path) -> Rows:
    """Every row of each catalog table that can still be read, from a copy of the file."""
    work = damaged.with_name(damaged.name + ".reading")
    shutil.copyfile(damaged, work)
    wal = damaged.with_name(damaged.name + "-wal")
    if wal.exists():
        shutil.copyfile(wal, work.with_name(work.name + "-wal"))
    _pad(work)
    rows = Rows()
    try:
        db = sqlite3.connect(work, isolation_level=None)
        db.text_factory = bytes  # file names are stored as raw bytes; keep them so
        try:
            for table in TABLES:
                columns, found, complete = _read_table(db, table)
                rows.tables[table] = (columns, found)
                if not complete:
                    rows.damaged.append(table)
        finally:
            db.close()
    finally:
        for suffix in ("", "-wal", "-shm"):
            work.with_name(work.name + suffix).unlink(missing_ok=True)
    return rows


def _pad(path: Path) -> None:
    """Grow a file cut short back to the size its header records, so SQLite opens it and
    the pages that survived can be read (the missing ones read as damaged)."""
    with open(path, "r+b") as handle:
        header = handle.read(_HEADER)
        if len(header) < _HEADER or not header.startswith(b"SQLite format 3\0"):
            return
        page = int.from_bytes(header[16:18], "big")
        page = 65536 if page == 1 else page
        pages = int.from_bytes(header[28:32], "big")
        handle.seek(0, 2)
        if handle.tell() < page * pages:
            handle.truncate(page * pages)


def _read_table(
    db: sqlite3.Connection, table: str
) -> tuple[list[str], list[tuple[object, ...]], bool]:
    """(columns, readable rows, whether every row was read), stepping past bad pages by
    rowid."""
    columns: list[str] = []
    found: list[tuple[object, ...]] = []
    after, step, misses = -(2**63), 1, 0
    while misses <= _SKIPS:
        try:
            cursor = db.execute(
                f"SELECT rowid, * FROM {table} WHERE rowid > ? ORDER BY rowid", (after,)
            )
            columns = [d[0] for d in cursor.description][1:]
            for row in cursor:
                after, step = int(row[0]), 1
                found.append(tuple(row[1:]))
            return columns, found, misses == 0
        except sqlite3.DatabaseError:
            misses += 1
            after, step = after + step, step * 2
    return columns, found, False


def _restore(catalog: Catalog, rows: Rows) -> dict[str, int]:
    """Write the salvaged rows into the fresh catalog; mark both indexes for repair."""
    kept = {table: 0 for table in TABLES}
    with catalog.transaction() as db:
        for table in TABLES:
            columns, found = rows.tables.get(table, ([], []))
            wanted = {
                str(r[1]): str(r[2]).upper() for r in db.execute(f"PRAGMA table_info({table})")
            }
            usable = [c for c in columns if c in wanted]
            if not usable or not found:
                continue
            picks = [columns.index(c) for c in usable]
            marks = ",".join("CAST(? AS TEXT)" if wanted[c] == "TEXT" else "?" for c in usable)
            verb = "INSERT OR REPLACE" if table == "meta" else "INSERT OR IGNORE"
            values = [_adjust(table, usable, [row[i] for i in picks]) for row in found]
            db.executemany(f"{verb} INTO {table}({','.join(usable)}) VALUES ({marks})", values)
            kept[table] = len(found)
        kept["chunks"] -= db.execute(
            "DELETE FROM chunks WHERE hash NOT IN (SELECT hash FROM files WHERE hash IS NOT NULL)"
        ).rowcount
        catalog.bump_generation(db)
        catalog.set_meta(KEYWORDS_DIRTY, "1", db)
        if catalog.get_meta(EMBED_DIM) is not None or "meta" in rows.damaged:
            catalog.set_meta(VECTORS_DIRTY, "1", db)  # a vector table may hold stale rows
    catalog.save_folders()
    return kept


def _adjust(table: str, columns: list[str], values: list[object]) -> list[object]:
    """A salvaged file row is parsed again on the next sync (its chunks may be partial)."""
    if table == "files" and "mtime_ns" in columns:
        values[columns.index("mtime_ns")] = RECHECK_MTIME
    return values


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
