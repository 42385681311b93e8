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
from ragtui.core.errors import InvalidRequest
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


def window_start(since: str) -> int:
    """Start of the window ``since``; one that cannot be read is the user's error."""
    try:
        return since_ns(since)
    except ValueError as exc:
        raise InvalidRequest(f"{str(exc).capitalize()}.") from None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0–100), or None without values."""
    return metrics.percentile(values, q) if values else None


def spread(values: Sequence[float], scale: float = 1.0) -> dict[str, Any]:
    """Count, p50, p95 and p99 of ``values`` (each divided by ``scale``)."""
    ordered = sorted(values)

    def at(q: float) -> float | None:
        value = percentile(ordered, q)
        return None if value is None else _round(value / scale)

    return {"count": len(ordered), "p50": at(50), "p95": at(95), "p99": at(99)}


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


class _Rows:
    """Trace figures column by column; ``pick`` reads one column for a subset of rows."""

    def __init__(self, columns: dict[str, tuple[Any, ...]]) -> None:
        self.columns = columns
        self.count = len(columns.get("name", ()))

    def pick(self, column: str, rows: Sequence[int]) -> list[Any]:
        values = self.columns.get(column, ())
        return [values[i] for i in rows]


def compute(
    store: TraceStore,
    settings: StatsSettings,
    window_start_ns: int,
    index: dict[str, Any] | None = None,
    process: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every figure ``ragtui stats`` shows, for traces started at or after the window."""
    table = _Rows(store.summaries(window_start_ns))
    names = table.columns.get("name", ())
    asks = [i for i, name in enumerate(names) if name == "ask"]
    completion = table.columns.get("completion_tokens", ())
    generated = [i for i in asks if completion[i]]
    price = settings.prices.get(settings.price_reference)
    figures: dict[str, Any] = {
        "traces": table.count,
        "by_kind": _count(names),
        "stages": {
            name: spread(values, 1e6)
            for name, values in sorted(store.stage_durations(window_start_ns).items())
        },
        "answers": _answers(table, asks, generated)
        | {"routes": store.routes(window_start_ns), "prompts": _prompts(store, window_start_ns)},
        "tokens_per_day": _per_day(table, generated, price),
        "cache": _cache(table, asks),
        "process": _process(table, asks, process),
        "energy": _energy(table, asks, settings.watts),
        "cost": _cost(table, generated, price, settings),
        "index": index or {},
    }
    figures["warnings"] = _warnings(figures)
    return figures


