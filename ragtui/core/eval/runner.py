"""Eval runs: every case through the real pipeline, scored, stored as it finishes.

A case with a ``corpus`` is asked against that corpus's own index (built once per
corpus, chunking and embedding model, like ``ragtui eval beir``); other cases use
the user's index. Each case is one trace (``eval.case``) whose id is stored with
its result. Judge calls are timed apart so the evaluation's own overhead can be
reported without them.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ragtui import __version__
from ragtui.config import Settings
from ragtui.core import citations, followup
from ragtui.core.condense import model_condenser
from ragtui.core.errors import Cancelled, PathProblem
from ragtui.core.eval import metrics
from ragtui.core.eval.beir import BeirDataset, beir_data_dir, index_corpus
from ragtui.core.eval.dataset import EvalCase, corpus_dir, read_cases
from ragtui.core.eval.judge import Judge
from ragtui.core.eval.pace import Pace
from ragtui.core.eval.ports import EvalEngine, OpenEngine
from ragtui.core.eval.runs import RunStore
from ragtui.core.giveway import checkpoint, giving_way
from ragtui.core.trace import trace_id_of
from ragtui.paths import DataLayout

RETRIEVAL_K = 10  # the cut-off of the ranking metrics; retrieval.k hits are ranked
#: Metrics where a higher mean is better; compare gates on these.
QUALITY = (
    "ndcg@10",
    "recall@10",
    "mrr@10",
    "context_precision",
    "context_recall",
    "exact_match",
    "token_f1",
    "semantic_similarity",
    "faithfulness",
    "faithfulness_embedding",
    "answer_relevancy",
    "citation_precision",
    "abstention_accuracy",
)
#: Cost metrics (lower is better); reported, not gated.
COST = ("latency_ms", "prompt_tokens", "completion_tokens")

EvalProgress = Callable[[int, int, str], None]


@dataclass
class RunResult:
    """What ``eval run`` prints."""

    run_id: str
    name: str
    status: str
    metrics: dict[str, Any]
    timing: dict[str, Any]
    cases: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """``{run_id, name, status, metrics, timing, cases}``."""
        return {
            "run_id": self.run_id,
            "name": self.name,
            "status": self.status,
            "metrics": self.metrics,
            "timing": self.timing,
            "cases": self.cases,
        }


def aggregate(cases: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Mean, 95 % bootstrap interval and count of every metric over the cases that have it."""
    names = sorted({k for c in cases for k, v in c["metrics"].items() if v is not None})
    out = {}
    for name in names:
        values = [float(c["metrics"][name]) for c in cases if c["metrics"].get(name) is not None]
        low, high = metrics.bootstrap_ci(values)
        out[name] = {
            "mean": round(sum(values) / len(values), 4),
            "ci95": [round(low, 4), round(high, 4)],
            "n": len(values),
        }
    return out


