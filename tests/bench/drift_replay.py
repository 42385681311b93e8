"""Replay a question stream through the real answer pipeline and drift code, with and
without a shift, and report false alarms and detection delays per signal.

    python tests/bench/drift_replay.py [--questions 500] [--shift 100] [--seed 0]
        [--step 1] [--baseline N] [--recent N] [--alpha A] [--data DIR]

SQuAD v1.1 dev paragraphs (90 % of them) are indexed with the configured embedder in a
temporary data dir. ``--questions`` SQuAD questions in random order are asked, then
``--shift`` CLAP NQ dev questions (answerable and unanswerable mixed): the topic shift.
Each question is a real ``engine.ask`` (no cache) whose trace the tracer stores; the
language model is a stub that fails, so no model runs and every answer is the extractive
fallback: the answer signals (length, unsupported, fallback, refocus, latency, tokens)
are not meaningful here and are left out of the figures. Every ``--step`` questions the
drift block is computed from the trace store exactly as ``ragtui stats`` does.

Figures: per signal, the share of checks whose recent window holds only SQuAD questions
that alert (false alarms), and the questions after the switch until the first alert
(detection delay). The corpus check then indexes the held-out 10 % of SQuAD paragraphs
(no new topic) and 300 CLAP NQ passages (new topics), each as the only new chunks. Also
timed: computing the drift block, and re-embedding a window of questions instead of
storing their vectors.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
SQUAD = SHARED / "squad-v1.1-dev" / "beir_view"
CLAPNQ = SHARED / "clapnq" / "annotated_data" / "dev"
REPLAYED = ("questions", "top1_similarity", "topk_similarity", "abstention_rate")
REPLAYED += ("nothing_relevant_rate",)


class _NoModel:
    """A language model stub that fails at once: the pipeline answers extractively."""

    model_id = "none"
    prompt_format = "completion"
    n_ctx = 4096

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def generate(self, *args: Any, **kwargs: Any) -> Any:
        from ragtui.core.generate import GenerationError

        raise GenerationError("drift replay: no model")


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def _documents(rows: list[tuple[str, str, str]]) -> Any:
    from ragtui.core.ingest.document import LoadedDocument, Section

    for doc_id, title, text in rows:
        content = hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()
        yield (
            doc_id,
            content,
            LoadedDocument(loader="beir", title=title or None, sections=[Section(text)]),
        )


def _streams(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    rng = random.Random(args.seed)
    squad = [q["text"] for q in _jsonl(SQUAD / "queries.jsonl")]
    clap = [
        q["input"]
        for name in ("answerable", "unanswerable")
        for q in _jsonl(CLAPNQ / f"clapnq_dev_{name}.jsonl")
    ]
    return rng.sample(squad, args.questions), rng.sample(clap, args.shift)


def _check(engine: Any, settings: Any) -> dict[str, Any]:
    from ragtui.core import drift_signals

    engine.tracing.flush()
    return drift_signals.compute(engine.tracing.store, settings)


def _replay(
    engine: Any, args: argparse.Namespace, settings: Any
) -> tuple[list[dict[str, Any]], float]:
    null, shifted = _streams(args)
    checks = []
    started = time.perf_counter()
    first = settings.baseline + settings.recent
    for i, question in enumerate(null + shifted, 1):
        engine.ask(question, use_cache=False)
        if i >= first and (i - first) % args.step == 0:
            block = _check(engine, settings)
            checks.append({"asked": i, **block})
    return checks, time.perf_counter() - started


def _figures(checks: list[dict[str, Any]], switch: int, alpha: float) -> dict[str, Any]:
    null = [c for c in checks if c["asked"] <= switch]
    after = [c for c in checks if c["asked"] > switch]
    out: dict[str, Any] = {}
    for name in REPLAYED:
        signal_null = [
            c["signals"][name] for c in null if c["signals"][name]["p_value"] is not None
        ]
        first = next((c["asked"] - switch for c in after if c["signals"][name]["alert"]), None)
        raw_first = next(
            (c["asked"] - switch for c in after if (c["signals"][name]["p_value"] or 1) < alpha),
            None,
        )
        out[name] = {
            "null_windows": len(signal_null),
            "false_alarm_rate": round(sum(s["alert"] for s in signal_null) / len(signal_null), 4)
            if signal_null
            else None,
            "raw_p_below_alpha_rate": round(
                sum(s["p_value"] < alpha for s in signal_null) / len(signal_null), 4
            )
            if signal_null
            else None,
            "detection_delay": first,
            "raw_detection_delay": raw_first,
        }

    def alerting(check: dict[str, Any]) -> bool:
        return any(check["signals"][name]["alert"] for name in REPLAYED)

    any_alert = [alerting(c) for c in null]
    out["any_replayed_signal"] = {
        "false_alarm_rate": round(sum(any_alert) / len(any_alert), 4) if any_alert else None,
        "detection_delay": next((c["asked"] - switch for c in after if alerting(c)), None),
    }
    return out


def _corpus(
    engine: Any, settings: Any, squad_rest: list[Any], clap_rows: list[Any]
) -> dict[str, Any]:
    from ragtui.core import drift_signals

    found = {}
    for name, rows in (("squad_held_out", squad_rest), ("clapnq_passages", clap_rows)):
        time.sleep(1.1)  # so the window holds only this step's chunks
        since = time.time()
        engine.index_documents(_documents(rows))
        window = settings.model_copy(update={"corpus_window": f"{time.time() - since + 1:.1f}s"})
        t = time.perf_counter()
        signal = drift_signals.corpus_signal(
            engine.store.catalog, lambda: engine.store.vectors, window
        )
        signal["elapsed_ms"] = round((time.perf_counter() - t) * 1000, 1)
        drift_signals.decide({"new_topics": signal}, settings.alpha)  # checked alone
        found[name] = signal
    return found


def _re_embed_ms(engine: Any, questions: list[str]) -> float:
    """What re-embedding a baseline and recent window of questions would cost (no cache)."""
    model = engine.store.embedder.load()
    t = time.perf_counter()
    list(model.query_embed(questions))
    return round((time.perf_counter() - t) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--shift", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--step", type=int, default=1)
    parser.add_argument("--baseline", type=int)
    parser.add_argument("--recent", type=int)
    parser.add_argument("--alpha", type=float)
    parser.add_argument("--data", help="work dir (kept); a temporary one by default")
    args = parser.parse_args()

    from ragtui.config import load_settings
    from ragtui.core.engine import Engine

    overrides = {k: getattr(args, k) for k in ("baseline", "recent", "alpha") if getattr(args, k)}
    settings = load_settings(drift=overrides, answer={"cache": False})
    work = Path(args.data or tempfile.mkdtemp(prefix="ragtui-drift-"))
    engine = Engine(settings, work / "data")
    engine._backend = _NoModel()  # type: ignore[assignment]
    corpus = [
        (str(r["_id"]), r.get("title") or "", r.get("text") or "")
        for r in _jsonl(SQUAD / "corpus.jsonl")
    ]
    t = time.perf_counter()
    engine.index_documents(_documents([r for i, r in enumerate(corpus) if i % 10]))
    index_s = time.perf_counter() - t
    engine.tracing.store.purge()  # a kept work dir starts each replay afresh
    checks, replay_s = _replay(engine, args, settings.drift)
    elapsed = [c["elapsed_ms"] for c in checks]
    clap = _jsonl(CLAPNQ / "clapnq_dev_answerable.jsonl")
    clap_rows = [
        (f"clap-{c['id']}", c["passages"][0]["title"], c["passages"][0]["text"]) for c in clap
    ]
    corpus_found = _corpus(
        engine, settings.drift, [r for i, r in enumerate(corpus) if not i % 10], clap_rows
    )
    window = settings.drift.baseline + settings.drift.recent
    null, _ = _streams(args)
    report = {
        "questions": args.questions,
        "shift": args.shift,
        "seed": args.seed,
        "step": args.step,
        "drift": settings.drift.model_dump(),
        "checks": len(checks),
        "signals": _figures(checks, args.questions, settings.drift.alpha),
        "corpus": corpus_found,
        "cost": {
            "drift_block_ms_p50": round(statistics.median(elapsed), 1),
            "drift_block_ms_max": max(elapsed),
            f"re_embed_{window}_questions_ms": _re_embed_ms(engine, null[:window]),
            "index_s": round(index_s, 1),
            "replay_s": round(replay_s, 1),
        },
        "left_out": "answer signals: the replay runs no language model",
    }
    engine.close()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
