"""An engine with fixed, deterministic read-outs for Pilot and snapshot tests.

It implements :class:`~ragtui.core.api.EngineApi` over a real Engine of the test's
RAGTUI_HOME (conversations, catalog, trace store and indexing are real), with the figures
that depend on time, the machine or a model replaced by fixed data, so screens render
the same on every run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ragtui.config import Settings, load_settings
from ragtui.core.api import (
    Answer,
    Citation,
    ConversationStore,
    EngineApi,
    EvalComparison,
    EvalRun,
    FileInfo,
    IndexHealth,
    IndexReport,
    IndexSize,
    Passage,
    SpanRecord,
    StatsReport,
    TraceRecord,
)
from ragtui.core.engine import Engine
from ragtui.core.errors import Cancelled, NotFound
from ragtui.core.followup import rewrite
from ragtui.core.index.indexer import ProgressFn
from ragtui.core.models import Location
from ragtui.core.services.traces import TraceService
from ragtui.core.trace import Tracing

T0 = 1_767_225_600_000_000_000  # 2026-01-01 00:00:00 UTC
DAY = 1_767_225_600.0

ANSWER_TEXT = (
    "The timing belt is replaced at **45,000 miles** [1]. The engine oil is "
    "changed every 7,500 miles [2]."
)


def _ms(ms: float) -> int:
    return int(ms * 1e6)


def _span(
    name: str,
    span_id: str,
    parent: str | None,
    start_ms: float,
    dur_ms: float,
    attributes: dict[str, Any] | None = None,
    status: str = "OK",
) -> SpanRecord:
    return SpanRecord(
        "a" * 32,
        span_id,
        parent,
        name,
        T0 + _ms(start_ms),
        T0 + _ms(start_ms + dur_ms),
        status,
        attributes or {},
    )


def ask_trace() -> TraceRecord:
    """A realistic ask trace: search stages, packing, prompt, generation, citations."""
    ids = ["c1", "c2", "c3", "c4"]
    spans = [
        _span(
            "ask",
            "s01",
            None,
            0,
            3200,
            {
                "input.value": "When is the timing belt replaced?",
                "ragtui.cache.hit": "none",
                "ragtui.context.packed": ["c2", "c1"],
                "ragtui.context.dropped": ["c4"],
                "ragtui.context.truncated": ["c2"],
                "llm.model_name": "gemma-3-270m-q4_k_m",
            },
        ),
        _span("cache.lookup", "s02", "s01", 40, 1.5, {"ragtui.cache.hit": "miss"}),
        _span(
            "search",
            "s03",
            "s01",
            2,
            36,
            {
                "input.value": "When is the timing belt replaced?",
                "ragtui.retrieve.k": 3,
                **{
                    f"retrieval.documents.{i}.document.{k}": v
                    for i, (cid, score, path) in enumerate(
                        [
                            ("c1", 0.91, "/docs/car-maintenance.md"),
                            ("c2", 0.77, "/docs/car-maintenance.md"),
                            ("c4", 0.41, "/docs/recipes.md"),
                        ]
                    )
                    for k, v in (
                        ("id", cid),
                        ("score", score),
                        ("metadata", path),
                        ("content", "…"),
                    )
                },
            },
        ),
        _span("embed.query", "s04", "s03", 3, 4),
        _span(
            "retrieve.bm25",
            "s05",
            "s03",
            8,
            1.2,
            {"ragtui.retrieve.ids": ids, "ragtui.retrieve.scores": [7.1, 5.2, 2.0, 1.1]},
        ),
        _span(
            "retrieve.dense",
            "s06",
            "s03",
            9.5,
            22,
            {
                "ragtui.retrieve.ids": ["c1", "c2", "c4", "c3"],
                "ragtui.retrieve.scores": [0.71, 0.62, 0.40, 0.33],
            },
        ),
        _span(
            "retrieve.fusion",
            "s07",
            "s03",
            32,
            0.3,
            {
                "ragtui.retrieve.ids": ["c1", "c2", "c4", "c3"],
                "ragtui.retrieve.scores": [0.91, 0.77, 0.41, 0.20],
            },
        ),
        _span("context.pack", "s08", "s01", 45, 12, {"ragtui.context.budget_tokens": 900}),
        _span(
            "prompt.render",
            "s09",
            "s01",
            58,
            0.2,
            {
                "ragtui.prompt.name": "qa",
                "ragtui.prompt.version": 1,
                "ragtui.prompt.text": "Answer from the passages.\n[1] car-maintenance.md\n"
                "The timing belt is replaced at 45,000 miles.\n"
                "Question: When is the timing belt replaced?\nAnswer:",
            },
        ),
        _span(
            "llm.generate",
            "s10",
            "s01",
            60,
            3000,
            {"llm.token_count.prompt": 420, "llm.token_count.completion": 24},
        ),
        _span("llm.prefill", "s11", "s10", 60, 1900),
        _span("llm.decode", "s12", "s10", 1960, 1100),
        _span("citations.check", "s13", "s01", 3062, 100, {"ragtui.citations.explicit": 2}),
        _span("cache.store", "s14", "s01", 3170, 20),
    ]
    return TraceRecord(
        "a" * 32,
        "ask",
        T0,
        3200.0,
        "OK",
        {
            "input": "When is the timing belt replaced?",
            "cached": "none",
            "abstained": False,
            "fallback": False,
            "error": None,
        },
        spans,
    )


def traces() -> list[TraceRecord]:
    """Newest first: the ask above, a cached ask, a fallback, an index batch."""

    def summary(text: str, **kw: Any) -> dict[str, Any]:
        return {
            "input": text,
            "cached": None,
            "abstained": None,
            "fallback": None,
            "error": None,
        } | kw

    return [
        ask_trace(),
        TraceRecord(
            "b" * 32,
            "ask",
            T0 - 60 * 10**9,
            12.0,
            "OK",
            summary("When is the timing belt replaced?", cached="exact"),
        ),
        TraceRecord(
            "c" * 32,
            "ask",
            T0 - 120 * 10**9,
            950.0,
            "ERROR",
            summary("What is the wifi password?", fallback=True, error="model failed"),
        ),
        TraceRecord("d" * 32, "index", T0 - 600 * 10**9, 5830.0, "OK", summary("")),
    ]


def stats(since: str = "24h") -> dict[str, Any]:
    """Fixed stats figures as JSON (the shape of ``StatsReport.as_json()``)."""

    def spread(p50: float | None, p95: float | None, count: int = 12) -> dict[str, Any]:
        return {"count": count, "p50": p50, "p95": p95, "p99": p95}

    stages = {
        "cache.lookup": spread(1.2, 2.0),
        "embed.query": spread(4.0, 9.0),
        "retrieve.bm25": spread(1.1, 2.4),
        "retrieve.dense": spread(21.0, 35.0),
        "retrieve.fusion": spread(0.3, 0.5),
        "context.pack": spread(11.0, 15.0),
        "prompt.render": spread(0.2, 0.3),
        "llm.prefill": spread(1900.0, 2600.0),
        "llm.decode": spread(1100.0, 1800.0),
        "citations.check": spread(95.0, 140.0),
        "cache.store": spread(18.0, 25.0),
        "ask": spread(3200.0, 4600.0),
    }
    return {
        "since": since,
        "traces": 16,
        "by_kind": {"ask": 12, "index": 3, "search": 1},
        "stages": stages,
        "answers": {
            "count": 12,
            "generated": 9,
            "latency_ms": spread(3200.0, 4600.0),
            "ttft_ms": spread(1950.0, 2650.0),
            "prefill_tokens_per_s": spread(214.0, 240.0),
            "decode_tokens_per_s": spread(40.0, 44.0),
            "abstention_rate": 0.0833,
            "fallback_rate": 0.0833,
            "error_rate": 0.0,
        },
        "tokens_per_day": [
            {
                "day": "2025-12-30",
                "prompt_tokens": 2100,
                "completion_tokens": 160,
                "answers": 5,
                "cost_usd": 0.000411,
            },
            {
                "day": "2025-12-31",
                "prompt_tokens": 1700,
                "completion_tokens": 120,
                "answers": 4,
                "cost_usd": 0.000327,
            },
        ],
        "cache": {
            "answers": {"exact_hit_rate": 0.1667, "semantic_hit_rate": 0.0833, "lookups": 12},
            "embeddings": {"hit_rate": 0.9, "hits": 90, "misses": 10},
        },
        "process": {
            "rss_bytes_p50": 880_000_000.0,
            "rss_bytes_max": 910_000_000.0,
            "cpu_s_per_answer": spread(6.2, 8.0),
            "current": {"rss_bytes": 650_000_000, "cpu_s": 12.0},
        },
        "energy": {
            "watts": 15.0,
            "wh_total": 0.31,
            "wh_per_answer": 0.0258,
            "basis": "CPU-seconds × stats.watts",
        },
        "cost": {
            "reference": "gpt-4o-mini",
            "total_usd": 0.000738,
            "per_answer_usd": 0.000082,
            "today_usd": 0.000327,
            "daily_budget_usd": 1.0,
            "over_budget": False,
        },
        "index": {
            "files": 9,
            "failed": 1,
            "skipped": 0,
            "chunks": 41,
            "embedded": 41,
            "bytes_on_disk": 241_000,
            "bytes": {},
        },
        "warnings": [],
        "drift": drift(),
    }


def drift() -> dict[str, Any]:
    """A fixed drift block: the questions alert, retrieval and latency hold, the corpus
    has no new chunks."""

    def signal(
        group: str,
        test: str,
        stat: float | None,
        p: float | None,
        adjusted: float | None,
        values: tuple[float | None, float | None] = (None, None),
        n: tuple[int, int] = (200, 30),
    ) -> dict[str, Any]:
        return {
            "group": group,
            "test": test,
            "statistic": stat,
            "p_value": p,
            "p_adjusted": adjusted,
            "baseline_n": n[0],
            "recent_n": n[1],
            "baseline_value": values[0],
            "recent_value": values[1],
            "alert": adjusted is not None and adjusted < 0.05,
        }

    return {
        "enabled": True,
        "baseline": 200,
        "recent": 30,
        "alpha": 0.05,
        "signals": {
            "questions": signal("questions", "mmd", 0.0412, 0.002, 0.008),
            "top1_similarity": signal("retrieval", "mann-whitney", -0.08, 0.21, 0.63, (0.61, 0.58)),
            "abstention_rate": signal("retrieval", "mann-whitney", 0.02, 0.5, 1.0, (0.08, 0.1)),
            "latency_ms": signal("answers", "mann-whitney", 0.05, 0.4, 0.8, (3200.0, 3350.0)),
            "new_topics": signal("corpus", "far-share", None, None, None, n=(0, 0)),
        },
        "alerts": [
            "Drift: Question topics: differ from the ones before (last 30 against 200, p=0.002)."
        ],
        "elapsed_ms": 41.0,
    }


def _eval_case(
    case_id: str, question: str, answer: str, metrics: dict[str, float | None], **extra: Any
) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "question": question,
        "answerable": True,
        "expected_answer": extra.pop("expected", None),
        "expected_sources": ["car-maintenance.md"],
        "tags": [],
        "retrieved": ["car-maintenance.md", "recipes.md"],
        "answer": answer,
        "abstained": False,
        "fallback": False,
        "error": None,
        "citations": [
            {
                "n": 1,
                "path": "/home/you/documents/car-maintenance.md",
                "chunk_id": "c1",
                "inferred": False,
            }
        ],
        "contexts": [
            "Change the engine oil every 7,500 miles; the timing belt is replaced at 45,000 miles."
        ],
        "tokens": {"prompt": 420, "completion": 24},
        "metrics": metrics,
        "trace_id": "a" * 32,
    } | extra


def eval_runs_data() -> list[dict[str, Any]]:
    """Two stored runs, newest first: a degraded BM25 k=1 run and its baseline."""

    def run(run_id: str, name: str, created: float, metrics: dict[str, float]) -> dict[str, Any]:
        return {
            "run_id": run_id,
            "name": name,
            "dataset": "/home/you/evals/car.jsonl",
            "created": created,
            "finished": created + 95,
            "status": "complete",
            "total": 3,
            "config": {"retrieval_only": False, "judge": True},
            "metrics": {
                k: {
                    "mean": v,
                    "ci95": [round(v * 0.8, 4), round(v * 1.1, 4)],
                    "n": {"abstention_accuracy": 1, "faithfulness": 2}.get(k, 3),
                }
                for k, v in metrics.items()
            },
            "timing": {"wall_s": 95.0, "pipeline_s": 80.0, "judge_s": 12.5, "fallback_cases": 0},
        }

    return [
        run(
            "20260101-000000-bbbbbb",
            "bm25-k1",
            DAY,
            {
                "ndcg@10": 0.412,
                "token_f1": 0.381,
                "faithfulness": 0.667,
                "abstention_accuracy": 1.0,
                "latency_ms": 2950.0,
            },
        ),
        run(
            "20251231-120000-aaaaaa",
            "baseline",
            DAY - 43_200,
            {
                "ndcg@10": 0.853,
                "token_f1": 0.612,
                "faithfulness": 0.889,
                "abstention_accuracy": 1.0,
                "latency_ms": 3180.0,
            },
        ),
    ]


def eval_cases(run_id: str) -> list[dict[str, Any]]:
    """The three cases of a fixed run (the newer run answers the belt case worse)."""
    worse = run_id.endswith("bbbbbb")
    return [
        _eval_case(
            "car-1",
            "When is the timing belt replaced?",
            "The oil is changed every 7,500 miles [1]."
            if worse
            else "The timing belt is replaced at 45,000 miles [1].",
            {
                "ndcg@10": 0.0 if worse else 1.0,
                "token_f1": 0.2 if worse else 0.9,
                "faithfulness": 0.5 if worse else 1.0,
                "latency_ms": 2900.0,
            },
            expected="At 45,000 miles.",
        ),
        _eval_case(
            "car-2",
            "How often is the engine oil changed?",
            "Every 7,500 miles [1].",
            {"ndcg@10": 0.63, "token_f1": 0.8, "faithfulness": 1.0, "latency_ms": 3100.0},
            expected="Every 7,500 miles.",
        ),
        _eval_case(
            "wifi-1",
            "What is the wifi password?",
            "I could not find that.",
            {"abstention_accuracy": 1.0, "latency_ms": 1200.0},
            answerable=False,
            abstained=True,
            expected_sources=[],
        ),
    ]


def eval_compare_data(a: str, b: str) -> dict[str, Any]:
    """The comparison of the two fixed runs as JSON: nDCG@10 and token F1 regress."""

    def row(
        metric: str, ma: float, mb: float, p: float, kind: str = "quality", regression: bool = False
    ) -> dict[str, Any]:
        d = round(mb - ma, 4)
        spread = max(abs(d) * 0.5, 0.05)
        return {
            "metric": metric,
            "a": ma,
            "b": mb,
            "delta": d,
            "ci95": [round(d - spread, 4), round(d + spread, 4)],
            "p": p,
            "n": 3,
            "kind": kind,
            "regression": regression,
        }

    runs = {r["run_id"]: r for r in eval_runs_data()}
    rows = [
        row("ndcg@10", 0.853, 0.412, 0.004, regression=True),
        row("token_f1", 0.612, 0.381, 0.012, regression=True),
        row("faithfulness", 0.889, 0.667, 0.31),
        row("abstention_accuracy", 1.0, 1.0, 1.0),
        row("latency_ms", 3180.0, 2950.0, 0.41, kind="cost"),
    ]
    return {
        "a": {"run_id": a, "name": runs[a]["name"]},
        "b": {"run_id": b, "name": runs[b]["name"]},
        "cases_compared": 3,
        "tolerance": 0.02,
        "metrics": rows,
        "regressions": ["ndcg@10", "token_f1"],
        "changed_cases": [
            {
                "case_id": "car-1",
                "question": "When is the timing belt replaced?",
                "deltas": {"ndcg@10": -1.0, "token_f1": -0.7, "faithfulness": -0.5},
            }
        ],
    }


class FixedEvals:
    """Two fixed stored runs and their comparison; a new run goes to the real engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def runs(self) -> list[EvalRun]:
        return [EvalRun.model_validate(run) for run in eval_runs_data()]

    def get(self, run: str, *, with_cases: bool = True) -> EvalRun:
        for found in eval_runs_data():
            if found["run_id"].startswith(run) or found["name"] == run:
                cases = eval_cases(found["run_id"]) if with_cases else None
                return EvalRun.model_validate(found | {"cases": cases})
        raise NotFound(f"No eval run matches {run!r}: `ragtui eval list` shows them.")

    def compare(self, a: str, b: str, tolerance: float = 0.02) -> EvalComparison:
        return EvalComparison.model_validate(
            eval_compare_data(self.get(a).run_id, self.get(b).run_id)
        )

    def run(self, dataset: Path, **options: Any) -> Any:
        return self.engine.evals.run(dataset, **options)


