"""Follow-up retrieval on the demo dialogs (assets/followups/demo.jsonl), no model.

Indexes the demo corpus with the default embedding model in a scratch RAGTUI_HOME, then
searches every follow-up as asked (``retrieval.followups`` off), rewritten (carry) and
its standalone twin, and prints one JSON object: Recall@3 (the expected file among the
three passages an answer gets) and nDCG@10 of each, the share
of questions rewritten, and the rewrite time (detection included) p50/p95 over every
question of the set, follow-ups and standalone ones, repeated ``--repeat`` times.

    python tests/bench/followups.py [--data DIR] [--repeat 200]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SET = REPO / "assets" / "followups" / "demo.jsonl"
CORPUS = REPO / "assets" / "demo" / "corpus"


def _engine(home: Path) -> Any:
    os.environ["RAGTUI_HOME"] = str(home)
    from ragtui.config import load_settings
    from ragtui.core import model_store
    from ragtui.core.engine import create_engine

    entry = model_store.embedding_entry("all-MiniLM-L6-v2-int8")
    assert entry is not None
    model_store.assemble_embedding(entry, 256)
    engine = create_engine(load_settings())
    docs = home / "docs"
    if not docs.is_dir():
        shutil.copytree(CORPUS, docs)
        engine.add_folder(docs)
    engine.index()
    return engine


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", help="a RAGTUI_HOME to keep between runs")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    home = Path(args.data or tempfile.mkdtemp(prefix="ragtui-followups-"))
    engine = _engine(home)

    from ragtui.core.eval import metrics
    from ragtui.core.eval.dataset import read_cases
    from ragtui.core.eval.runner import _ranked_sources
    from ragtui.core.followup import Exchange, rewrite

    cases = read_cases(SET)
    standalone = {c.id.removesuffix("-standalone"): c for c in cases if "standalone" in c.tags}
    follow = [c for c in cases if c.history]

    def scores(question: str, sources: list[str]) -> tuple[float, float]:
        found = [h.path for h in engine.search(question, k=10).hits]
        top = float(any(metrics.source_matches(p, s) for p in found[:3] for s in sources))
        qrels = {s: 1 for s in sources}
        return top, metrics.ndcg_at(_ranked_sources(found, sources), qrels, 10)

    rows: dict[str, list[tuple[float, float]]] = {"off": [], "carry": [], "standalone": []}
    rewritten, per_case = 0, []
    for case in follow:
        history = [Exchange(t.question, t.answer) for t in case.history]
        carried = rewrite(case.question, history, "carry")
        rewritten += carried.rewritten
        twin = standalone[case.id]
        got = {
            "off": scores(case.question, case.expected_sources),
            "carry": scores(carried.query, case.expected_sources),
            "standalone": scores(twin.question, twin.expected_sources),
        }
        for mode, value in got.items():
            rows[mode].append(value)
        per_case.append(
            {"id": case.id, "query": carried.query, **{m: round(v[0], 2) for m, v in got.items()}}
        )
    # a standalone question in a conversation: detection only, no rewrite expected
    alone = [
        (c.question, [Exchange(t.question, t.answer) for t in follow[0].history])
        for c in standalone.values()
    ]
    wrongly = sum(rewrite(q, h).rewritten for q, h in alone)
    timings = []
    for _ in range(args.repeat):
        for case in follow:
            history = [Exchange(t.question, t.answer) for t in case.history]
            t = time.perf_counter()
            rewrite(case.question, history, "carry")
            timings.append((time.perf_counter() - t) * 1000)
        for question, history in alone:
            t = time.perf_counter()
            rewrite(question, history, "carry")
            timings.append((time.perf_counter() - t) * 1000)
    engine.close()

    def mean(values: list[tuple[float, float]], i: int) -> float:
        return round(sum(v[i] for v in values) / len(values), 4)

    print(
        json.dumps(
            {
                "dialogs": len({c.tags[1] for c in follow}),
                "followups": len(follow),
                "recall@3": {m: mean(v, 0) for m, v in rows.items()},
                "ndcg@10": {m: mean(v, 1) for m, v in rows.items()},
                "carry_vs_standalone_recall@3": round(
                    mean(rows["carry"], 0) / mean(rows["standalone"], 0), 3
                ),
                "followups_rewritten": f"{rewritten}/{len(follow)}",
                "standalone_rewritten_in_a_conversation": f"{wrongly}/{len(alone)}",
                "rewrite_ms": {
                    "p50": round(metrics.percentile(timings, 50), 4),
                    "p95": round(metrics.percentile(timings, 95), 4),
                    "n": len(timings),
                },
                "cases": per_case,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
