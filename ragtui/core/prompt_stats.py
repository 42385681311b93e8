"""Per-version figures of live answers and each rollout candidate against the default.

Live questions are not paired across versions (each question is answered by one version),
so candidate and default are compared as two independent samples with an unpaired
bootstrap; ``ragtui prompts compare`` runs one eval set with both for a paired comparison.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ragtui.core import stats
from ragtui.core.eval.metrics import unpaired_bootstrap
from ragtui.core.reports import (
    PromptComparison,
    PromptDelta,
    PromptStats,
    PromptVersionFigures,
    Spread,
)

SIGNIFICANCE = 0.05
MIN_SAMPLES = 10  # fewer answers (or ratings) in either version: reported, never a regression
METHOD = "unpaired bootstrap: each live question was answered by one version only"
#: metric → kind (quality: higher is better and gated; rate and cost: reported)
METRICS = {
    "faithfulness_embedding": "quality",
    "thumbs_up_rate": "quality",
    "abstention_rate": "rate",
    "latency_ms": "cost",
}


def _samples(rows: Sequence[dict[str, Any]]) -> dict[str, list[float]]:
    """Per-answer values of each metric (ratings count cached answers too)."""
    fresh = [r for r in rows if not r["cached"]]
    return {
        "faithfulness_embedding": [
            float(r["faithfulness_embedding"])
            for r in fresh
            if r["faithfulness_embedding"] is not None
        ],
        "thumbs_up_rate": [float(r["rating"] > 0) for r in rows if r["rating"] is not None],
        "abstention_rate": [float(r["abstained"]) for r in fresh],
        "latency_ms": [float(r["duration_ms"]) for r in fresh],
    }


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _figures(
    prompt: str, role: str, share: float | None, rows: Sequence[dict[str, Any]]
) -> PromptVersionFigures:
    fresh = [r for r in rows if not r["cached"]]
    found = _samples(rows)
    return PromptVersionFigures(
        prompt=prompt,
        role=role,
        share=share,
        answers=len(rows),
        generated=len(fresh),
        faithfulness_embedding=_mean(found["faithfulness_embedding"]),
        abstention_rate=_mean(found["abstention_rate"]),
        fallback_rate=_mean([float(r["fallback"]) for r in fresh]),
        latency_ms=Spread.model_validate(stats.spread(found["latency_ms"])),
        thumbs_up=sum(1 for r in rows if (r["rating"] or 0) > 0),
        thumbs_down=sum(1 for r in rows if (r["rating"] or 0) < 0),
    )


def _compare(
    default: str,
    candidate: str,
    a: dict[str, list[float]],
    b: dict[str, list[float]],
    tolerance: float,
) -> PromptComparison:
    deltas = []
    for metric, kind in METRICS.items():
        xs, ys = a[metric], b[metric]
        if not xs or not ys:
            continue
        delta, low, high, p = unpaired_bootstrap(xs, ys)
        digits = 1 if kind == "cost" else 4
        deltas.append(
            PromptDelta(
                metric=metric,
                default=round(sum(xs) / len(xs), digits),
                candidate=round(sum(ys) / len(ys), digits),
                delta=round(delta, digits),
                ci95=(round(low, digits), round(high, digits)),
                p=round(p, 4),
                n_default=len(xs),
                n_candidate=len(ys),
                kind=kind,
                regression=kind == "quality"
                and min(len(xs), len(ys)) >= MIN_SAMPLES
                and delta < -tolerance
                and p < SIGNIFICANCE,
            )
        )
    return PromptComparison(
        default=default,
        candidate=candidate,
        method=METHOD,
        metrics=deltas,
        regressions=[d.metric for d in deltas if d.regression],
    )


def compute(
    rows: Sequence[dict[str, Any]],
    default: str,
    candidates: Mapping[str, float],
    since: str,
    tolerance: float = 0.02,
) -> PromptStats:
    """Figures per version (the default and candidates first) and each candidate against
    the default; a quality metric regresses when it drops by more than ``tolerance`` and
    the bootstrap says the drop is not chance (p < 0.05), over at least
    :data:`MIN_SAMPLES` values of each version."""
    by_version: dict[str, list[dict[str, Any]]] = {default: [], **{c: [] for c in candidates}}
    for row in rows:
        by_version.setdefault(row["prompt"], []).append(row)
    versions = [
        _figures(
            prompt,
            "default" if prompt == default else "candidate" if prompt in candidates else "",
            candidates.get(prompt),
            found,
        )
        for prompt, found in by_version.items()
    ]
    baseline = _samples(by_version[default])
    comparisons = [
        _compare(default, c, baseline, _samples(by_version[c]), tolerance) for c in candidates
    ]
    return PromptStats(
        since=since,
        default=default,
        candidates=dict(candidates),
        versions=versions,
        comparisons=comparisons,
    )
