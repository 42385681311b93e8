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


class _Corpus:
    """A catalog and vector index of older chunks on four topics and new ones."""

    def __init__(self, new_topic: bool) -> None:
        rng = np.random.default_rng(4)
        centres = rng.normal(size=(5, 24))
        self.vectors: dict[str, np.ndarray] = {}
        for i in range(400):
            self.vectors[f"old{i:04d}"] = centres[i % 4] + rng.normal(scale=0.3, size=24)
        for i in range(100):
            centre = centres[4] if new_topic else centres[i % 4]
            self.vectors[f"new{i:04d}"] = centre + rng.normal(scale=0.3, size=24)

    def embedded_chunks_by_age(self, cutoff: float, newer: bool, limit: int) -> list[str]:
        return [c for c in self.vectors if c.startswith("new" if newer else "old")][:limit]

    def vectors_for(self, ids: list[str]) -> dict[str, np.ndarray]:
        return {c: self.vectors[c] for c in ids}


def test_new_topics_alert_only_when_new_chunks_are_far_from_the_old_ones() -> None:
    settings = DriftSettings()
    for new_topic in (False, True):
        corpus = _Corpus(new_topic)
        signal = drift_signals.corpus_signal(corpus, lambda c=corpus: c, settings)
        assert (signal["baseline_n"], signal["recent_n"]) == (80, 100)
        drift_signals.decide({"new_topics": signal}, settings.alpha)
        assert signal["alert"] is new_topic
        assert (signal["statistic"] > 0.9) is new_topic
