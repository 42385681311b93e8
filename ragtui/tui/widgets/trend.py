"""The trend of continuous eval runs: a sparkline per metric over the runs, the newest
value and its change, and the regression flag of the newest run against the one before."""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content

from ragtui.core.api import ContinuousTrend
from ragtui.units import format_ms

#: The metrics the trend shows (those a generated set scores), with their labels.
TREND_METRICS = (
    ("ndcg@10", "nDCG@10"),
    ("recall@10", "Recall@10"),
    ("citation_precision", "Citations"),
    ("faithfulness_embedding", "Faith (emb)"),
    ("answer_relevancy", "Relevancy"),
    ("latency_ms", "Latency"),
)
_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float | None]) -> str:
    """One bar per value, scaled between the lowest and the highest (· for a gap)."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = high - low
    return "".join(
        "·" if v is None else _BARS[-1 if not span else round((v - low) / span * (len(_BARS) - 1))]
        for v in values
    )


def _value(name: str, value: float) -> str:
    return format_ms(value) if name == "latency_ms" else f"{value:.3f}"


def trend_content(trend: ContinuousTrend) -> Content:
    """Each metric's sparkline, newest value and change, then the regression verdict."""
    runs = trend.runs
    parts: list[tuple[str, str] | str] = [
        (f"Continuous evaluation · {len(runs)} runs, oldest to newest\n", "bold $accent")
    ]
    for name, label in TREND_METRICS:
        values = [r.metrics.get(name) for r in runs]
        known = [v for v in values if v is not None]
        if not known:
            continue
        change = ""
        if len(known) >= 2:
            delta = known[-1] - known[-2]
            change = f"{delta:+.0f} ms" if name == "latency_ms" else f"{delta:+.3f}"
        parts += [
            (f"{label:<12}", "$text-muted"),
            (f"{sparkline(values):<{max(len(runs), 8)}}", "$accent"),
            (f" {_value(name, known[-1]):>7}", "bold"),
            (f" {change}\n", "$text-muted"),
        ]
    comparison = trend.comparison
    if comparison is None:
        parts.append(("Two complete runs are needed to compare.", "$text-muted"))
    elif trend.regressions:
        parts.append(
            (
                f"REGRESSION {', '.join(trend.regressions)}: {comparison.b.name} against "
                f"{comparison.a.name} ({comparison.cases_compared} cases)",
                "bold $error",
            )
        )
    else:
        parts.append(
            (
                f"No regression: {comparison.b.name} against {comparison.a.name} "
                f"({comparison.cases_compared} cases, paired bootstrap)",
                "$success",
            )
        )
    if runs:
        parts.append((f"\nnewest: {runs[-1].reason}", "$text-muted"))
    return Content.assemble(*parts)
