"""Bad input never stops a run; the indexes are repaired from the catalog after a crash.

These use the real catalog and Tantivy index but skip embedding (keyword phase only).
"""

from __future__ import annotations

import gzip
import shutil
import socket
from pathlib import Path

import pytest

from ragtui.config import load_settings
from ragtui.core.engine import create_engine
from ragtui.core.index.catalog import KEYWORDS_DIRTY
from tests.conftest import DEMO_CORPUS, NetworkBlocked


def _messy(root: Path) -> Path:
    shutil.copytree(DEMO_CORPUS, root)
    (root / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <</Type /Catalog\nthis is not a pdf")
    (root / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4)
    (root / "fake.txt").write_bytes(b"text\x00with\x00nul bytes" * 10)
    (root / "latin1.txt").write_bytes("Crème brûlée: caramélisez le sucre.".encode("latin-1"))
    (root / "big.md").write_text("# Big\n\n" + "word " * 400_000)
    (root / "page.html.gz").write_bytes(gzip.compress(b"<h1>Gz</h1><p>zipped walrus</p>"))
    (root / "empty.md").write_text("")
    return root


def test_bad_files_are_counted_and_never_stop_the_run(tmp_path: Path) -> None:
    root = _messy(tmp_path / "docs")
    settings = load_settings(ingest={"max_file_mb": 1})
    engine = create_engine(settings)
    report = engine.index([root], embed=False)
    assert report.failed == 1
    (failed_path, message) = report.errors[0]
    assert failed_path.endswith("broken.pdf") and "broken.pdf" in message
    assert message.count(".") >= 1 and "\n" not in message
    assert report.skipped == 3  # mp4 (unknown type), NUL-byte .txt (binary), big.md (size)
    assert report.added >= 10
    assert engine.search("caramélisez", mode="bm25").hits[0].path.endswith("latin1.txt")
    assert engine.search("walrus", mode="bm25").hits[0].path.endswith("page.html.gz")
    statuses = {Path(f.path).name: f.status for f in engine.catalog.all_files()}
    assert statuses["broken.pdf"] == "failed" and statuses["empty.md"] == "empty"
    assert statuses["big.md"] == "skipped"
    again = engine.index([root], embed=False)
    assert (again.failed, again.skipped, again.added, again.updated) == (0, 3, 0, 0)
    assert sorted(again.skips) == sorted(report.skips)


def test_keyword_index_repaired_after_crash(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    shutil.copytree(DEMO_CORPUS, root)
    engine = create_engine()
    engine.index([root], embed=False)
    chunks = engine.stats.counts().chunks
    engine.close()
    shutil.rmtree(engine.data_dir / "tantivy")
    reopened = create_engine()
    assert reopened.store.keywords.count() == chunks
    assert reopened.search("timing belt", mode="bm25").hits
    reopened.catalog.set_meta(KEYWORDS_DIRTY, "1")
    reopened.close()
    again = create_engine()
    assert again.store.keywords.count() == chunks
    assert again.catalog.get_meta(KEYWORDS_DIRTY) == "0"
    again.close()
    shutil.rmtree(engine.data_dir / "tantivy")
    report = create_engine().stats.doctor()
    assert report.consistent and any("keyword index" in r for r in report.repaired)


def test_remove_folder_drops_its_files(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    shutil.copytree(DEMO_CORPUS, root)
    engine = create_engine()
    engine.add_folder(root)
    engine.index(embed=False)
    report = engine.remove_folder(root)
    assert report.removed > 0
    assert engine.stats.counts().chunks == 0 == engine.store.keywords.count()
    assert engine.search("timing belt", mode="bm25").hits == ()


def test_guard_blocks_network() -> None:
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("192.0.2.1", 80), timeout=1)


def test_touch_and_rename_reuse_existing_chunks(tmp_path: Path) -> None:
    import os

    root = tmp_path / "docs"
    shutil.copytree(DEMO_CORPUS, root)
    engine = create_engine()
    engine.index([root], embed=False)
    ids = {c.chunk_id for c in engine.catalog.all_chunks()}
    note = root / "recipes.md"
    os.utime(note, ns=(note.stat().st_atime_ns, note.stat().st_mtime_ns + 10**9))
    touched = engine.index([root], embed=False)
    assert (touched.updated, touched.chunks) == (0, 0) and touched.unchanged > 0
    note.rename(root / "cooking.md")
    moved = engine.index([root], embed=False)
    assert (moved.added, moved.removed, moved.chunks) == (1, 1, 0)
    assert {c.chunk_id for c in engine.catalog.all_chunks()} == ids
    assert engine.search("banana bread", mode="bm25").hits[0].path.endswith("cooking.md")
