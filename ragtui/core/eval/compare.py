"""Compare two eval runs case by case: deltas, paired bootstrap significance, a gate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ragtui.core.eval import metrics
from ragtui.core.eval.runner import COST, QUALITY
from ragtui.core.reports import CaseChange, EvalComparison, MetricDelta, RunRef

SIGNIFICANCE = 0.05


def compare(
    a: RunRef,
    cases_a: Sequence[dict[str, Any]],
    b: RunRef,
    cases_b: Sequence[dict[str, Any]],
    tolerance: float = 0.02,
) -> EvalComparison:
    """Per-metric mean deltas (b − a) over the cases both runs scored.

    A quality metric regresses when it drops by more than ``tolerance`` and the paired
    bootstrap says the drop is not chance (p < 0.05).
    """
    by_id_a = {c["case_id"]: c for c in cases_a}
    by_id_b = {c["case_id"]: c for c in cases_b}
    common = [cid for cid in by_id_a if cid in by_id_b]
    rows: list[MetricDelta] = []
    for name in (*QUALITY, *COST):
        pairs = [(by_id_a[c]["metrics"].get(name), by_id_b[c]["metrics"].get(name)) for c in common]
        pairs = [(x, y) for x, y in pairs if x is not None and y is not None]
        if not pairs:
            continue
        xs, ys = [float(x) for x, _ in pairs], [float(y) for _, y in pairs]
        delta, low, high, p = metrics.paired_bootstrap(xs, ys)
        mean_a, mean_b = sum(xs) / len(xs), sum(ys) / len(ys)
        regressed = name in QUALITY and delta < -tolerance and p < SIGNIFICANCE
        rows.append(
            MetricDelta(
                metric=name,
                a=round(mean_a, 4),
                b=round(mean_b, 4),
                delta=round(delta, 4),
                ci95=(round(low, 4), round(high, 4)),
                p=round(p, 4),
                n=len(pairs),
                kind="quality" if name in QUALITY else "cost",
                regression=regressed,
            )
        )
    return EvalComparison(
        a=a,
        b=b,
        cases_compared=len(common),
        tolerance=tolerance,
        metrics=rows,
        regressions=[r.metric for r in rows if r.regression],
        changed_cases=_changed(common, by_id_a, by_id_b),
    )


def _changed(
    common: Sequence[str], a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]], top: int = 5
) -> list[CaseChange]:
    """The cases whose quality metrics moved most (sum of absolute changes)."""
    moves = []
    for cid in common:
        ma, mb = a[cid]["metrics"], b[cid]["metrics"]
        deltas = {
            n: round(float(mb[n]) - float(ma[n]), 4)
            for n in QUALITY
            if ma.get(n) is not None and mb.get(n) is not None and float(mb[n]) != float(ma[n])
        }
        if deltas:
            moves.append((sum(abs(d) for d in deltas.values()), cid, deltas))
    moves.sort(key=lambda m: -m[0])
    return [
        CaseChange(case_id=cid, question=a[cid]["question"], deltas=deltas)
        for _, cid, deltas in moves[:top]
    ]
