"""Drift signals: counted windows, Holm-adjusted alerts and their sentences."""

from __future__ import annotations

import numpy as np

from ragtui.config import DriftSettings
from ragtui.core import drift_signals


def _series(shift: float, seed: int, n: int = 120) -> list[float]:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=n)
    values[-30:] += shift
    return values.tolist()


def test_windows_count_observations_and_wait_for_enough() -> None:
    settings = DriftSettings(baseline=60, recent=30)
    spec = drift_signals.SCALARS[0]
    few = drift_signals.scalar_signal(spec, _series(0.0, 0, n=50), settings)
    assert few["p_value"] is None and few["recent_n"] == 0
    full = drift_signals.scalar_signal(spec, _series(0.0, 0), settings)
    assert (full["baseline_n"], full["recent_n"]) == (60, 30)


def test_decide_alerts_on_a_shift_only() -> None:
    settings = DriftSettings(baseline=60, recent=30)
    spec = drift_signals.SCALARS[0]
    calm = [
        {"x": drift_signals.scalar_signal(spec, _series(0.0, seed), settings)} for seed in range(30)
    ]
    assert sum(bool(drift_signals.decide(s, settings.alpha)) for s in calm) <= 3
    signals = {
        "top1_similarity": drift_signals.scalar_signal(spec, _series(-1.5, 99), settings),
        "latency_ms": drift_signals.scalar_signal(spec, _series(0.0, 98), settings),
    }
    alerts = drift_signals.decide(signals, settings.alpha)
    assert signals["top1_similarity"]["alert"] and not signals["latency_ms"]["alert"]
    assert len(alerts) == 1 and alerts[0].startswith("Drift: Top-1 similarity: median")