class FixedTraces:
    """Four fixed traces; ratings go to the real trace store."""

    def __init__(self, real: TraceService) -> None:
        self.real = real

    def rate(self, trace_id: str, up: bool) -> str:
        return self.real.rate(trace_id, up)

    def recent(self, limit: int = 20, name: str | None = None) -> list[TraceRecord]:
        return traces()[:limit]

    def get(self, trace_id: str) -> TraceRecord:
        for t in traces():
            if t.trace_id.startswith(trace_id):
                return ask_trace() if t.trace_id == "a" * 32 else t
        raise NotFound(f"No single trace matches {trace_id!r}.")


class FixedStats:
    """Fixed stats figures, index size and health."""

    def figures(self, since: str = "24h") -> StatsReport:
        return StatsReport.model_validate(stats(since))

    def index_size(self) -> IndexSize:
        return IndexSize(
            files=4, failed=1, skipped=0, chunks=21, embedded=21, bytes_on_disk=241_000, bytes={}
        )

    def doctor(self) -> IndexHealth:
        return IndexHealth.model_validate(
            {
                "consistent": True,
                "problems": [],
                "repaired": [],
                "data_dir": "",
                "catalog": {
                    "files": 6,
                    "indexed": 4,
                    "failed": 1,
                    "chunks": 21,
                    "embedded": 21,
                    "pending_vector_deletes": 0,
                    "generation": 3,
                },
                "keywords": {"chunks": 21},
                "vectors": {"rows": 21, "duplicates": 0, "orphans": 0, "missing": 0},
            }
        )


