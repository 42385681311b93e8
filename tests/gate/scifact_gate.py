"""The CI eval gate's retrieval half: a fixed slice of BEIR SciFact, searched with the
current settings and scored per query against the committed baseline.

The slice: the first :data:`QUERIES` judged test queries (by id), every abstract they
judge relevant, and a seeded sample of the other abstracts up to :data:`DOCUMENTS`. It is
cut from ``../shared/data/scifact/beir`` at run time (the data is never copied into the
project) and indexed through the real Engine and embedding model (about half a minute).

    python -m tests.gate.scifact_gate --write-baseline   # after an intended change

The other half, the demo answers with the real model, is
``tests/integration/test_llm.py::test_demo_questions_are_answered_with_their_source_and_the_rest_abstain``.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ragtui.config import Settings, load_settings
from ragtui.core.engine import Engine
from ragtui.core.eval.beir import BeirDataset, index_corpus
from ragtui.core.eval.metrics import ndcg_at, paired_bootstrap, recall_at

SCIFACT = Path(__file__).resolve().parents[3] / "shared" / "data" / "scifact" / "beir"
BASELINE = Path(__file__).with_name("scifact_baseline.json")
QUERIES = 100
DOCUMENTS = 600
SEED = 0
#: A metric regresses when its mean drops by more than this and the paired bootstrap's
#: 95 % interval of the drop stays below zero.
TOLERANCE = 0.02
METRICS = ("ndcg@10", "recall@10")


def write_slice(target: Path, source: Path = SCIFACT) -> BeirDataset:
    """The fixed slice as a BEIR folder under ``target``."""
    full = BeirDataset(source, "test")
    queries, qrels = full.queries(), full.qrels()
    chosen = sorted((q for q in qrels if q in queries), key=int)[:QUERIES]
    relevant = {doc for q in chosen for doc in qrels[q]}
    corpus = list(full.corpus())
    others = [row for row in corpus if row[0] not in relevant]
    rng = random.Random(SEED)
    keep = relevant | {row[0] for row in rng.sample(others, DOCUMENTS - len(relevant))}
    (target / "qrels").mkdir(parents=True, exist_ok=True)
    with (target / "corpus.jsonl").open("w", encoding="utf-8") as fh:
        for doc_id, title, text in corpus:
            if doc_id in keep:
                fh.write(json.dumps({"_id": doc_id, "title": title, "text": text}) + "\n")
    with (target / "queries.jsonl").open("w", encoding="utf-8") as fh:
        for q in chosen:
            fh.write(json.dumps({"_id": q, "text": queries[q]}) + "\n")
    with (target / "qrels" / "test.tsv").open("w", encoding="utf-8") as fh:
        fh.write("query-id\tcorpus-id\tscore\n")
        for q in chosen:
            for doc, rel in qrels[q].items():
                fh.write(f"{q}\t{doc}\t{rel}\n")
    return BeirDataset(target, "test")


def index_slice(dataset: BeirDataset, data_dir: Path, settings: Settings) -> Engine:
    """An Engine over ``data_dir`` with the slice indexed."""
    engine = Engine(settings, data_dir)
    index_corpus(engine, dataset)
    return engine


def per_query(engine: Engine, dataset: BeirDataset) -> dict[str, dict[str, float]]:
    """Each metric per query id, for the engine's current settings."""
    queries, qrels = dataset.queries(), dataset.qrels()
    scores: dict[str, dict[str, float]] = {m: {} for m in METRICS}
    for qid in sorted(queries, key=int):
        ranked: list[str] = []
        for hit in engine.search(queries[qid], k=10).hits:
            if hit.path not in ranked:
                ranked.append(hit.path)
        scores["ndcg@10"][qid] = ndcg_at(ranked, qrels[qid], 10)
        scores["recall@10"][qid] = recall_at(ranked, qrels[qid], 10)
    return scores


def regressions(
    baseline: Mapping[str, Mapping[str, float]], current: Mapping[str, Mapping[str, float]]
) -> dict[str, dict[str, float]]:
    """Metrics that dropped beyond :data:`TOLERANCE` and their interval: {metric: figures}."""
    found = {}
    for metric in METRICS:
        ids = sorted(baseline[metric], key=int)
        mean, low, high, p = paired_bootstrap(
            [baseline[metric][q] for q in ids], [current[metric][q] for q in ids]
        )
        if mean < -TOLERANCE and high < 0:
            found[metric] = {"delta": mean, "ci_low": low, "ci_high": high, "p": p}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write-baseline", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dataset = write_slice(Path(tmp) / "slice")
        engine = index_slice(dataset, Path(tmp) / "data", load_settings())
        try:
            scores = per_query(engine, dataset)
        finally:
            engine.close()
    summary: dict[str, Any] = {m: sum(v.values()) / len(v) for m, v in scores.items()}
    if args.write_baseline:
        BASELINE.write_text(json.dumps({"means": summary, "per_query": scores}, indent=1) + "\n")
    baseline = json.loads(BASELINE.read_text())["per_query"]
    print(json.dumps({"means": summary, "regressions": regressions(baseline, scores)}))


if __name__ == "__main__":
    main()
