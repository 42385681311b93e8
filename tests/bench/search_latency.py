"""Hybrid top-10 latency (query embedding included) over SciFact queries on a built index."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ragtui.config import load_settings
from ragtui.core.engine import Engine
from ragtui.core.eval.beir import BeirDataset
from ragtui.core.eval.metrics import percentile

data_dir = Path(sys.argv[1])
dataset = BeirDataset(
    Path(sys.argv[2])
    if len(sys.argv) > 2
    else Path(__file__).resolve().parents[3] / "shared/data/scifact/beir",
    "test",
)
engine = Engine(load_settings(), data_dir)
queries = list(dataset.queries().values())[:300]
engine.search(queries[0])
latencies = []
for query in queries:
    started = time.perf_counter()
    engine.search(query, k=10, mode="hybrid")
    latencies.append((time.perf_counter() - started) * 1000)
print(
    json.dumps(
        {
            "queries": len(latencies),
            "p50_ms": round(percentile(latencies, 50), 2),
            "p95_ms": round(percentile(latencies, 95), 2),
            "chunks": engine.stats.counts().chunks,
        }
    )
)
