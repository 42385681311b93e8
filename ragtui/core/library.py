"""The library: the registered folders, the files indexed from them, and syncing them into
the index store."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ragtui.core.errors import PathProblem
from ragtui.core.index.lock import writer_lock
from ragtui.core.index.store import IndexStore
from ragtui.core.models import FileInfo

if TYPE_CHECKING:
    from ragtui.core.index.indexer import Indexer, IndexReport, ProgressFn
    from ragtui.core.ingest.document import LoadedDocument


class Library:
    """Folders the user registered, and what of them is indexed."""

    def __init__(self, store: IndexStore) -> None:
        self.store = store
        self.catalog = store.catalog

    # folders -------------------------------------------------------------------------
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
        if not self.catalog.remove_folder(resolved) and not self.catalog.remove_folder(str(folder)):
            raise PathProblem(f"{folder} is not a registered folder: `ragtui folders` lists them.")
        from ragtui.core.index.indexer import IndexReport

        report = IndexReport()
        with writer_lock(self.store.layout.root):
            self.store.indexer().forget(resolved, report)
        return report

    def folder_of(self, path: Path) -> Path | None:
        """The registered folder containing ``path`` (the innermost), if any."""
        best: Path | None = None
        for folder in map(Path, self.folders()):
            if (path == folder or folder in path.parents) and (
                best is None or len(folder.parts) > len(best.parts)
            ):
                best = folder
        return best

    def files(self) -> list[FileInfo]:
        """Every catalogued file with its status, chunk counts, last index time and error."""
        return [
            FileInfo(
                path=row.path,
                status=row.status,
                size=row.size,
                chunks=chunks,
                embedded=embedded,
                indexed_at=row.indexed_at,
                loader=row.loader,
                error=row.error,
            )
            for row, chunks, embedded in self.catalog.file_table()
        ]

    # syncing -------------------------------------------------------------------------
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
            indexer.sync(roots, report, cancel, progress)

        return self.store.write(
            sync, embed=embed, cancel=cancel, progress=progress, check_vectors=True, rebuild=rebuild
        )

    def index_documents(
        self,
        documents: Iterable[tuple[str, str, LoadedDocument]],
        *,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
    ) -> IndexReport:
        """Index already-parsed documents given as (path or id, content hash, document)."""
        return self.store.write(
            lambda indexer, report: indexer.upsert_documents(documents, report, cancel, progress),
            cancel=cancel,
            progress=progress,
        )

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
        roots = [
            (p, self.folder_of(p))
            for p in sorted(outermost, key=lambda p: (not p.exists(), str(p)))
        ]
        return self.store.write(
            lambda indexer, report: indexer.sync(roots, report, cancel, progress),
            cancel=cancel,
            progress=progress,
        )

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
