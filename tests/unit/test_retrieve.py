"""Fusion, MMR, filters, snippets and the retrieval metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ragtui.core.eval.metrics import mrr_at, ndcg_at, percentile, recall_at
from ragtui.core.retrieve import convex, mmr, path_matches, rrf, snippet


def test_rrf_sums_weighted_reciprocal_ranks() -> None:
    fused = dict(
        rrf({"a": [("x", 9), ("y", 8)], "b": [("y", 1), ("z", 0.5)]}, {"a": 1.0, "b": 2.0}, k=60)
    )
    assert fused["x"] == pytest.approx(1 / 61)
    assert fused["y"] == pytest.approx(1 / 62 + 2 / 61)
    assert fused["z"] == pytest.approx(2 / 62)
    order = [item for item, _ in rrf({"a": [("x", 9), ("y", 8)], "b": [("y", 1)]}, {}, 60)]
    assert order == ["y", "x"]


def test_rrf_zero_weight_ignores_a_ranking() -> None:
    fused = rrf({"a": [("x", 1)], "b": [("y", 1)]}, {"a": 0.0}, 60)
    assert [i for i, _ in fused] == ["y"]


def test_mmr_skips_near_duplicates() -> None:
    q = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    vecs = {
        "a": np.array([0.99, 0.14, 0.0], dtype=np.float32),
        "a2": np.array([0.98, 0.2, 0.0], dtype=np.float32),
        "b": np.array([0.8, 0.0, 0.6], dtype=np.float32),
    }
    assert mmr(q, ["a", "a2", "b"], vecs, 2, lam=0.5) == ["a", "b"]
    assert mmr(q, ["a", "a2", "b"], vecs, 2, lam=1.0) == ["a", "a2"]


def test_path_filters() -> None:
    assert path_matches(["/n/car.md"], "*car*", ["md"])
    assert path_matches(["/n/a.txt", "/n/b.md"], None, [".MD"])
    assert not path_matches(["/n/a.txt"], None, ["md"])
    assert path_matches(["/n/page.html.gz"], None, ["html"])
    assert path_matches(["/n/x/car.md"], "car.md", [])
    assert not path_matches(["/n/x/car.md"], "/other/*", [])


def test_snippet_centres_on_query_words() -> None:
    text = "filler " * 100 + "the timing belt is replaced at 45,000 miles " + "tail " * 100
    cut = snippet(text, "timing belt")
    assert "timing belt" in cut and cut.startswith("…") and len(cut) < 240


def test_metrics_on_hand_checked_rankings() -> None:
    qrels = {"d1": 1, "d3": 1}
    ranked = ["d2", "d1", "d4", "d3"]
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at(ranked, qrels, 10) == pytest.approx(expected)
    assert recall_at(ranked, qrels, 2) == 0.5
    assert mrr_at(ranked, qrels, 10) == 0.5
    assert mrr_at(["x"], qrels, 10) == 0.0
    graded = {"a": 2, "b": 1}
    assert ndcg_at(["a", "b"], graded) == pytest.approx(1.0)
    assert ndcg_at(["b", "a"], graded) < 1.0
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([5], 95) == 5


def test_convex_combines_min_max_normalised_scores() -> None:
    fused = dict(
        convex(
            {"dense": [("x", 0.9), ("y", 0.5), ("z", 0.1)], "bm25": [("y", 30.0), ("x", 10.0)]},
            {"dense": 1, "bm25": 1},
        )
    )
    assert fused["x"] == pytest.approx(0.5 * 1.0 + 0.5 * 0.0)
    assert fused["y"] == pytest.approx(0.5 * 0.5 + 0.5 * 1.0)
    assert fused["z"] == pytest.approx(0.0)
    weighted = dict(
        convex({"a": [("x", 2.0), ("y", 1.0)], "b": [("y", 5.0), ("x", 1.0)]}, {"a": 3.0, "b": 1.0})
    )
    assert weighted["x"] == pytest.approx(0.75) and weighted["y"] == pytest.approx(0.25)
    assert convex({"a": [("only", 3.0)], "b": []}, {}) == [("only", 1.0)]