class EvalRunner:
    """Runs a dataset through an engine's pipeline and scores every case."""

    def __init__(
        self,
        engine: EvalEngine,
        open_engine: OpenEngine,
        store: RunStore,
        *,
        retrieval_only: bool = False,
        judge: bool = True,
        workers: int | None = None,
        pace: Pace | None = None,
    ) -> None:
        self.engine = engine
        self.pace = pace  # background runs wait for their turn and yield to questions
        self.open_engine = open_engine
        # every case tries the model: a circuit breaker would turn the cases after one
        # timeout into extractive answers and measure the breaker, not the model; and
        # every case gets the default prompt (a prompt rollout is for live questions)
        cfg = engine.settings
        self.settings: Settings = cfg.model_copy(
            update={
                "llm": cfg.llm.model_copy(update={"breaker_s": 0.0}),
                "answer": cfg.answer.model_copy(update={"prompt_candidates": {}}),
            }
        )
        self.store = store
        self.retrieval_only = retrieval_only
        self.use_judge = judge and not retrieval_only
        self.workers = workers or (2 if retrieval_only else 1)
        self._engines: dict[str, EvalEngine] = {}
        self._engines_lock = threading.Lock()
        self._judge: Judge | None = None
        self._pipeline_s = 0.0
        self._judge_s = 0.0
        self._timing_lock = threading.Lock()

    # configuration -------------------------------------------------------------------
    def snapshot(self, dataset: Path, overrides: dict[str, Any]) -> dict[str, Any]:
        """Everything that decides a run's outcome: models, prompts, settings, versions."""
        from ragtui.core import model_store, prompts

        cfg = self.settings
        answer_prompt = prompts.load(cfg.answer.prompt, cfg.answer.prompt_version).id
        llm: dict[str, Any] = {"backend": cfg.llm.backend, "model": cfg.llm.model}
        if cfg.llm.model_path is not None and cfg.llm.model_path.is_file():
            llm["file"] = str(cfg.llm.model_path)
            llm["sha256"] = model_store.sha256_of(cfg.llm.model_path)
        else:
            entry = model_store.llm_entry(cfg.llm.model)
            llm["sha256"] = entry.sha256 if entry is not None else None
        return {
            "ragtui_version": __version__,
            "dataset": str(dataset.resolve()),
            "dataset_sha256": model_store.sha256_of(dataset),
            "retrieval_only": self.retrieval_only,
            "judge": self.use_judge,
            "overrides": overrides,
            "models": {"embedding": cfg.embedding.model, "llm": llm},
            "prompts": {
                "answer": answer_prompt,
                "judge": prompts.load(cfg.eval.judge_prompt).id if self.use_judge else None,
            },
            "judge_model": str(cfg.eval.judge_model_path or "the answering model"),
            "settings": cfg.model_dump(mode="json", exclude={"tracing", "stats"}),
        }

    # engines ---------------------------------------------------------------------------
    def engine_for(
        self, dataset: Path, case: EvalCase, cancel: threading.Event | None = None
    ) -> EvalEngine:
        """The engine a case is asked against (its corpus's own index, built on first use)."""
        folder = corpus_dir(dataset, case)
        key = str(folder)
        with self._engines_lock:
            if folder is None:
                if key not in self._engines:
                    self._engines[key] = self.open_engine(
                        self.settings, self.engine.data_dir, self.engine.tracing
                    )
                return self._engines[key]
            if key not in self._engines:
                if not (folder / "corpus.jsonl").is_file():
                    raise PathProblem(
                        f"{folder / 'corpus.jsonl'} is missing: case {case.id} "
                        "names a corpus folder that holds no corpus.jsonl."
                    )
                corpus = BeirDataset(folder, "test")
                engine = self.open_engine(
                    self.settings,
                    beir_data_dir(self.engine.data_dir, corpus, self.settings),
                    self.engine.tracing,
                )
                index_corpus(engine, corpus, cancel)
                self._engines[key] = engine
            return self._engines[key]

    def _judge_for(self, engine: EvalEngine) -> Judge:
        if self._judge is None:
            cfg = self.settings.eval
            backend = engine.backend()
            if cfg.judge_model_path is not None:
                from ragtui.core.generate import LlamaCppBackend

                backend = LlamaCppBackend(
                    cfg.judge_model_path.expanduser(), self.settings.llm, "completion"
                )
            self._judge = Judge(
                backend, DataLayout(self.engine.data_dir).cache / "judge", cfg.judge_prompt
            )
        return self._judge

    # one case --------------------------------------------------------------------------
    def run_case(self, dataset: Path, case: EvalCase, run_id: str) -> dict[str, Any]:
        """Ask (or search) one case inside its own trace and score it; with a pace, a case
        stopped for a question is asked again at the next turn."""
        if self.pace is None:
            return self._run_case(dataset, case, run_id, None)
        while True:
            with self.pace.step() as stop, giving_way(stop):
                try:
                    return self._run_case(dataset, case, run_id, stop)
                except Cancelled:
                    if self.pace.cancelled:
                        raise
            if not self.pace.wait_turn():
                raise Cancelled("The eval run was stopped.")

    def _run_case(
        self, dataset: Path, case: EvalCase, run_id: str, stop: threading.Event | None
    ) -> dict[str, Any]:
        engine = self.engine_for(dataset, case)
        with engine.tracing.span(
            "eval.case",
            {
                "input.value": case.question,
                "ragtui.eval.run_id": run_id,
                "ragtui.eval.case_id": case.id,
            },
        ) as span:
            result = self._score(engine, case, stop)
            result["trace_id"] = trace_id_of(span)
            span.set_attributes(
                {f"ragtui.eval.{k}": v for k, v in result["metrics"].items() if v is not None}
            )
        return result

    def _score(
        self, engine: EvalEngine, case: EvalCase, stop: threading.Event | None = None
    ) -> dict[str, Any]:
        k = self.settings.answer.k
        started = time.perf_counter()
        history = [followup.Exchange(t.question, t.answer) for t in case.history]
        mode = self.settings.retrieval.followups
        condense = model_condenser(engine.backend) if mode == "condense" else None
        query = followup.traced_rewrite(
            engine.tracing, case.question, history, mode, condense
        ).query
        checkpoint()  # a paced case stopped for a question starts again at its next turn
        hits = engine.search(query, k=self.settings.retrieval.k).hits
        retrieved = [h.path for h in hits]
        result: dict[str, Any] = {
            "case_id": case.id,
            "question": case.question,
            "answerable": case.answerable,
            "expected_answer": case.expected_answer,
            "expected_sources": case.expected_sources,
            "tags": case.tags,
            "retrieved": retrieved[:RETRIEVAL_K],
        }
        if query != case.question:
            result["retrieval_query"] = query
        values: dict[str, float | None] = {}
        if self.retrieval_only:
            pipeline_s = time.perf_counter() - started
            contexts = retrieved[:k]
            values["latency_ms"] = pipeline_s * 1000
        else:
            t = time.perf_counter()
            answer = engine.ask(case.question, use_cache=False, history=history, cancel=stop)
            pipeline_s = time.perf_counter() - t
            texts = engine.retriever.chunk_texts(answer.packed)
            contexts = [texts[c][0] for c in answer.packed if c in texts]
            result |= {
                "answer": answer.answer,
                "abstained": answer.abstained,
                "fallback": answer.fallback,
                "error": answer.error,
                "citations": [
                    {"n": c.n, "path": c.path, "chunk_id": c.chunk_id, "inferred": c.inferred}
                    for c in answer.citations
                ],
                "contexts": contexts,
                "tokens": answer.tokens,
            }
            values |= {
                "latency_ms": answer.timings_ms["total"],
                "prompt_tokens": answer.tokens["prompt"],
                "completion_tokens": answer.tokens["completion"],
            }
            checkpoint()
            values |= self._answer_metrics(
                engine, case, answer, [texts[c][1] for c in answer.packed if c in texts]
            )
        with self._timing_lock:
            self._pipeline_s += pipeline_s
        if case.expected_sources:
            qrels = {s: 1 for s in case.expected_sources}
            ranked = _ranked_sources(retrieved, case.expected_sources)
            values |= {
                "ndcg@10": metrics.ndcg_at(ranked, qrels, RETRIEVAL_K),
                "recall@10": metrics.recall_at(ranked, qrels, RETRIEVAL_K),
                "mrr@10": metrics.mrr_at(ranked, qrels, RETRIEVAL_K),
                "context_precision": metrics.context_precision(contexts, case.expected_sources),
                "context_recall": metrics.context_recall(contexts, case.expected_sources),
            }
        result["metrics"] = {
            name: (round(v, 4) if isinstance(v, float) else v) for name, v in values.items()
        }
        return result

    def _answer_metrics(
        self, engine: EvalEngine, case: EvalCase, answer: Any, passages: list[str]
    ) -> dict[str, float | None]:
        values: dict[str, float | None] = {}
        if not case.answerable:
            values["abstention_accuracy"] = float(answer.abstained)
            return values
        answered = not answer.abstained and not answer.fallback
        golds = case.answers()
        if golds:
            values["exact_match"] = metrics.exact_match(answer.answer, golds)
            values["token_f1"] = metrics.token_f1(answer.answer, golds)
        if not answered:
            return values
        embed = engine.store.embedder
        vectors = embed.embed_passages([answer.answer, *golds[:1]])
        if golds:
            values["semantic_similarity"] = float(np.dot(vectors[0], vectors[1]))
        values["answer_relevancy"] = float(np.dot(embed.embed_query(case.question), vectors[0]))
        if case.expected_sources and answer.citations:
            good = [
                any(metrics.source_matches(c.path, s) for s in case.expected_sources)
                for c in answer.citations
            ]
            values["citation_precision"] = sum(good) / len(good)
        checkpoint()
        support = citations.support(
            answer.answer,
            passages,
            embed.embed_passages,
            self.settings.answer.support_floor,
            case.question,
        )
        if support.per_sentence:
            values["faithfulness_embedding"] = sum(
                p is not None for _, p, _ in support.per_sentence
            ) / len(support.per_sentence)
            if self.use_judge and passages:
                values["faithfulness"] = self._judged(engine, support.per_sentence, passages)
        return values

    def _judged(
        self, engine: EvalEngine, rows: Sequence[tuple[str, int | None, float]], passages: list[str]
    ) -> float | None:
        judge = self._judge_for(engine)
        before = judge.seconds
        verdicts = []
        for sentence, chosen, _ in rows:
            passage = passages[chosen - 1] if chosen is not None else "\n".join(passages)
            verdicts.append(judge.supported(sentence, passage))
        with self._timing_lock:
            self._judge_s += judge.seconds - before
        decided = [v for v in verdicts if v is not None]
        return sum(decided) / len(decided) if decided else None

    # a run ---------------------------------------------------------------------------------
    def run(
        self,
        dataset: Path,
        *,
        name: str | None = None,
        limit: int | None = None,
        overrides: dict[str, Any] | None = None,
        resume: str | None = None,
        cancel: threading.Event | None = None,
        progress: EvalProgress | None = None,
        meta: dict[str, Any] | None = None,
    ) -> RunResult:
        """Run (or resume) every case; results are stored as each case finishes. ``meta``
        is kept in the run's config (a continuous run's reason and fingerprint)."""
        cases = read_cases(dataset)[:limit] if limit else read_cases(dataset)
        config = self.snapshot(dataset, overrides or {}) | ({"continuous": meta} if meta else {})
        run_id, name = self._start(dataset, name, resume, len(cases), config)
        done = self.store.done_ids(run_id)
        todo = [(i, c) for i, c in enumerate(cases) if c.id not in done]
        started = time.perf_counter()
        finished = len(cases) - len(todo)
        status = "complete"
        try:
            for case in {corpus_dir(dataset, c): c for _, c in todo}.values():
                self.engine_for(dataset, case, cancel)  # index corpora before the clock matters
            started = time.perf_counter()
            with ThreadPoolExecutor(self.workers) as pool:
                pending: dict[Future[dict[str, Any]], tuple[int, EvalCase]] = {}
                queue = list(todo)
                while queue or pending:
                    while queue and len(pending) < self.workers and self._may_start(cancel):
                        ordinal, case = queue.pop(0)
                        pending[pool.submit(self.run_case, dataset, case, run_id)] = (ordinal, case)
                    if not pending:
                        break
                    ready, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in ready:
                        ordinal, case = pending.pop(future)
                        self.store.add_case(run_id, case.id, ordinal, future.result())
                        finished += 1
                        if progress is not None:
                            progress(finished, len(cases), case.id)
            if _set(cancel) and finished < len(cases):
                status = "interrupted"
        except BaseException:
            self.store.set_status(run_id, "interrupted")
            raise
        wall = time.perf_counter() - started
        stored = self.store.cases(run_id)
        timing = {
            "wall_s": round(wall, 2),
            "pipeline_s": round(self._pipeline_s, 2),
            "judge_s": round(self._judge_s, 2),
            "cases_timed": len(todo),
            "overhead_share": round(
                max(0.0, wall - self._pipeline_s - self._judge_s) / max(wall - self._judge_s, 1e-9),
                4,
            )
            if todo and self.workers == 1
            else None,
        }
        timing["fallback_cases"] = sum(bool(c.get("fallback")) for c in stored)
        aggregate_metrics = aggregate(stored)
        self.store.finish(run_id, status, aggregate_metrics, timing)
        return RunResult(run_id, name, status, aggregate_metrics, timing, stored)

    def _start(
        self,
        dataset: Path,
        name: str | None,
        resume: str | None,
        total: int,
        config: dict[str, Any],
    ) -> tuple[str, str]:
        if resume is not None:
            run = self.store.get(resume)
            if run is None:
                raise PathProblem(f"No eval run matches {resume!r}: `ragtui eval list` shows them.")
            if _comparable(run["config"]) != _comparable(config):
                raise PathProblem(
                    f"Run {run['name']} was made with other settings or data: resume it with "
                    "the same dataset and --set options, or start a new run."
                )
            self.store.set_status(run["run_id"], "running")
            return str(run["run_id"]), str(run["name"])
        run_id = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        name = name or f"{dataset.stem}-{run_id[:15]}"
        self.store.create(run_id, name, str(dataset.resolve()), total, config)
        return run_id, name

    def close(self) -> None:
        """Close the corpus engines and the judge cache."""
        for engine in self._engines.values():
            engine.close()
        if self._judge is not None:
            self._judge.close()

    def _may_start(self, cancel: threading.Event | None) -> bool:
        """Whether the next case may start (with a pace: once it is its turn)."""
        return not _set(cancel) and (self.pace is None or self.pace.wait_turn())


def _set(cancel: threading.Event | None) -> bool:
    return cancel is not None and cancel.is_set()


def _comparable(config: dict[str, Any]) -> str:
    return json.dumps(config, sort_keys=True)


def _ranked_sources(retrieved: Sequence[str], expected: Sequence[str]) -> list[str]:
    """Retrieved sources with each expected one under its expected name (paths may be given
    relative), duplicates folded to their first rank."""
    ranked: list[str] = []
    for found in retrieved:
        name = next((e for e in expected if metrics.source_matches(found, e)), found)
        if name not in ranked:
            ranked.append(name)
    return ranked
