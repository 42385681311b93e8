"""Follow-up retrieval (and, optionally, answers) on a follow-up set, no model by default.

``--set demo`` (the default) is ``assets/followups/demo.jsonl`` over the demo corpus;
``--set squad`` is ``assets/followups/squad.jsonl`` over every paragraph of the SQuAD
articles it uses, indexed as ``ragtui eval import squad`` lays them out (one document per
paragraph, read from ../shared/data in place). In a scratch RAGTUI_HOME it indexes the
corpus with the default embedding model, then searches every follow-up as asked
(``retrieval.followups`` off), rewritten (carry) and its standalone twin, and prints one
JSON object: Recall@3 (the expected source among the three passages an answer gets) and
nDCG@10 of each, carry/standalone ratios, the share of questions rewritten, and the
rewrite time (detection included) p50/p95 over every question of the set, follow-ups and
standalone ones, repeated ``--repeat`` times.

``--condense`` also rewrites each follow-up with the default model (``condense@1``,
falling back to the carry-over when the rewrite is degenerate) and reports its Recall@3,
nDCG@10, how often it fell back and why, and its time p50/p95 (the model warm).

``--answers`` also asks each follow-up with its history (``engine.ask(q, history=…)``) and
its standalone twin alone, and reports token F1 and the share with the expected answer in
the answer, or in the answer or its evidence (an answer that fell back to quoting passages
counts by its evidence only, as in ``realdocs.py``). It runs the configured language model;
with RAGTUI_LLM__MODEL_PATH set to a missing file every answer is the extractive fallback.

    python tests/bench/followups.py [--set demo|squad] [--data DIR] [--repeat 200]
        [--limit N] [--answers]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SETS = {
    "demo": REPO / "assets" / "followups" / "demo.jsonl",
    "squad": REPO / "assets" / "followups" / "squad.jsonl",
}
CORPUS = REPO / "assets" / "demo" / "corpus"


def _engine(home: Path, which: str, cases: list[Any]) -> Any:
    os.environ["RAGTUI_HOME"] = str(home)
    from ragtui.config import load_settings
    from ragtui.core import model_store
    from ragtui.core.engine import create_engine

    entry = model_store.embedding_entry("all-MiniLM-L6-v2-int8")
    assert entry is not None
    model_store.assemble_embedding(entry, 256)
    engine = create_engine(load_settings())
    if which == "squad":
        _index_squad(engine, home / "squad.corpus", cases)
        return engine
    docs = home / "docs"
    if not docs.is_dir():
        shutil.copytree(CORPUS, docs)
        engine.add_folder(docs)
    engine.index()
    return engine


def _index_squad(engine: Any, folder: Path, cases: list[Any]) -> None:
    """Write and index every paragraph of the articles the set's cases come from."""
    from build_squad_followups import SQUAD, corpus_rows

    from ragtui.core.eval.beir import BeirDataset, index_corpus

    articles = json.loads(SQUAD.read_text(encoding="utf-8"))["data"]
    rows = corpus_rows(articles, {c.tags[2] for c in cases})
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    corpus = folder / "corpus.jsonl"
    if not corpus.is_file() or corpus.read_text(encoding="utf-8") != text:  # else: indexed
        folder.mkdir(parents=True, exist_ok=True)
        corpus.write_text(text, encoding="utf-8")
    started = time.perf_counter()
    report = index_corpus(engine, BeirDataset(folder, "test"))
    took = time.perf_counter() - started
    print(f"indexed {report.added} paragraphs in {took:.0f} s", file=sys.stderr, flush=True)


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def retrieval(
    engine: Any,
    follow: list[Any],
    standalone: dict[str, Any],
    repeat: int,
    condense: Any = None,
) -> Any:
    """Recall@3 and nDCG@10 as asked, rewritten (carry; also condense when ``condense``
    is given) and standalone; rewrite share and time."""
    from ragtui.core.eval import metrics
    from ragtui.core.eval.runner import _ranked_sources
    from ragtui.core.followup import Exchange, rewrite

    def scores(question: str, sources: list[str]) -> tuple[float, float]:
        found = [h.path for h in engine.search(question, k=10).hits]
        top = float(any(metrics.source_matches(p, s) for p in found[:3] for s in sources))
        qrels = {s: 1 for s in sources}
        return top, metrics.ndcg_at(_ranked_sources(found, sources), qrels, 10)

    rows: dict[str, list[tuple[float, float]]] = {"off": [], "carry": [], "standalone": []}
    if condense is not None:
        rows["condense"] = []
    condensed_ms: list[float] = []
    fell_back: list[str] = []
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
        extra: dict[str, str] = {}
        if condense is not None:
            made = rewrite(case.question, history, "condense", condense)
            got["condense"] = scores(made.query, case.expected_sources)
            condensed_ms.append(made.ms)
            extra["condensed"] = made.query
            if made.method != "condense":
                fell_back.append(made.reason)
        for mode, value in got.items():
            rows[mode].append(value)
        per_case.append(
            {
                "id": case.id,
                "query": carried.query,
                **extra,
                **{m: round(v[0], 2) for m, v in got.items()},
            }
        )
    # a standalone question in a conversation: detection only, no rewrite expected
    alone = [
        (c.question, [Exchange(t.question, t.answer) for t in follow[0].history])
        for c in standalone.values()
    ]
    wrongly = sum(rewrite(q, h).rewritten for q, h in alone)
    asked = [(c.question, [Exchange(t.question, t.answer) for t in c.history]) for c in follow]
    timings = []
    for _ in range(repeat):
        for question, history in asked + alone:
            t = time.perf_counter()
            rewrite(question, history, "carry")
            timings.append((time.perf_counter() - t) * 1000)
    recall = {m: _mean([v[0] for v in values]) for m, values in rows.items()}
    ndcg = {m: _mean([v[1] for v in values]) for m, values in rows.items()}
    return {
        "recall@3": recall,
        "ndcg@10": ndcg,
        "carry_vs_standalone_recall@3": _ratio(recall["carry"], recall["standalone"]),
        "carry_vs_standalone_ndcg@10": _ratio(ndcg["carry"], ndcg["standalone"]),
        "followups_rewritten": f"{rewritten}/{len(follow)}",
        "standalone_rewritten_in_a_conversation": f"{wrongly}/{len(alone)}",
        "rewrite_ms": {
            "p50": round(metrics.percentile(timings, 50), 4),
            "p95": round(metrics.percentile(timings, 95), 4),
            "n": len(timings),
        },
        **(
            {
                "condense_vs_standalone_recall@3": _ratio(recall["condense"], recall["standalone"]),
                "condense_fell_back": len(fell_back),
                "condense_fallback_reasons": sorted(set(fell_back)),
                "condense_ms": {
                    "p50": round(metrics.percentile(condensed_ms, 50), 1),
                    "p95": round(metrics.percentile(condensed_ms, 95), 1),
                    "n": len(condensed_ms),
                },
            }
            if condense is not None
            else {}
        ),
        "cases": per_case,
    }


