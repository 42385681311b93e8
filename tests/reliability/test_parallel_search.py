"""Replayed probe: 50 searches at once from threads on one fresh Engine (so they also race
to open the embedding model, the vector table and the keyword searcher). Every one
returns the same hits as a search run alone; none raises. Real model, LanceDB, Tantivy."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ragtui.core.engine import create_engine
from tests.conftest import install_bundled

pytestmark = pytest.mark.slow
THREADS = 50
QUERIES = ["how often should I change the oil", "timing belt", "banana bread"]


def test_fifty_parallel_searches_on_one_engine_agree(
    ragtui_home: Path, demo_docs: Path, bundled_models: dict[str, Path]
) -> None:
    install_bundled(bundled_models, ragtui_home)
    indexer = create_engine()
    report = indexer.index([demo_docs])
    assert report.embedded_fraction == 1.0 and report.failed == 0
    indexer.close()

    fresh = create_engine()  # nothing opened yet, no query embedded (or cached) before
    start = threading.Barrier(THREADS)

    def search(n: int) -> tuple[str, list[str], str]:
        query = QUERIES[n % len(QUERIES)]
        start.wait(timeout=60)
        result = fresh.search(query)
        return query, [h.chunk_id for h in result.hits], result.mode

    try:
        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(search, range(THREADS)))  # re-raises any thread's error
    finally:
        fresh.close()
    engine = create_engine()
    alone = {q: [h.chunk_id for h in engine.search(q).hits] for q in QUERIES}
    engine.close()
    assert all(alone.values()) and len(results) == THREADS
    for query, ids, mode in results:
        assert mode == "hybrid" and ids[0] == alone[query][0], (query, ids[:3])
        assert ids == alone[query]
