"""Stats math on traces with known figures."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ragtui.config import PriceSettings, StatsSettings
from ragtui.core import stats
from ragtui.core.trace_store import SpanRecord, TraceRecord, TraceStore

NOW = time.time_ns()


def _ask(
    n: int,
    ms: float,
    *,
    cached: str = "none",
    tokens: tuple[int, int] = (0, 0),
    cpu: float = 1.0,
    abstained: bool = False,
    fallback: bool = False,
    ago_s: float = 60.0,
) -> TraceRecord:
    start = NOW - int(ago_s * 1e9)
    trace_id = f"{n:032x}"
    spans = [
        SpanRecord(
            trace_id,
            f"{n:015x}a",
            None,
            "ask",
            start,
            start + int(ms * 1e6),
            "ERROR" if fallback else "OK",
            {},
        )
    ]
    if tokens[1]:
        spans.append(
            SpanRecord(
                trace_id,
                f"{n:015x}b",
                spans[0].span_id,
                "llm.generate",
                start,
                start + int(ms * 0.8e6),
                "OK",
                {},
            )
        )
    return TraceRecord(
        trace_id,
        "ask",
        start,
        ms,
        "ERROR" if fallback else "OK",
        {
            "cached": cached,
            "abstained": abstained,
            "fallback": fallback,
            "prompt_tokens": tokens[0] or None,
            "completion_tokens": tokens[1] or None,
            "ttft_ms": ms / 2 if tokens[1] else None,
            "cpu_s": cpu,
            "rss_bytes": 1000 * n,
            "embed_hits": 1,
            "embed_misses": 1 if n % 2 else 0,
        },
        spans,
    )


@pytest.fixture
def store(tmp_path: Path) -> TraceStore:
    store = TraceStore(tmp_path / "traces.sqlite")
    store.write(
        [
            _ask(1, 1000, tokens=(600, 20), cpu=2.0),
            _ask(2, 2000, tokens=(700, 30), cpu=4.0),
            _ask(3, 3000, tokens=(800, 40), cpu=6.0),
            _ask(4, 10, cached="exact", cpu=0.01),
            _ask(5, 12, cached="semantic", cpu=0.01),
            _ask(6, 500, abstained=True, cpu=0.5),
            _ask(7, 900, fallback=True, cpu=0.5),
            _ask(8, 1000, tokens=(1000, 10), ago_s=3 * 86400),  # outside a 24 h window
        ]
    )
    return store


def test_percentiles_interpolate() -> None:
    assert stats.percentile([1, 2, 3, 4], 50) == 2.5
    assert stats.percentile([10], 95) == 10
    assert stats.percentile([], 50) is None
    assert stats.percentile(list(range(101)), 99) == 99


def test_since_windows() -> None:
    assert stats.since_ns("all") == 0
    assert stats.since_ns("24h", now_ns=10**15) == 10**15 - 86400 * 10**9
    assert stats.since_ns("7d", now_ns=10**15) == 10**15 - 7 * 86400 * 10**9
    with pytest.raises(ValueError, match="24h, 7d or all"):
        stats.since_ns("yesterday")


def test_figures_from_known_traces(store: TraceStore) -> None:
    settings = StatsSettings(
        watts=36.0,
        price_reference="ref",
        prices={"ref": PriceSettings(prompt_per_1k=0.001, completion_per_1k=0.01)},
        daily_budget_usd=0.001,
    )
    figures = stats.compute(store, settings, stats.since_ns("24h"))
    answers = figures["answers"]
    assert answers["count"] == 7 and answers["generated"] == 3
    assert answers["ttft_ms"]["p50"] == 1000  # halves of 1000, 2000, 3000
    assert answers["abstention_rate"] == pytest.approx(1 / 7, abs=1e-4)
    assert answers["fallback_rate"] == pytest.approx(1 / 7, abs=1e-4)
    assert answers["error_rate"] == pytest.approx(1 / 7, abs=1e-4)
    assert figures["cache"]["answers"]["exact_hit_rate"] == pytest.approx(1 / 7, abs=1e-4)
    assert figures["cache"]["answers"]["semantic_hit_rate"] == pytest.approx(1 / 7, abs=1e-4)
    assert figures["cache"]["embeddings"] == {"hit_rate": 0.6364, "hits": 7, "misses": 4}
    assert figures["stages"]["llm.generate"]["count"] == 3
    assert figures["stages"]["llm.generate"]["p50"] == pytest.approx(1600)
    (day,) = figures["tokens_per_day"]
    assert (day["prompt_tokens"], day["completion_tokens"], day["answers"]) == (2100, 90, 3)
    assert day["cost_usd"] == pytest.approx(2.1 * 0.001 + 0.09 * 0.01)
    cost = figures["cost"]
    assert cost["total_usd"] == pytest.approx(0.003)
    assert cost["per_answer_usd"] == pytest.approx(0.001)
    cpu_total = 2 + 4 + 6 + 0.01 + 0.01 + 0.5 + 0.5
    assert figures["energy"]["wh_total"] == pytest.approx(cpu_total * 36 / 3600, abs=1e-6)
    assert figures["energy"]["wh_per_answer"] == pytest.approx(cpu_total * 36 / 3600 / 7, abs=1e-6)
    if cost["today_usd"] is not None and cost["today_usd"] > 0.001:
        assert cost["over_budget"] and "over the daily budget" in figures["warnings"][0]
    everything = stats.compute(store, settings, 0)
    assert everything["answers"]["count"] == 8


def test_unknown_price_reference_is_a_warning(store: TraceStore) -> None:
    figures = stats.compute(store, StatsSettings(price_reference="nope"), 0)
    assert figures["cost"]["total_usd"] is None
    assert "price_reference" in figures["warnings"][0]


def test_answers_per_route(tmp_path: Path) -> None:
    store = TraceStore(tmp_path / "traces.sqlite")
    routed = []
    for n, route, cached in [
        (1, "big", "none"),
        (2, "big", "none"),
        (3, "local", "none"),
        (4, "extractive", "none"),
        (5, "big", "exact"),  # a cached answer took no route now
        (6, None, "none"),  # declined before any model was asked
    ]:
        trace = _ask(n, 100, cached=cached)
        if route is not None:
            trace.spans[0].attributes["ragtui.route"] = route
        routed.append(trace)
    store.write(routed)
    figures = stats.compute(store, StatsSettings(), 0)
    assert figures["answers"]["routes"] == {"big": 2, "extractive": 1, "local": 1}
    assert (
        stats.compute(TraceStore(tmp_path / "none.sqlite"), StatsSettings(), 0)["answers"]["routes"]
        == {}
    )