def _count(names: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for name in names:
        counts[name] += 1
    return dict(counts)


def _present(values: Iterable[Any]) -> list[Any]:
    return [v for v in values if v is not None]


def _answers(table: _Rows, asks: Sequence[int], generated: Sequence[int]) -> dict[str, Any]:
    return {
        "count": len(asks),
        "generated": len(generated),
        "latency_ms": spread(table.pick("duration_ms", asks)),
        "ttft_ms": spread(_present(table.pick("ttft_ms", generated))),
        "prefill_tokens_per_s": spread([v for v in table.pick("prefill_tps", generated) if v]),
        "decode_tokens_per_s": spread([v for v in table.pick("decode_tps", generated) if v]),
        "abstention_rate": _rate(sum(map(bool, table.pick("abstained", asks))), len(asks)),
        "fallback_rate": _rate(sum(map(bool, table.pick("fallback", asks))), len(asks)),
        "error_rate": _rate(table.pick("status", asks).count("ERROR"), len(asks)),
    }


def _per_day(
    table: _Rows,
    generated: Sequence[int],
    price: PriceSettings | None,
) -> list[dict[str, Any]]:
    days: dict[str, dict[str, Any]] = {}
    for start, prompt, completion in zip(
        table.pick("start_ns", generated),
        table.pick("prompt_tokens", generated),
        table.pick("completion_tokens", generated),
        strict=True,
    ):
        day = days.setdefault(
            _day(start), {"prompt_tokens": 0, "completion_tokens": 0, "answers": 0}
        )
        day["prompt_tokens"] += prompt or 0
        day["completion_tokens"] += completion or 0
        day["answers"] += 1
    for day in days.values():
        day["cost_usd"] = _price(price, day["prompt_tokens"], day["completion_tokens"])
    return [{"day": d, **v} for d, v in sorted(days.items())]


def _prompts(store: TraceStore, window_start_ns: int) -> dict[str, int]:
    """Answers per prompt version (cached ones included), most first."""
    counts: dict[str, int] = {}
    for row in store.prompt_answers(window_start_ns):
        counts[row["prompt"]] = counts.get(row["prompt"], 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _price(price: PriceSettings | None, prompt: int, completion: int) -> float | None:
    if price is None:
        return None
    return round(
        prompt / 1000 * price.prompt_per_1k + completion / 1000 * price.completion_per_1k, 6
    )


def _cache(table: _Rows, asks: Sequence[int]) -> dict[str, Any]:
    kinds = _count(str(kind or "none") for kind in table.pick("cached", asks))
    hits = sum(v or 0 for v in table.columns.get("embed_hits", ()))
    misses = sum(v or 0 for v in table.columns.get("embed_misses", ()))
    return {
        "answers": {
            "exact_hit_rate": _rate(kinds.get("exact", 0), len(asks)),
            "semantic_hit_rate": _rate(kinds.get("semantic", 0), len(asks)),
            "lookups": len(asks),
        },
        "embeddings": {"hit_rate": _rate(hits, hits + misses), "hits": hits, "misses": misses},
    }


def _process(
    table: _Rows,
    asks: Sequence[int],
    current: dict[str, Any] | None,
) -> dict[str, Any]:
    rss = [float(v) for v in table.pick("rss_bytes", asks) if v]
    cpu = _present(table.pick("cpu_s", asks))
    return {
        "rss_bytes_p50": _round(percentile(rss, 50), 0),
        "rss_bytes_max": max(rss) if rss else None,
        "cpu_s_per_answer": spread(cpu),
        "current": current or {},
    }


def _energy(table: _Rows, asks: Sequence[int], watts: float) -> dict[str, Any]:
    cpu = _present(table.pick("cpu_s", asks))
    total_wh = sum(cpu) * watts / 3600
    return {
        "watts": watts,
        "wh_total": round(total_wh, 6),
        "wh_per_answer": round(total_wh / len(cpu), 6) if cpu else None,
        "basis": "CPU-seconds × stats.watts",
    }


def _cost(
    table: _Rows, generated: Sequence[int], price: PriceSettings | None, settings: StatsSettings
) -> dict[str, Any]:
    prompts = table.pick("prompt_tokens", generated)
    completions = table.pick("completion_tokens", generated)
    total = _price(price, sum(v or 0 for v in prompts), sum(v or 0 for v in completions))
    today = _day(time.time_ns())
    today_rows = [
        i
        for i, start in zip(generated, table.pick("start_ns", generated), strict=True)
        if _day(start) == today
    ]
    today_cost = _price(
        price,
        sum(v or 0 for v in table.pick("prompt_tokens", today_rows)),
        sum(v or 0 for v in table.pick("completion_tokens", today_rows)),
    )
    return {
        "reference": settings.price_reference if price is not None else None,
        "total_usd": total,
        "per_answer_usd": round(total / len(generated), 8)
        if total is not None and generated
        else None,
        "today_usd": today_cost,
        "daily_budget_usd": settings.daily_budget_usd,
        "over_budget": today_cost is not None and today_cost > settings.daily_budget_usd,
    }


def _warnings(figures: dict[str, Any]) -> list[str]:
    warnings = []
    cost = figures["cost"]
    if cost["reference"] is None:
        warnings.append(
            "stats.price_reference names no entry of stats.prices: add it to "
            "config.toml to see the cloud-equivalent cost."
        )
    elif cost["over_budget"]:
        warnings.append(
            f"Today's cloud-equivalent cost ${cost['today_usd']:.4f} is over the daily budget "
            f"${cost['daily_budget_usd']:.2f} (stats.daily_budget_usd)."
        )
    return warnings
