"""The LanceDB table of chunk vectors (any URI LanceDB supports: a path or an object store)."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from ragtui.core.arrays import Vectors

TABLE = "chunks"


class VectorsDamaged(Exception):
    """LanceDB cannot read the table (a data file or a manifest is missing or corrupt)."""


@contextmanager
def _guard() -> Iterator[None]:
    """LanceDB's I/O errors (``RuntimeError: lance error: Not found …``) as VectorsDamaged."""
    try:
        yield
    except (RuntimeError, OSError) as exc:
        raise VectorsDamaged(str(exc).split(", /")[0]) from exc


def _lancedb() -> Any:
    os.environ.setdefault("LANCEDB_LOG", "error")
    import lancedb

    return lancedb


def import_ahead() -> threading.Thread:
    """Import LanceDB in a thread (about a second, most of it its REST client's models) while
    the first search does its other work."""
    thread = threading.Thread(target=_lancedb, name="ragtui-lancedb-import")
    thread.start()
    return thread


class VectorIndex:
    """Dense vectors keyed by chunk id; the catalog generation is kept in the table metadata."""

    def __init__(self, uri: str, dim: int) -> None:
        self.uri = uri
        self.dim = dim
        self._db = _lancedb().connect(uri)
        self._table: Any = None

    def _schema(self) -> Any:
        import pyarrow as pa

        return pa.schema(
            [
                pa.field("chunk_id", pa.string()),
                pa.field("hash", pa.string()),
                pa.field("vector", pa.list_(pa.float32(), self.dim)),
            ]
        )

    def _has_table(self) -> bool:
        return TABLE in self._db.list_tables().tables

    def _t(self) -> Any:
        if self._table is None:
            with _guard():
                if self._has_table():
                    self._table = self._db.open_table(TABLE)
                else:
                    self._table = self._db.create_table(TABLE, schema=self._schema())
        return self._table

    def exists(self) -> bool:
        """Whether the table has been created."""
        return self._table is not None or self._has_table()

    def add(self, chunk_ids: Sequence[str], hashes: Sequence[str], vectors: Vectors) -> None:
        """Append vectors."""
        import pyarrow as pa

        if not chunk_ids:
            return
        flat = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).ravel())
        batch = pa.table(
            {
                "chunk_id": pa.array(list(chunk_ids), pa.string()),
                "hash": pa.array(list(hashes), pa.string()),
                "vector": pa.FixedSizeListArray.from_arrays(flat, self.dim),
            }
        )
        with _guard():
            self._t().add(batch)

    def delete_hashes(self, hashes: Sequence[str]) -> None:
        """Delete every vector of these content hashes."""
        for start in range(0, len(hashes), 500):
            part = hashes[start : start + 500]
            quoted = ",".join("'" + h.replace("'", "''") + "'" for h in part)
            with _guard():
                self._t().delete(f"hash IN ({quoted})")

    def delete_ids(self, chunk_ids: Sequence[str]) -> None:
        """Delete vectors by chunk id."""
        for start in range(0, len(chunk_ids), 500):
            part = chunk_ids[start : start + 500]
            quoted = ",".join("'" + c.replace("'", "''") + "'" for c in part)
            with _guard():
                self._t().delete(f"chunk_id IN ({quoted})")

    def ids(self) -> list[str]:
        """Every chunk id in the table (for repair)."""
        if not self.exists():
            return []
        rows = self.count()
        if not rows:
            return []
        with _guard():
            table = self._t().search().select(["chunk_id"]).limit(rows).to_arrow()
        return [str(v) for v in table.column("chunk_id").to_pylist()]

    def check(self) -> int:
        """Read every row's id (which touches every data file); returns the row count or
        raises :class:`VectorsDamaged`."""
        return len(self.ids())

    def count(self) -> int:
        """Rows in the table."""
        with _guard():
            return int(self._t().count_rows()) if self.exists() else 0

    def drop(self) -> None:
        """Remove the table."""
        if self.exists():
            self._db.drop_table(TABLE)
        self._table = None

    def reset(self) -> None:
        """Remove a damaged table, by deleting its folder if LanceDB cannot drop it."""
        try:
            self.drop()
        except (RuntimeError, OSError, ValueError):
            folder = Path(self.uri) / f"{TABLE}.lance"
            if not folder.is_dir():
                raise
            shutil.rmtree(folder)
        self._table = None

    def search(self, query: Vectors, limit: int) -> list[tuple[str, float]]:
        """Top ``limit`` (chunk_id, cosine similarity)."""
        if not self.exists():
            return []
        with _guard():
            rows = (
                self._t()
                .search(query, vector_column_name="vector")
                .distance_type("cosine")
                .limit(limit)
                .select(["chunk_id", "_distance"])
                .to_arrow()
            )
        ids = rows.column("chunk_id").to_pylist()
        dists = rows.column("_distance").to_pylist()
        return [(str(c), 1.0 - float(d)) for c, d in zip(ids, dists, strict=True)]

    def vectors_for(self, chunk_ids: Sequence[str]) -> dict[str, Vectors]:
        """Stored vectors of the given chunks."""
        if not chunk_ids or not self.exists():
            return {}
        quoted = ",".join("'" + c.replace("'", "''") + "'" for c in chunk_ids)
        with _guard():
            rows = (
                self._t()
                .search()
                .where(f"chunk_id IN ({quoted})")
                .select(["chunk_id", "vector"])
                .limit(len(chunk_ids) * 2)
                .to_arrow()
            )
        return {
            str(c): np.asarray(v, dtype=np.float32)
            for c, v in zip(
                rows.column("chunk_id").to_pylist(), rows.column("vector").to_pylist(), strict=True
            )
        }

    def versions(self) -> int:
        """How many table versions are kept on disk."""
        with _guard():
            return len(self._t().list_versions()) if self.exists() else 0

    def optimize(self, keep_versions_for: timedelta = timedelta(seconds=10)) -> None:
        """Compact small fragments and prune versions older than ``keep_versions_for``."""
        if self.exists():
            with _guard():
                table = self._t()
                table.optimize(cleanup_older_than=keep_versions_for)
                # optimize prunes before it compacts: a second pass prunes the pre-compaction
                # version
                table.optimize(cleanup_older_than=keep_versions_for)