class FixedPassages:
    """Three fixed passages of the demo car notes."""

    def __init__(self, docs: Path) -> None:
        self.docs = docs

    def passages(self, chunk_ids: Sequence[str]) -> dict[str, Passage]:
        found = {}
        for cid in chunk_ids:
            if cid in ("c1", "c2", "c3"):
                found[cid] = Passage(
                    chunk_id=cid,
                    path=str(self.docs / "car-maintenance.md"),
                    location=Location(
                        heading=("Kestrel Wagon — Maintenance Notes", "Service schedule"),
                        line_start=7,
                        line_end=9,
                    ),
                    text="Change the engine oil every 7,500 miles; the timing belt is "
                    "replaced at 45,000 miles.",
                    context="Kestrel Wagon — Maintenance Notes > Service schedule",
                )
        return found


class FixedEngine:
    """Real conversations, trace store and indexing; fixed files, traces, stats, health,
    evals and answers (a follow-up's answer carries the real rewrite as its retrieval query)."""

    warmed = 0

    def warm(self) -> list[str]:
        """Nothing to load: count the calls."""
        self.warmed += 1
        return []

    def __init__(
        self,
        docs: Path,
        data_dir: Path,
        *,
        token_delay_s: float = 0.0,
        answer: Callable[[str], Answer] | None = None,
    ) -> None:
        self.real = Engine(load_settings(), data_dir)
        self.docs = docs
        self.token_delay_s = token_delay_s
        self._answer = answer
        self.asked: list[str] = []
        self.histories: list[list[Any]] = []
        self.retriever = FixedPassages(docs)
        self.evals = FixedEvals(self.real)
        self.continuous = self.real.continuous
        self.traces = FixedTraces(self.real.traces)
        self.stats = FixedStats()

    @property
    def settings(self) -> Settings:
        return self.real.settings

    @property
    def data_dir(self) -> Path:
        return self.real.data_dir

    @property
    def tracing(self) -> Tracing:
        return self.real.tracing

    @property
    def conversations(self) -> ConversationStore:
        return self.real.conversations

    # library ------------------------------------------------------------------------
    def folders(self) -> list[str]:
        return [str(self.docs)]

    def add_folder(self, folder: Path) -> tuple[str, bool]:
        return self.real.add_folder(folder)

    def remove_folder(self, folder: Path) -> IndexReport:
        return self.real.remove_folder(folder)

    def files(self) -> list[FileInfo]:
        names = [
            ("car-maintenance.md", "indexed", 6, None),
            ("home-network.txt", "indexed", 5, None),
            ("lisbon-trip-2025.txt", "indexed", 5, None),
            ("broken.pdf", "failed", 0, "broken.pdf is not a readable PDF: re-save it."),
            ("recipes.md", "indexed", 5, None),
            ("notes/empty.txt", "empty", 0, None),
        ]
        return [
            FileInfo(
                path=str(self.docs / name),
                status=status,
                size=1000 + i,
                chunks=chunks,
                embedded=chunks,
                indexed_at=DAY + 60 * i,
                error=error,
            )
            for i, (name, status, chunks, error) in enumerate(names)
        ]

    def index(
        self,
        targets: Sequence[Path] | None = None,
        *,
        rebuild: bool = False,
        embed: bool = True,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
    ) -> IndexReport:
        return self.real.index(
            targets, rebuild=rebuild, embed=embed, cancel=cancel, progress=progress
        )

    def apply_changes(
        self,
        changed: Sequence[Path],
        *,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
    ) -> IndexReport:
        return self.real.apply_changes(changed, cancel=cancel, progress=progress)

    def housekeep(self) -> bool:
        return self.real.housekeep()

    # answers -----------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        *,
        k: int | None = None,
        use_cache: bool = True,
        on_token: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
        history: Any = (),
    ) -> Answer:
        self.asked.append(question)
        self.histories.append(list(history))
        if self._answer is not None:
            return self._answer(question)
        for piece in ANSWER_TEXT.split(" "):
            if cancel is not None and cancel.is_set():
                raise Cancelled("The answer was stopped.")
            if on_token is not None:
                on_token(piece + " ")
            if self.token_delay_s:
                time.sleep(self.token_delay_s)
        query = rewrite(question, history).query  # the real rules: what a follow-up searches
        return fixed_answer(
            question, self.docs, retrieval_query=query if query != question else None
        )

    def close(self) -> None:
        self.real.close()


def _implements(engine: FixedEngine) -> EngineApi:
    """A FixedEngine is an EngineApi (mypy checks this assignment)."""
    return engine


def fixed_answer(question: str, docs: Path, **flags: Any) -> Answer:
    """The answer FixedEngine gives, with two citations into the demo car notes."""
    where = Location(
        heading=("Kestrel Wagon — Maintenance Notes", "Service schedule"), line_start=7, line_end=9
    )
    cites = (
        Citation(
            n=1,
            chunk_id="c1",
            path=str(docs / "car-maintenance.md"),
            location=where,
            snippet="the timing belt is replaced at 45,000 miles",
            inferred=False,
        ),
        Citation(
            n=2,
            chunk_id="c2",
            path=str(docs / "car-maintenance.md"),
            location=where,
            snippet="Change the engine oil every 7,500 miles",
            inferred=False,
        ),
    )
    return Answer(
        question=question,
        answer=ANSWER_TEXT,
        citations=cites,
        timings_ms={"retrieve": 36.0, "ttft": 1960.0, "generate": 3000.0, "total": 3200.0},
        tokens={"prompt": 420, "completion": 24},
        model="gemma-3-270m-q4_k_m",
        prompt_version="qa@1",
        **flags,
    )
