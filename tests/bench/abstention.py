"""Gather abstention signals on labelled questions and fit / check the decline rule.

    python tests/bench/abstention.py gather OUT.jsonl --dataset clapnq|squad|realdocs
        [--limit N] [--seed S] [--data DIR]
    python tests/bench/abstention.py fit ROWS.jsonl [ROWS.jsonl …]

``gather`` retrieves each question as ``ragtui ask`` does (no model) and writes one row per
question: its dataset, whether the documents answer it, and the signals of
``ragtui.core.abstain``. CLAP NQ and SQuAD are imported with ``ragtui eval import`` into a
temporary folder; SQuAD questions are retrieved against the whole SQuAD dev set.
``realdocs`` uses the index ``tests/bench/realdocs.py --data DIR`` built.

``fit`` fits the logistic weights on all rows (answerable and unanswerable questions weigh
the same in all, and each dataset the same within them), then prints, per dataset, the
share of answerable questions declined and of unanswerable ones answered at a range of
thresholds, for the fitted weights and for the weights in ``ragtui.core.abstain``, and a
leave-one-dataset-out check of the fit.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"


def _rows_for(engine: Any, cases: list[tuple[str, bool]], dataset: str) -> list[dict[str, Any]]:
    from ragtui.core import abstain, evidence

    k = engine.settings.answer.k
    rows = []
    for question, answerable in cases:
        hits = list(engine.search(question, k=k).hits)
        scored = evidence.score_sentences(
            engine.embedder.embed_query(question), hits, engine.embedder.embed_passages
        )
        found = abstain.signals(question, hits, scored, engine.store.keywords.rarity())
        rows.append(
            {"dataset": dataset, "question": question, "answerable": answerable, **found.as_dict()}
        )
    return rows


def gather(args: argparse.Namespace) -> None:
    from ragtui.config import load_settings
    from ragtui.core.engine import Engine
    from ragtui.core.eval.beir import BeirDataset, index_corpus
    from ragtui.core.eval.dataset import corpus_dir, read_cases
    from ragtui.core.eval.importers import import_dataset

    settings = load_settings()
    if args.dataset == "realdocs":
        if not args.data:
            sys.exit("realdocs needs --data DIR (the index tests/bench/realdocs.py built)")
        engine = Engine(settings, Path(args.data) / "data")
        cases = [json.loads(line) for line in (REPO / "assets/realdocs/questions.jsonl").open()]
        rows = _rows_for(engine, [(c["question"], c["answerable"]) for c in cases], "realdocs")
    else:
        work = Path(args.data or tempfile.mkdtemp(prefix="ragtui-abstain-"))
        out = work / f"{args.dataset}.jsonl"
        source = {
            "clapnq": SHARED / "clapnq",
            "squad": SHARED / "squad-v1.1-dev" / "dev-v1.1.json",
        }[args.dataset]
        import_dataset(args.dataset, source, out, limit=args.limit, seed=args.seed)
        cases = read_cases(out)
        folder = corpus_dir(out, cases[0])
        assert folder is not None
        engine = Engine(settings, work / "data")
        index_corpus(engine, BeirDataset(folder, "test"))
        rows = _rows_for(engine, [(c.question, c.answerable) for c in cases], args.dataset)
    engine.close()
    with Path(args.out).open("w") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
    print(f"{len(rows)} rows → {args.out}")


def _matrix(rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from ragtui.core.abstain import FEATURES

    x = np.array([[r[f] for f in FEATURES] for r in rows], dtype=float)
    y = np.array([1.0 if r["answerable"] else 0.0 for r in rows])
    groups: dict[tuple[str, bool], int] = {}
    for r in rows:
        groups[(r["dataset"], r["answerable"])] = groups.get((r["dataset"], r["answerable"]), 0) + 1
    per_label = {label: sum(1 for _, a in groups if a == label) for label in (True, False)}
    w = np.array(
        [
            1.0 / (groups[(r["dataset"], r["answerable"])] * per_label[r["answerable"]] * 2)
            for r in rows
        ]
    )
    return x, y, w


def fit_logistic(rows: list[dict[str, Any]], l2: float = 1e-3) -> tuple[np.ndarray, float]:
    """Weighted logistic regression by Newton's method (weights: labels, then datasets even)."""
    x, y, w = _matrix(rows)
    design = np.hstack([x, np.ones((len(x), 1))])
    beta = np.zeros(design.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-design @ beta))
        grad = design.T @ (w * (p - y)) + l2 * np.r_[beta[:-1], 0]
        hess = (design * (w * p * (1 - p))[:, None]).T @ design + l2 * np.eye(len(beta))
        beta -= np.linalg.solve(hess, grad)
    return beta[:-1], float(beta[-1])


def _probabilities(
    rows: list[dict[str, Any]],
    weights: np.ndarray,
    intercept: float,
) -> np.ndarray:
    x, _, _ = _matrix(rows)
    return 1 / (1 + np.exp(-(x @ weights + intercept)))


def curve(
    rows: list[dict[str, Any]], weights: np.ndarray, intercept: float, thresholds: list[float]
) -> dict[str, list[dict[str, float]]]:
    """Per dataset and threshold: answerable declined, unanswerable answered."""
    p = _probabilities(rows, weights, intercept)
    out: dict[str, list[dict[str, float]]] = {}
    for dataset in sorted({r["dataset"] for r in rows}):
        idx = [i for i, r in enumerate(rows) if r["dataset"] == dataset]
        ans = [i for i in idx if rows[i]["answerable"]]
        una = [i for i in idx if not rows[i]["answerable"]]
        out[dataset] = [
            {
                "threshold": t,
                "answerable_declined": round(float(np.mean(p[ans] < t)), 3) if ans else None,
                "unanswerable_answered": round(float(np.mean(p[una] >= t)), 3) if una else None,
            }
            for t in thresholds
        ]
    return out


def fit(args: argparse.Namespace) -> None:
    from ragtui.core import abstain

    rows = [
        json.loads(line)
        for path in args.rows
        for line in Path(path).read_text().splitlines()
        if line.strip()
    ]
    thresholds = [round(t, 2) for t in np.arange(0.1, 0.91, 0.05)]
    weights, intercept = fit_logistic(rows)
    report: dict[str, Any] = {
        "features": abstain.FEATURES,
        "fitted": {
            "weights": [round(float(w), 3) for w in weights],
            "intercept": round(intercept, 3),
            "curve": curve(rows, weights, intercept, thresholds),
        },
        "shipped": {
            "weights": abstain.WEIGHTS,
            "intercept": abstain.INTERCEPT,
            "curve": curve(rows, np.array(abstain.WEIGHTS), abstain.INTERCEPT, thresholds),
        },
        "leave_one_dataset_out": {},
    }
    for held in sorted({r["dataset"] for r in rows}):
        train = [r for r in rows if r["dataset"] != held]
        test = [r for r in rows if r["dataset"] == held]
        w, b = fit_logistic(train)
        report["leave_one_dataset_out"][held] = curve(test, w, b, thresholds)[held]
    print(json.dumps(report, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("gather")
    g.add_argument("out")
    g.add_argument("--dataset", choices=["clapnq", "squad", "realdocs"], required=True)
    g.add_argument("--limit", type=int, default=150)
    g.add_argument("--seed", type=int, default=7)
    g.add_argument("--data")
    f = sub.add_parser("fit")
    f.add_argument("rows", nargs="+")
    args = parser.parse_args()
    gather(args) if args.command == "gather" else fit(args)


if __name__ == "__main__":
    main()
