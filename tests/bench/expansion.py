"""Query expansion (``retrieval.expansion``) against none, on SciFact, Cranfield and CLAP NQ.

Each dataset is indexed once into its own eval index (under ``--data``, reused between
runs). Then the same queries are searched (hybrid, default settings, k = 100) with every
expansion mode, and per mode the script prints nDCG@10, Recall@100 and the search time
(p50/p95, the model's writing included), and per metric the paired-bootstrap difference
from no expansion with its 95 % interval. CLAP NQ's relevant passage is each answerable
question's gold passage. ``multi`` and ``hyde`` run the default language model once per
query: measure with the machine otherwise idle.

    python tests/bench/expansion.py [--data DIR] [--limit 100] [--modes off,keywords,...]
        [--datasets scifact,cranfield,clapnq] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
BEIR = {
    "scifact": SHARED / "scifact" / "beir",
    "cranfield": SHARED / "cranfield" / "beir_view",
}


def _queries(name: str, work: Path, limit: int) -> tuple[Any, list[tuple[str, dict[str, int]]]]:
    """The dataset's BEIR folder and its first ``limit`` judged queries with their qrels."""
    from ragtui.core.eval.beir import BeirDataset

    if name in BEIR:
        dataset = BeirDataset(BEIR[name], "test")
        queries, qrels = dataset.queries(), dataset.qrels()
        judged = [q for q in sorted(qrels) if q in queries][:limit]
        return dataset, [(queries[q], qrels[q]) for q in judged]
    from ragtui.core.eval.dataset import corpus_dir, read_cases
    from ragtui.core.eval.importers import import_dataset

    out = work / "clapnq.jsonl"
    if not out.exists():
        import_dataset("clapnq", SHARED / "clapnq", out, limit=2 * limit, seed=7)
    cases = [c for c in read_cases(out) if c.answerable and c.expected_sources][:limit]
    folder = corpus_dir(out, cases[0])
    assert folder is not None
    return BeirDataset(folder, "test"), [
        (c.question, dict.fromkeys(c.expected_sources, 1)) for c in cases
    ]


def _run(engine: Any, queries: list[tuple[str, dict[str, int]]]) -> dict[str, list[float]]:
    from ragtui.core.eval.metrics import ndcg_at, recall_at

    found: dict[str, list[float]] = {"ndcg@10": [], "recall@100": [], "ms": []}
    for text, qrels in queries:
        started = time.perf_counter()
        hits = engine.search(text, k=100).hits
        found["ms"].append((time.perf_counter() - started) * 1000)
        ranked = list(dict.fromkeys(h.path for h in hits))
        found["ndcg@10"].append(ndcg_at(ranked, qrels, 10))
        found["recall@100"].append(recall_at(ranked, qrels, 100))
    return found


def measure(name: str, work: Path, limit: int, modes: list[str]) -> dict[str, Any]:
    """Every mode's figures on one dataset, and their differences from ``off``."""
    from ragtui.config import load_settings
    from ragtui.core.engine import Engine
    from ragtui.core.eval.beir import index_corpus
    from ragtui.core.eval.metrics import paired_bootstrap, percentile

    dataset, queries = _queries(name, work, limit)
    settings = load_settings()
    index_corpus(Engine(settings, work / name), dataset)
    runs: dict[str, dict[str, list[float]]] = {}
    for mode in modes:
        settings.retrieval.expansion = mode  # type: ignore[assignment]
        engine = Engine(settings, work / name)
        engine.search("warm up", k=10)
        runs[mode] = _run(engine, queries)
        engine.close()
    report: dict[str, Any] = {"queries": len(queries)}
    for mode, run in runs.items():
        row: dict[str, Any] = {
            metric: round(sum(v) / len(v), 4) for metric, v in run.items() if metric != "ms"
        }
        row["ms_p50"] = round(percentile(run["ms"], 50), 1)
        row["ms_p95"] = round(percentile(run["ms"], 95), 1)
        if mode != "off" and "off" in runs:
            for metric in ("ndcg@10", "recall@100"):
                delta, low, high, _p = paired_bootstrap(runs["off"][metric], run[metric])
                row[f"{metric}_delta"] = [round(delta, 4), round(low, 4), round(high, 4)]
        report[mode] = row
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", help="where the eval indexes are kept between runs")
    parser.add_argument("--limit", type=int, default=100, help="queries per dataset")
    parser.add_argument("--modes", default="off,keywords,multi,hyde")
    parser.add_argument("--datasets", default="scifact,cranfield,clapnq")
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()
    work = Path(args.data or tempfile.mkdtemp(prefix="ragtui-expansion-"))
    work.mkdir(parents=True, exist_ok=True)
    modes = args.modes.split(",")
    result = {name: measure(name, work, args.limit, modes) for name in args.datasets.split(",")}
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
