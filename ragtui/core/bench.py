"""``ragtui bench``: throughput and latency of this machine on a real corpus."""

from __future__ import annotations

import os
import random
import shutil
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

from ragtui.config import Settings
from ragtui.core.engine import Engine
from ragtui.core.errors import RagtuiError
from ragtui.core.eval.metrics import percentile
from ragtui.core.index.indexer import parse_chunks
from ragtui.core.ingest import loaders
from ragtui.core.ingest.document import LoaderError, Unsupported
from ragtui.core.ingest.scan import scan

if TYPE_CHECKING:
    from ragtui.core.generate import Generation, LlamaCppBackend


@dataclass
class BenchCorpus:
    """The files a benchmark indexes (a capped, sorted sample of one folder)."""

    root: Path
    files: list[Path]


def pick_corpus(root: Path, max_files: int, settings: Settings) -> BenchCorpus:
    """The first ``max_files`` readable files under ``root``."""
    files = [
        Path(e.path)
        for e in scan(root, settings.ingest)
        if loaders.loader_for(Path(e.path)) is not None
    ]
    return BenchCorpus(root, files[:max_files])


def _chunk_texts(corpus: BenchCorpus, settings: Settings) -> list[str]:
    texts: list[str] = []
    for path in corpus.files:
        try:
            doc = loaders.load_file(path, max_bytes=int(settings.ingest.max_file_mb * 2**20))
        except (LoaderError, Unsupported):
            continue
        texts.extend(r.index_text() for r in parse_chunks("bench", doc, settings.ingest))
    return texts


def run_bench(
    settings: Settings,
    corpus: BenchCorpus,
    scratch: Path,
    queries: int = 60,
    keep: bool = False,
) -> dict[str, Any]:
    """Raw embedding vs end-to-end indexing throughput, then hybrid search latency."""
    proc = psutil.Process()
    shutil.rmtree(scratch, ignore_errors=True)
    staged = scratch / "corpus"
    for path in corpus.files:
        target = staged / path.relative_to(corpus.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    texts = _chunk_texts(corpus, settings)
    engine = Engine(settings, scratch / "data")
    try:
        embedder = engine.embedder
        embedder.embed_passages(texts[:8])  # load the model outside the timings
        model: Any = embedder.load()
        started = time.perf_counter()
        for _ in model.embed(texts, batch_size=embedder.settings.batch_size):
            pass  # raw fastembed: the same model and chunks, no ragtui code in the loop
        raw_seconds = time.perf_counter() - started
        started = time.perf_counter()
        report = engine.index([staged])
        index_seconds = time.perf_counter() - started
        chunks = engine.stats.counts().chunks
        rng = random.Random(7)
        sample = rng.sample(texts, min(queries, len(texts)))
        questions = [" ".join(t.split()[:8]) for t in sample]
        engine.search(questions[0])  # warm caches
        latencies = []
        for question in questions:
            t = time.perf_counter()
            engine.search(question, k=10, mode="hybrid")
            latencies.append((time.perf_counter() - t) * 1000)
        traced, untraced = _tracing_overhead(engine, questions)
        raw_rate = len(texts) / raw_seconds if raw_seconds else 0.0
        index_rate = chunks / index_seconds if index_seconds else 0.0
        return {
            "corpus": str(corpus.root),
            "files": len(corpus.files),
            "chunks": chunks,
            "raw_embed_chunks_per_s": round(raw_rate, 2),
            "index_chunks_per_s": round(index_rate, 2),
            "index_vs_raw_embed": round(index_rate / raw_rate, 3) if raw_rate else 0.0,
            "index_seconds": round(index_seconds, 2),
            "index_failed": report.failed,
            "search_ms_p50": round(percentile(latencies, 50), 2),
            "search_ms_p95": round(percentile(latencies, 95), 2),
            "search_ms_mean": round(statistics.fmean(latencies), 2),
            "queries": len(latencies),
            "search_ms_p50_tracing_off": round(untraced, 3),
            "search_ms_p50_tracing_on": round(traced, 3),
            "tracing_overhead_search": round(traced / untraced - 1, 4),
            "rss_mb": round(proc.memory_info().rss / 2**20, 1),
            "sample_questions": questions[:8],
        }
    finally:
        engine.close()
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)