def answers(engine: Any, follow: list[Any], standalone: dict[str, Any]) -> Any:
    """Token F1 and expected-answer shares of follow-ups (with history) and their twins."""
    from ragtui.core.eval.metrics import has_facts, percentile, token_f1
    from ragtui.core.followup import Exchange

    rows: dict[str, list[dict[str, Any]]] = {"followup": [], "standalone": []}
    for case in follow:
        twin = standalone[case.id]
        history = [Exchange(t.question, t.answer) for t in case.history]
        for mode, asked, turns in (("followup", case, history), ("standalone", twin, [])):
            answer = engine.ask(asked.question, use_cache=False, history=turns)
            golds = asked.answers()
            shown = "" if answer.abstained or answer.fallback else answer.answer
            evidence = " ".join(e.text for e in answer.evidence)
            rows[mode].append(
                {
                    "id": asked.id,
                    "answer": answer.answer,
                    "token_f1": token_f1(shown, golds),
                    "in_answer": has_facts(shown, [golds]),
                    "in_answer_or_evidence": has_facts(f"{shown} {evidence}", [golds]),
                    "abstained": answer.abstained,
                    "fallback": answer.fallback,
                    "total_ms": answer.timings_ms.get("total", 0.0),
                }
            )
            print(json.dumps({k: rows[mode][-1][k] for k in ("id", "token_f1")}), file=sys.stderr)

    def summary(items: list[dict[str, Any]]) -> dict[str, float]:
        return {
            "token_f1": _mean([r["token_f1"] for r in items]),
            "answer_in_answer": _mean([float(r["in_answer"]) for r in items]),
            "answer_in_answer_or_evidence": _mean(
                [float(r["in_answer_or_evidence"]) for r in items]
            ),
            "abstained": _mean([float(r["abstained"]) for r in items]),
            "fallback": _mean([float(r["fallback"]) for r in items]),
            "total_ms_p50": round(percentile([r["total_ms"] for r in items], 50)),
        }

    got = {mode: summary(items) for mode, items in rows.items()}
    return {
        **got,
        "followup_vs_standalone_token_f1": _ratio(
            got["followup"]["token_f1"], got["standalone"]["token_f1"]
        ),
        "cases": rows,
    }


def _condenser(engine: Any, args: argparse.Namespace) -> Any:
    """The model's rewrite for ``--condense`` (warmed up once), else None."""
    if not args.condense:
        return None
    from ragtui.core.condense import model_condenser
    from ragtui.core.followup import Exchange

    condense = model_condenser(engine.backend)
    condense("And the rear ones?", [Exchange("What pressure do the front tyres take?", "")])
    return condense


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", choices=sorted(SETS), default="demo")
    parser.add_argument("--data", help="a RAGTUI_HOME to keep between runs")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--limit", type=int, help="only the first N follow-ups")
    parser.add_argument("--answers", action="store_true", help="also ask (runs the model)")
    parser.add_argument(
        "--condense", action="store_true", help="also rewrite with the model (condense@1)"
    )
    args = parser.parse_args()

    from ragtui.core.eval.dataset import read_cases

    cases = read_cases(SETS[args.set])
    standalone = {c.id.removesuffix("-standalone"): c for c in cases if "standalone" in c.tags}
    follow = [c for c in cases if c.history][: args.limit]
    home = Path(args.data or tempfile.mkdtemp(prefix="ragtui-followups-"))
    engine = _engine(home, args.set, cases)
    try:
        result: dict[str, Any] = {
            "set": args.set,
            "dialogs": len({c.tags[1] for c in follow}),
            "followups": len(follow),
            **retrieval(engine, follow, standalone, args.repeat, _condenser(engine, args)),
        }
        if args.answers:
            result["answers"] = answers(engine, follow, standalone)
    finally:
        engine.close()
    print(json.dumps(result, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
