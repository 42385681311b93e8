"""Stats: latency, throughput, cache, cost and energy figures read from stored traces.

Everything here is computed from the trace store (spans and the psutil samples
each answer records) and the price and power settings; nothing is estimated
that a trace did not measure, except the clearly named energy and cost figures.
"""

from __future__ import annotations

import functools
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from ragtui.config import PriceSettings, StatsSettings
from ragtui.core.eval import metrics
from ragtui.core.trace_store import TraceStore

_SINCE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def since_ns(since: str, now_ns: int | None = None) -> int:
    """Start of a window written like ``24h``, ``7d``, ``90m`` or ``all``."""
    if since.strip().lower() == "all":
        return 0
    match = _SINCE.match(since.lower())
    if match is None:
        raise ValueError(f"cannot read the time window {since!r}: write it like 24h, 7d or all")
    seconds = float(match.group(1)) * _UNIT_S[match.group(2)]
    return (now_ns if now_ns is not None else time.time_ns()) - int(seconds * 1e9)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0–100), or None without values."""
    return metrics.percentile(values, q) if values else None


def spread(values: Sequence[float]) -> dict[str, Any]:
    """Count, p50, p95 and p99 of ``values``."""
    return {"count": len(values), "p50": _round(percentile(values, 50)),
            "p95": _round(percentile(values, 95)), "p99": _round(percentile(values, 99))}


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _day(start_ns: int) -> str:
    return _day_of_hour(start_ns // 3_600_000_000_000)


@functools.lru_cache(maxsize=4096)
def _day_of_hour(hour: int) -> str:
    """Local date of an hour since the epoch (time zones shift by whole hours, mostly)."""
    return time.strftime("%Y-%m-%d", time.localtime(hour * 3600))


def compute(
    store: TraceStore, settings: StatsSettings, window_start_ns: int,
    index: dict[str, Any] | None = None, process: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every figure ``ragtui stats`` shows, for traces started at or after the window."""
    rows = store.summaries(window_start_ns)
    asks = [r for r in rows if r["name"] == "ask"]
    generated = [r for r in asks if r["completion_tokens"]]
    price = settings.prices.get(settings.price_reference)
    figures: dict[str, Any] = {
        "traces": len(rows),
        "by_kind": _count(r["name"] for r in rows),
        "stages": _stages(store.stage_durations(window_start_ns)),
        "answers": _answers(asks, generated),
        "tokens_per_day": _per_day(generated, price),
        "cache": _cache(asks, rows),
        "process": _process(asks, process),
        "energy": _energy(asks, settings.watts),
        "cost": _cost(generated, price, settings),
        "index": index or {},
    }
    figures["warnings"] = _warnings(figures)
    return figures


