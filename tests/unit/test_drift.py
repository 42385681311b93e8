"""Drift statistics on synthetic samples whose answer is known: same distribution (p-values
spread out, rare alerts) or shifted (alert)."""

from __future__ import annotations

import numpy as np
import pytest

from ragtui.core import drift


def _topics(rng: np.random.Generator, n: int, centre: np.ndarray) -> np.ndarray:
    """Unit vectors around one topic direction, like sentence embeddings of one subject."""
    v = centre + rng.normal(scale=0.08, size=(n, len(centre)))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_mmd_p_values_are_spread_without_shift_and_tiny_with_one() -> None:
    rng = np.random.default_rng(11)
    dim = 32
    a, b = rng.normal(size=dim), rng.normal(size=dim)
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    null = [
        drift.mmd_test(_topics(rng, 60, a), _topics(rng, 20, a), 200, seed)[1] for seed in range(40)
    ]
    assert sum(p < 0.05 for p in null) <= 6  # ≈ 2 expected
    assert 0.3 < float(np.mean(null)) < 0.7  # roughly uniform
    shifted = drift.mmd_test(_topics(rng, 60, a), _topics(rng, 20, b), 200)
    assert shifted[0] > 0 and shifted[1] == pytest.approx(1 / 201)


def test_mmd_is_deterministic_for_a_seed() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(30, 8)), rng.normal(size=(15, 8))
    assert drift.mmd_test(x, y, 100, seed=3) == drift.mmd_test(x, y, 100, seed=3)


def test_rank_test_calibrated_without_shift_and_sensitive_with_one() -> None:
    rng = np.random.default_rng(1)
    null = [drift.rank_test(rng.normal(size=100), rng.normal(size=30))[1] for _ in range(400)]
    assert 0.02 < float(np.mean(np.array(null) < 0.05)) < 0.09
    effect, p = drift.rank_test(rng.normal(size=100), rng.normal(1.5, size=30))
    assert effect > 0.2 and p < 1e-4
    rates = [
        drift.rank_test(rng.random(100) < 0.1, rng.random(30) < 0.1)[1]  # 0/1 outcomes
        for _ in range(400)
    ]
    assert float(np.mean(np.array(rates) < 0.05)) < 0.09
    assert drift.rank_test([0.0] * 40, [0.0] * 10) == (0.0, 1.0)  # all tied: no evidence
    assert drift.rank_test([0.0] * 40, [1.0] * 10, alternative="greater")[1] < 1e-6


def test_holm_keeps_order_and_is_monotone() -> None:
    assert drift.holm([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert drift.holm([]) == []


def test_cluster_distances_find_a_new_topic() -> None:
    rng = np.random.default_rng(2)
    centres = rng.normal(size=(4, 16))
    old = np.concatenate([_topics(rng, 50, c / np.linalg.norm(c)) for c in centres])
    centroids = drift.kmeans(old, 4)
    near = drift.cluster_distances(centroids, _topics(rng, 20, centres[0] / 3))
    far = drift.cluster_distances(centroids, _topics(rng, 20, rng.normal(size=16)))
    assert float(far.min()) > float(near.max())