def _on_off(
    engine: Engine, questions: list[str], rounds: int, call: Callable[[str], object]
) -> dict[bool, list[float]]:
    """Milliseconds of ``call`` per question with tracing on and off, interleaved (the order
    alternates) so machine noise falls on both alike; lists are paired by position. The
    writer's own time per trace is measured apart (``_replayed_trace_cost``)."""
    times: dict[bool, list[float]] = {True: [], False: []}
    enabled = engine.tracing.enabled
    try:
        for round_ in range(rounds):
            for i, question in enumerate(questions):
                for traced in (True, False) if (i + round_) % 2 else (False, True):
                    engine.tracing.enabled = traced
                    t = time.perf_counter()
                    call(question)
                    times[traced].append((time.perf_counter() - t) * 1000)
                    # the writer stores a trace once the process is idle; here it never
                    # is, so store it now, untimed, or it lands on the next (untraced) call
                    engine.tracing.flush()
    finally:
        engine.tracing.enabled = enabled
        engine.tracing.flush()
    return times


def _tracing_overhead(
    engine: Engine,
    questions: list[str],
    calls: int = 600,
) -> tuple[float, float]:
    """Median hybrid search latency (ms) with tracing on and off, over about ``calls``
    searches each (a few hundred: a 1 % difference of 3 ms is within one call's noise)."""
    rounds = max(3, -(-calls // len(questions)))
    times = _on_off(engine, questions, rounds, lambda q: engine.search(q, k=10, mode="hybrid"))
    return statistics.median(times[True]), statistics.median(times[False])


def _ask_overhead(engine: Engine, questions: list[str], rounds: int = 2) -> dict[str, Any]:
    """Answer latency with tracing on and off (no answer cache), paired per question."""
    times = _on_off(engine, questions, rounds, lambda q: engine.ask(q, use_cache=False))
    # questions range from abstentions (ms) to long answers (s), and one answer's time
    # varies by a few % from run to run: the overhead is the median of the paired ratios
    # (the same question, on and off, back to back); the totals' ratio is reported too
    pairs = list(zip(times[True], times[False], strict=True))
    on, off = sum(times[True]), sum(times[False])
    return {
        "ask_ms_p50_tracing_off": round(statistics.median(times[False]), 1),
        "ask_ms_p50_tracing_on": round(statistics.median(times[True]), 1),
        "tracing_overhead_ask": round(statistics.median(a / b for a, b in pairs) - 1, 4),
        "tracing_overhead_ask_total": round(on / off - 1, 4),
        "tracing_overhead_ask_paired_median_ms": round(
            statistics.median(a - b for a, b in pairs), 2
        ),
    }


def _replayed_trace_cost(
    engine: Engine,
    ask_ms: float,
    copies: int = 300,
) -> dict[str, Any]:
    """What tracing one answer costs, measured directly: the newest real ``ask`` trace's
    spans, attributes and events are recorded again ``copies`` times (on the answering
    path) and then stored (the writer's work, done between questions). Run to run, an
    answer's own time varies more than tracing costs, so this is the figure to trust."""
    import tempfile

    from ragtui.core.trace import Tracing

    engine.tracing.flush()
    model = engine.tracing.store.last("ask")
    if model is None:
        return {}
    children: dict[str | None, list[Any]] = {}
    for span in model.spans:
        children.setdefault(span.parent_id, []).append(span)
    root = children[None][0]

    def emit(tracing: Tracing, record: Any) -> None:
        with tracing.span(record.name, record.attributes) as span:
            for event in record.events:
                span.add_event(event["name"], event["attributes"])
            for child in children.get(record.span_id, ()):
                emit(tracing, child)

    with tempfile.TemporaryDirectory() as scratch:
        tracing = Tracing(engine.settings.tracing, Path(scratch) / "traces.sqlite")
        try:
            emit(tracing, root)
            tracing.flush()
            started = time.perf_counter()
            for _ in range(copies):
                emit(tracing, root)
            recorded = time.perf_counter() - started
            started = time.perf_counter()
            tracing.flush()
            stored = time.perf_counter() - started
        finally:
            tracing.close()
    per_ask_ms = recorded / copies * 1000
    return {
        "tracing_spans_per_ask": len(model.spans),
        "tracing_ms_per_ask": round(per_ask_ms, 4),
        "tracing_store_ms_per_ask": round(stored / copies * 1000, 3),
        "tracing_overhead_ask_direct": round(per_ask_ms / ask_ms, 5) if ask_ms else None,
    }


def run_trace_store_bench(
    engine: Engine, scratch: Path, traces: int = 10_000, runs: int = 5
) -> dict[str, Any]:
    """Wall time of `ragtui traces list` and `ragtui stats` (fresh processes, as a user runs
    them) over ``traces`` copies of this engine's newest real trace."""
    import subprocess
    import sys

    from ragtui.core.trace_store import TraceStore

    engine.tracing.flush()
    store = engine.tracing.store
    answered = [t for t in store.recent(50, "ask") if t.summary.get("completion_tokens")]
    model = store.get(answered[0].trace_id) if answered else store.last()
    if model is None:
        return {"traces_bench": "skipped: no trace to copy"}
    home = scratch / "trace-home"
    shutil.rmtree(home, ignore_errors=True)
    copies = TraceStore(home / "data" / "traces.sqlite")
    span_ms = 30 * 86400e9 / traces  # spread over 30 days
    batch = []
    for n in range(traces):
        shift = int(n * span_ms) - (model.start_ns - (time.time_ns() - int(30 * 86400e9)))
        trace_id = f"{random.getrandbits(128):032x}"
        spans = [
            type(s)(
                trace_id,
                s.span_id,
                s.parent_id,
                s.name,
                s.start_ns + shift,
                s.end_ns + shift,
                s.status,
                s.attributes,
                s.events,
            )
            for s in model.spans
        ]
        batch.append(
            type(model)(
                trace_id,
                model.name,
                model.start_ns + shift,
                model.duration_ms,
                model.status,
                dict(model.summary),
                spans,
            )
        )
        if len(batch) == 1000:
            copies.write(batch)
            batch = []
    copies.write(batch)
    copies.close()
    figures: dict[str, Any] = {"traces_stored": traces, "spans_per_trace": len(model.spans)}
    # an installed ragtui has its bytecode compiled; a source checkout may not write it
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    for label, args in (
        ("traces_list_ms", ["traces", "list"]),
        ("stats_ms", ["stats", "--since", "all"]),
    ):
        walls = []
        for run in range(runs + 1):  # the first run compiles the bytecode; not counted
            t = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "ragtui", "--home", str(home), *args],
                check=True,
                capture_output=True,
                env=env,
            )
            if run:
                walls.append((time.perf_counter() - t) * 1000)
        figures[label] = round(statistics.median(walls), 1)
    shutil.rmtree(home, ignore_errors=True)
    return figures


