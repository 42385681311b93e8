"""``search`` round trips through ``ragtui mcp`` over stdio, timed at the SDK's own client.

    python tests/bench/mcp_latency.py --data HOME [--beir DIR] [--n 300] [--k 10]

Indexes the demo corpus (or a BEIR corpus, one document per entry, as ``ragtui eval beir``
does) into ``HOME/data`` unless it is already there, starts ``python -m ragtui mcp`` with
``RAGTUI_HOME=HOME`` through the MCP client, warms it up, then times ``--n`` hybrid
``search`` calls (query embedding included) one after another. For comparison it then
times the same searches in-process on the Engine: the difference is what MCP costs (JSON-RPC
over pipes, validation, the structured result). Prints one JSON object; target: p95 ≤ 50 ms
on SciFact (``--beir ../shared/data/scifact/beir``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "assets" / "demo"


def _queries(beir: Path | None, n: int) -> list[str]:
    if beir is not None:
        from ragtui.core.eval.beir import BeirDataset

        queries = list(BeirDataset(beir, "test").queries().values())
    else:
        lines = (DEMO / "questions.jsonl").read_text().splitlines()
        queries = [json.loads(line)["question"] for line in lines if line.strip()]
    return [queries[i % len(queries)] for i in range(n)]


def _index(beir: Path | None) -> int:
    from ragtui.core.engine import create_engine

    engine = create_engine()
    try:
        if beir is not None:
            from ragtui.core.eval.beir import BeirDataset, index_corpus

            index_corpus(engine, BeirDataset(beir, "test"))
        else:
            engine.add_folder(DEMO / "corpus")
            engine.index()
        return engine.stats.counts().chunks
    finally:
        engine.close()


async def _round_trips(home: Path, queries: list[str], k: int) -> tuple[list[float], float]:
    from mcp import Client, StdioServerParameters

    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "ragtui", "mcp"],
        env={"RAGTUI_HOME": str(home), "PYTHONPATH": str(REPO)},
        cwd=REPO,
    )
    started = time.perf_counter()
    async with Client(server, cache=None) as client:
        connect_ms = (time.perf_counter() - started) * 1000
        for query in queries[:5]:  # the first search loads the embedding model
            await client.call_tool("search", {"query": query, "k": k})
        latencies = []
        for query in queries:
            started = time.perf_counter()
            result = await client.call_tool("search", {"query": query, "k": k})
            latencies.append((time.perf_counter() - started) * 1000)
            assert not result.is_error, result.content
    return latencies, connect_ms


def _direct(queries: list[str], k: int) -> list[float]:
    from ragtui.core.engine import create_engine

    engine = create_engine()
    try:
        for query in queries[:5]:
            engine.search(query, k=k)
        latencies = []
        for query in queries:
            started = time.perf_counter()
            engine.search(query, k=k)
            latencies.append((time.perf_counter() - started) * 1000)
        return latencies
    finally:
        engine.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="RAGTUI_HOME for the index.")
    parser.add_argument("--beir", type=Path, help="A BEIR folder (default: the demo corpus).")
    parser.add_argument("--n", type=int, default=300, help="Timed searches.")
    parser.add_argument("--k", type=int, default=10, help="Hits per search.")
    args = parser.parse_args()
    home = args.data.expanduser().resolve()
    os.environ["RAGTUI_HOME"] = str(home)
    sys.path.insert(0, str(REPO))
    from ragtui.core.eval.metrics import percentile

    chunks = _index(args.beir)
    queries = _queries(args.beir, args.n)
    mcp, connect_ms = asyncio.run(_round_trips(home, queries, args.k))
    direct = _direct(queries, args.k)
    p50, direct_p50 = percentile(mcp, 50), percentile(direct, 50)
    print(
        json.dumps(
            {
                "corpus": str(args.beir or DEMO / "corpus"),
                "chunks": chunks,
                "searches": len(mcp),
                "k": args.k,
                "connect_ms": round(connect_ms, 1),
                "mcp_p50_ms": round(p50, 2),
                "mcp_p95_ms": round(percentile(mcp, 95), 2),
                "direct_p50_ms": round(direct_p50, 2),
                "direct_p95_ms": round(percentile(direct, 95), 2),
                "mcp_overhead_p50_ms": round(p50 - direct_p50, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