def _count(names: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for name in names:
        counts[name] += 1
    return dict(counts)


def _stages(by_name: dict[str, list[float]]) -> dict[str, dict[str, Any]]:
    return {name: spread(values) for name, values in sorted(by_name.items())}


def _answers(asks: Sequence[Any], generated: Sequence[Any],
             ) -> dict[str, Any]:
    ttft = [r["ttft_ms"] for r in generated if r["ttft_ms"] is not None]
    prefill = [r["prefill_tps"] for r in generated if r["prefill_tps"]]
    decode = [r["decode_tps"] for r in generated if r["decode_tps"]]
    return {
        "count": len(asks),
        "generated": len(generated),
        "latency_ms": spread([r["duration_ms"] for r in asks]),
        "ttft_ms": spread(ttft),
        "prefill_tokens_per_s": spread(prefill),
        "decode_tokens_per_s": spread(decode),
        "abstention_rate": _rate(sum(bool(r["abstained"]) for r in asks), len(asks)),
        "fallback_rate": _rate(sum(bool(r["fallback"]) for r in asks), len(asks)),
        "error_rate": _rate(sum(r["status"] == "ERROR" for r in asks), len(asks)),
    }


def _per_day(generated: Sequence[Any], price: PriceSettings | None,
             ) -> list[dict[str, Any]]:
    days: dict[str, dict[str, Any]] = {}
    for row in generated:
        day = days.setdefault(_day(row["start_ns"]),
                              {"prompt_tokens": 0, "completion_tokens": 0, "answers": 0})
        day["prompt_tokens"] += row["prompt_tokens"] or 0
        day["completion_tokens"] += row["completion_tokens"] or 0
        day["answers"] += 1
    for day in days.values():
        day["cost_usd"] = _price(price, day["prompt_tokens"], day["completion_tokens"])
    return [{"day": d, **v} for d, v in sorted(days.items())]


def _price(price: PriceSettings | None, prompt: int, completion: int) -> float | None:
    if price is None:
        return None
    return round(prompt / 1000 * price.prompt_per_1k
                 + completion / 1000 * price.completion_per_1k, 6)


def _cache(asks: Sequence[Any], rows: Sequence[Any]) -> dict[str, Any]:
    kinds = _count(str(r["cached"] or "none") for r in asks)
    hits = sum(r["embed_hits"] or 0 for r in rows)
    misses = sum(r["embed_misses"] or 0 for r in rows)
    return {
        "answers": {"exact_hit_rate": _rate(kinds.get("exact", 0), len(asks)),
                    "semantic_hit_rate": _rate(kinds.get("semantic", 0), len(asks)),
                    "lookups": len(asks)},
        "embeddings": {"hit_rate": _rate(hits, hits + misses), "hits": hits, "misses": misses},
    }


def _process(asks: Sequence[Any], current: dict[str, Any] | None) -> dict[str, Any]:
    rss = [float(r["rss_bytes"]) for r in asks if r["rss_bytes"]]
    cpu = [r["cpu_s"] for r in asks if r["cpu_s"] is not None]
    return {
        "rss_bytes_p50": _round(percentile(rss, 50), 0),
        "rss_bytes_max": max(rss) if rss else None,
        "cpu_s_per_answer": spread(cpu),
        "current": current or {},
    }


def _energy(asks: Sequence[Any], watts: float) -> dict[str, Any]:
    cpu = [r["cpu_s"] for r in asks if r["cpu_s"] is not None]
    total_wh = sum(cpu) * watts / 3600
    return {"watts": watts, "wh_total": round(total_wh, 6),
            "wh_per_answer": round(total_wh / len(cpu), 6) if cpu else None,
            "basis": "CPU-seconds × stats.watts"}


def _cost(generated: Sequence[Any], price: PriceSettings | None,
          settings: StatsSettings) -> dict[str, Any]:
    prompt = sum(r["prompt_tokens"] or 0 for r in generated)
    completion = sum(r["completion_tokens"] or 0 for r in generated)
    total = _price(price, prompt, completion)
    today = _day(time.time_ns())
    today_rows = [r for r in generated if _day(r["start_ns"]) == today]
    today_cost = _price(price, sum(r["prompt_tokens"] or 0 for r in today_rows),
                        sum(r["completion_tokens"] or 0 for r in today_rows))
    return {
        "reference": settings.price_reference if price is not None else None,
        "total_usd": total,
        "per_answer_usd": round(total / len(generated), 8)
        if total is not None and generated else None,
        "today_usd": today_cost,
        "daily_budget_usd": settings.daily_budget_usd,
        "over_budget": today_cost is not None and today_cost > settings.daily_budget_usd,
    }


def _warnings(figures: dict[str, Any]) -> list[str]:
    warnings = []
    cost = figures["cost"]
    if cost["reference"] is None:
        warnings.append("stats.price_reference names no entry of stats.prices: add it to "
                        "config.toml to see the cloud-equivalent cost.")
    elif cost["over_budget"]:
        warnings.append(
            f"Today's cloud-equivalent cost ${cost['today_usd']:.4f} is over the daily budget "
            f"${cost['daily_budget_usd']:.2f} (stats.daily_budget_usd)."
        )
    return warnings