def _raw_stream(
    llm: Any, prompt: str, max_tokens: int, stop: list[str]
) -> tuple[float, int, float]:
    """Plain llama-cpp-python: (ttft s, completion tokens, total s) from a cold context."""
    llm.reset()
    started = time.perf_counter()
    first: float | None = None
    pieces = 0
    for chunk in llm.create_completion(
        prompt, max_tokens=max_tokens, temperature=0.0, stop=stop, stream=True
    ):
        if chunk["choices"][0].get("text"):
            first = first or time.perf_counter()
            pieces += 1
    done = time.perf_counter()
    return (first or done) - started, pieces, done - started


def _decode_tps(result: Generation) -> float:
    """Decode tokens per second of one generation (after its first token)."""
    return (result.completion_tokens - 1) / max((result.generate_ms - result.ttft_ms) / 1000, 1e-9)


class _PromptLookupFigures:
    """Plain greedy decoding against prompt-lookup decoding on the same prompts, each from
    the same (empty) context: decode speed, drafts accepted, and whether the text matched."""

    def __init__(self, backend: LlamaCppBackend) -> None:
        from ragtui.core.generate import LlamaCppBackend

        self.plain = LlamaCppBackend(
            backend.path,
            backend.settings.model_copy(update={"draft": "off"}),
            backend.prompt_format,
        )
        self.drafting = LlamaCppBackend(
            backend.path,
            backend.settings.model_copy(update={"draft": "prompt_lookup"}),
            backend.prompt_format,
        )
        self.plain_tps: list[float] = []
        self.lookup_tps: list[float] = []
        self.same = self.proposed = self.accepted = self.prompts = 0

    def measure(self, prefix: str, rest: str, stop: Sequence[str], max_tokens: int) -> None:
        results = []
        for backend in (self.plain, self.drafting):
            backend.llm().reset()
            results.append(
                backend.generate(
                    prefix,
                    rest,
                    max_tokens=max_tokens,
                    temperature=0.0,
                    stop=stop,
                    on_token=None,
                    deadline=time.perf_counter() + 600,
                )
            )
        plain, drafted = results
        self.prompts += 1
        self.same += plain.text == drafted.text
        self.proposed += drafted.draft_proposed
        self.accepted += drafted.draft_accepted
        if plain.completion_tokens > 1 and drafted.completion_tokens > 1:
            self.plain_tps.append(_decode_tps(plain))
            self.lookup_tps.append(_decode_tps(drafted))

    def figures(self) -> dict[str, Any]:
        med = statistics.median
        ratio = med(self.lookup_tps) / med(self.plain_tps) if self.plain_tps else 0.0
        return {
            "prompt_lookup_draft_tokens": self.drafting.settings.draft_tokens,
            "prompt_lookup_decode_tokens_per_s": round(med(self.lookup_tps), 1)
            if self.lookup_tps
            else 0.0,
            "plain_decode_tokens_per_s": round(med(self.plain_tps), 1) if self.plain_tps else 0.0,
            "prompt_lookup_decode_ratio": round(ratio, 3),
            "prompt_lookup_acceptance": round(self.accepted / self.proposed, 3)
            if self.proposed
            else 0.0,
            "prompt_lookup_same_text": round(self.same / self.prompts, 3) if self.prompts else 0.0,
        }


