"""Two-sample tests for drift: has the recent window left the baseline's distribution?

- :func:`mmd_test`: vectors (question embeddings), MMD² with an RBF kernel whose bandwidth
  is the median pairwise distance, and a permutation p-value from a seeded RNG;
- :func:`rank_test`: scalars and 0/1 outcomes (similarities, latency, rates), the
  Mann-Whitney U test with the normal approximation and tie correction;
- :func:`holm`: adjusts the p-values of several signals checked together, so that one
  window raises a false alarm on any of them with probability at most alpha;
- :func:`cluster_distances`: distances of vectors to the nearest of k-means centroids
  (the corpus's new-topics signal).

numpy only; every function is deterministic for the same input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

Matrix = Any  # a float numpy array, rows are samples


def _sq_distances(a: Matrix, b: Matrix) -> Matrix:
    sq = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    return np.maximum(sq, 0.0)


def mmd_test(x: Matrix, y: Matrix, permutations: int = 500, seed: int = 0) -> tuple[float, float]:
    """(unbiased MMD², permutation p-value) of samples ``x`` (baseline) and ``y`` (recent).

    The kernel's bandwidth is the median distance within the pooled sample; the p-value
    counts the label shuffles whose MMD² reaches the observed one, ``(1 + hits) / (1 + B)``.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    m, n = len(x), len(y)
    if m < 2 or n < 2:
        raise ValueError("each sample needs at least two vectors")
    pooled = np.concatenate([x, y])
    sq = _sq_distances(pooled, pooled)
    upper = sq[np.triu_indices(m + n, 1)]
    bandwidth = float(np.median(upper)) or float(upper.mean()) or 1.0
    kernel = np.exp(-sq / bandwidth)
    np.fill_diagonal(kernel, 0.0)
    rng = np.random.default_rng(seed)
    labels = np.zeros((m + n, permutations + 1))
    labels[:m, 0] = 1.0
    for b in range(1, permutations + 1):
        labels[rng.permutation(m + n)[:m], b] = 1.0
    k_x = kernel @ labels  # row sums of each pooled point against the x side
    row = kernel.sum(1)[:, None]
    xx = (labels * k_x).sum(0)
    xy = ((1.0 - labels) * k_x).sum(0)
    yy = ((1.0 - labels) * (row - k_x)).sum(0)
    stats = xx / (m * (m - 1)) + yy / (n * (n - 1)) - 2.0 * xy / (m * n)
    observed = stats[0]
    hits = int((stats[1:] >= observed - 1e-12).sum())
    return float(observed), (1 + hits) / (1 + permutations)


def _ranks(values: Matrix) -> tuple[Matrix, float]:
    """Average ranks (1-based) and the tie term ``Σ(t³ - t)``."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    ranks = np.empty(len(values))
    _, starts, counts = np.unique(ordered, return_index=True, return_counts=True)
    for start, count in zip(starts, counts, strict=True):
        ranks[order[start : start + count]] = start + (count + 1) / 2.0
    ties = float((counts.astype(np.float64) ** 3 - counts).sum())
    return ranks, ties


def rank_test(
    x: Sequence[float], y: Sequence[float], alternative: str = "two-sided"
) -> tuple[float, float]:
    """(effect, p-value) of the Mann-Whitney U test of ``x`` (baseline) against ``y``
    (recent); the effect is P(y > x) + ½P(y = x) − ½, in [−½, ½]. ``alternative`` is
    ``two-sided`` or ``greater`` (y tends to be larger)."""
    a = np.asarray(x, dtype=np.float64)
    b = np.asarray(y, dtype=np.float64)
    m, n = len(a), len(b)
    if m == 0 or n == 0:
        raise ValueError("each sample needs at least one value")
    ranks, ties = _ranks(np.concatenate([a, b]))
    u = float(ranks[m:].sum()) - n * (n + 1) / 2.0  # times y beats x
    total = m + n
    variance = m * n / 12.0 * ((total + 1) - ties / (total * (total - 1)))
    effect = u / (m * n) - 0.5
    if variance <= 0:
        return effect, 1.0
    z = (u - m * n / 2.0) / math.sqrt(variance)
    if alternative == "greater":
        return effect, 0.5 * math.erfc(z / math.sqrt(2.0))
    return effect, min(1.0, math.erfc(abs(z) / math.sqrt(2.0)))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values (same order): any adjusted p < alpha holds the family-wise
    false-alarm rate at alpha."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [1.0] * len(p_values)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def _unit(vectors: Matrix) -> Matrix:
    v = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.where(norms == 0, 1.0, norms)


def kmeans(vectors: Matrix, k: int, iterations: int = 10, seed: int = 0) -> Matrix:
    """Unit centroids of spherical k-means (cosine), started from a seeded sample."""
    v = _unit(vectors)
    k = max(1, min(k, len(v)))
    rng = np.random.default_rng(seed)
    centroids = v[rng.choice(len(v), k, replace=False)]
    for _ in range(iterations):
        nearest = (v @ centroids.T).argmax(1)
        for c in range(k):
            members = v[nearest == c]
            if len(members):
                centroids[c] = members.sum(0)
        centroids = _unit(centroids)
    return centroids


def cluster_distances(centroids: Matrix, vectors: Matrix) -> Matrix:
    """Cosine distance of each vector to its nearest centroid."""
    return np.asarray(1.0 - (_unit(vectors) @ centroids.T).max(1), dtype=np.float64)
