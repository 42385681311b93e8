"""Engine read-outs the TUI's library and source preview use: files() and passages()."""

from __future__ import annotations

from pathlib import Path

from ragtui.core.engine import create_engine


def test_files_and_passages(demo_docs: Path) -> None:
    (demo_docs / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    engine = create_engine()
    try:
        engine.add_folder(demo_docs)
        engine.index(embed=False)
        files = {Path(f.path).name: f for f in engine.files()}
        car = files["car-maintenance.md"]
        assert car.status == "indexed" and car.chunks > 0 and car.embedded == 0
        assert car.indexed_at > 0 and car.error is None
        assert files["broken.pdf"].status == "failed" and files["broken.pdf"].error
        hit = engine.search("timing belt", mode="bm25", k=1).hits[0]
        passages = engine.retriever.passages([hit.chunk_id, "no-such-chunk"])
        assert list(passages) == [hit.chunk_id]
        assert passages[hit.chunk_id].text == hit.text
        assert passages[hit.chunk_id].location == hit.location
    finally:
        engine.close()