def run_llm_bench(engine: Engine, questions: list[str], rounds: int = 2) -> dict[str, Any]:
    """TTFT and decode speed against raw llama-cpp-python, prefix-state reuse, cache hits."""
    from ragtui.core import prompts
    from ragtui.core.context import passage_relevance, prompt_context, render
    from ragtui.core.generate import LlamaCppBackend

    try:
        backend = engine.backend()
    except RagtuiError as exc:
        return {"llm": f"skipped: {exc}"}
    if not isinstance(backend, LlamaCppBackend):
        return {"llm": "skipped: the in-process llama.cpp backend is not configured"}
    proc = psutil.Process()
    llm = backend.llm()
    cfg = engine.settings
    template = prompts.load(cfg.answer.prompt, cfg.answer.prompt_version)
    max_tokens = cfg.llm.max_tokens
    raw_ttft: list[float] = []
    raw_decode: list[float] = []
    cold_ttft: list[float] = []
    warm_ttft: list[float] = []
    ours_decode: list[float] = []
    lookup = _PromptLookupFigures(backend)
    states = backend.state_cache
    for question in questions:
        hits = engine.search(question, k=cfg.answer.k).hits
        scores = passage_relevance(
            engine.embedder.embed_query(question), hits, engine.embedder.embed_passages
        )
        packed, _ = prompt_context(question, hits, scores, template, backend, cfg)
        prefix, rest = render(template, packed, question)
        ttft, pieces, total = _raw_stream(llm, prefix + rest, max_tokens, list(template.stop))
        raw_ttft.append(ttft * 1000)
        if pieces > 1:
            raw_decode.append((pieces - 1) / (total - ttft))
        for cached in (False, True):
            llm.reset()
            backend.state_cache = states if cached else None
            result = backend.generate(
                prefix,
                rest,
                max_tokens=max_tokens,
                temperature=0.0,
                stop=template.stop,
                on_token=None,
                deadline=time.perf_counter() + 600,
            )
            (warm_ttft if cached else cold_ttft).append(result.ttft_ms)
            if not cached and result.completion_tokens > 1:
                ours_decode.append(_decode_tps(result))
        lookup.measure(prefix, rest, template.stop, max_tokens)
    backend.state_cache = states
    engine.ask(questions[0])
    hit = engine.ask(questions[0])
    overhead = _ask_overhead(engine, questions, rounds)
    overhead |= _replayed_trace_cost(engine, overhead["ask_ms_p50_tracing_off"])
    med = statistics.median
    return overhead | {
        "llm_model": backend.model_id,
        "questions": len(questions),
        "raw_ttft_ms_p50": round(med(raw_ttft), 1),
        "ttft_ms_p50": round(med(cold_ttft), 1),
        "ttft_vs_raw": round(med(cold_ttft) / med(raw_ttft), 3),
        "raw_decode_tokens_per_s": round(med(raw_decode), 1) if raw_decode else 0.0,
        "decode_tokens_per_s": round(med(ours_decode), 1) if ours_decode else 0.0,
        "decode_vs_raw": round(med(ours_decode) / med(raw_decode), 3)
        if raw_decode and ours_decode
        else 0.0,
        **lookup.figures(),
        "prefix_cache_ttft_ms_p50": round(med(warm_ttft), 1),
        "prefix_cache_ttft_ratio": round(med(warm_ttft) / med(cold_ttft), 3),
        "exact_cache_hit_ms": round(hit.timings_ms["total"], 2),
        "exact_cache_hit_kind": hit.cached,
        "rss_mb_with_llm": round(proc.memory_info().rss / 2**20, 1),
    }
