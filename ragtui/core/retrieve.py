"""Ranking helpers: reciprocal-rank fusion, MMR diversity, filters and snippets."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence

import numpy as np

from ragtui.core.arrays import Vectors
from ragtui.core.ingest.ocr import IMAGE_SUFFIXES

Ranking = Sequence[tuple[str, float]]
_TIE = 1e-6  # MMR scores this close are equal (float32 dot products)


def rrf(
    rankings: Mapping[str, Ranking], weights: Mapping[str, float], k: float
) -> list[tuple[str, float]]:
    """Weighted reciprocal-rank fusion: ``sum(w / (k + rank))`` over the rankings, rank from 1."""
    fused: dict[str, float] = {}
    for name, ranking in rankings.items():
        weight = weights.get(name, 1.0)
        if weight <= 0:
            continue
        for rank, (item, _score) in enumerate(ranking, 1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))


def convex(
    rankings: Mapping[str, Ranking], weights: Mapping[str, float]
) -> list[tuple[str, float]]:
    """Convex combination of min-max normalised scores; an item a ranking lacks scores 0 there.

    Weights are normalised to sum to 1. Compared with RRF it keeps how far apart
    scores are, not just their order (Bruch et al., "An Analysis of Fusion
    Functions for Hybrid Retrieval", 2023).
    """
    active = {n: r for n, r in rankings.items() if r and weights.get(n, 1.0) > 0}
    total = sum(weights.get(n, 1.0) for n in active)
    fused: dict[str, float] = {}
    for name, ranking in active.items():
        weight = weights.get(name, 1.0) / total
        scores = [s for _, s in ranking]
        low, high = min(scores), max(scores)
        span = high - low
        for item, score in ranking:
            norm = (score - low) / span if span > 0 else 1.0
            fused[item] = fused.get(item, 0.0) + weight * norm
    return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))


def mmr(
    query: Vectors,
    candidates: Sequence[str],
    vectors: Mapping[str, Vectors],
    k: int,
    lam: float,
) -> list[str]:
    """Maximal marginal relevance over candidates that have vectors; others keep their order.

    Equal scores (the same passage in two files) go to the smaller id, so the pick does not
    depend on the order the candidates came in.
    """
    with_vec = [c for c in candidates if c in vectors]
    if len(with_vec) <= 1:
        return list(candidates[:k])
    matrix = np.stack([vectors[c] for c in with_vec])
    relevance = matrix @ query
    similarity = matrix @ matrix.T
    chosen: list[int] = []
    remaining = list(range(len(with_vec)))
    while remaining and len(chosen) < k:
        if chosen:
            redundancy = similarity[np.ix_(remaining, chosen)].max(axis=1)
        else:
            redundancy = np.zeros(len(remaining))
        scores = lam * relevance[remaining] - (1 - lam) * redundancy
        tied = np.flatnonzero(scores >= scores.max() - _TIE)
        best = min((remaining[i] for i in tied), key=lambda i: with_vec[i])
        chosen.append(best)
        remaining.remove(best)
    picked = [with_vec[i] for i in chosen]
    rest = [c for c in candidates if c not in vectors]
    return (picked + rest)[:k]


#: ``--type`` names that stand for several suffixes.
TYPE_GROUPS: dict[str, frozenset[str]] = {
    "image": frozenset(s.lstrip(".") for s in IMAGE_SUFFIXES),
    "jpg": frozenset({"jpg", "jpeg"}),
    "jpeg": frozenset({"jpg", "jpeg"}),
    "tif": frozenset({"tif", "tiff"}),
    "tiff": frozenset({"tif", "tiff"}),
}


def path_matches(paths: Sequence[str], glob: str | None, file_types: Sequence[str]) -> bool:
    """Whether any path matches the glob (on the full path or the name) and the file types
    (suffixes, or ``image`` for every picture ragtui reads)."""
    types: set[str] = set()
    for name in (t.lower().lstrip(".") for t in file_types):
        types |= TYPE_GROUPS.get(name, {name})
    for path in paths:
        if glob and not (
            fnmatch.fnmatch(path, glob) or fnmatch.fnmatch(path.rsplit("/", 1)[-1], glob)
        ):
            continue
        if types:
            name = path.rsplit("/", 1)[-1].lower()
            suffix = name.rsplit(".", 1)[-1] if "." in name else ""
            if suffix == "gz" and name.count(".") >= 2:
                suffix = name.rsplit(".", 2)[-2]
            if suffix not in types:
                continue
        return True
    return False


_WORD = re.compile(r"\w+", re.UNICODE)


def snippet(text: str, query: str, width: int = 220) -> str:
    """The window of ``text`` with the most query words, on one line."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    terms = {w.lower() for w in _WORD.findall(query) if len(w) > 2}
    best, best_at = -1, 0
    for start in range(0, max(1, len(flat) - width) + 1, max(1, width // 4)):
        window = flat[start : start + width].lower()
        hits = sum(1 for t in terms if t in window)
        if hits > best:
            best, best_at = hits, start
    cut = flat[best_at : best_at + width]
    return ("…" if best_at else "") + cut + ("…" if best_at + width < len(flat) else "")


_SHINGLE_WORDS = 5
NEAR_DUPLICATE = 0.5  # share of the shorter text's word 5-grams the longer one also has


def _shingles(text: str) -> frozenset[tuple[str, ...]] | str:
    words = _WORD.findall(text.lower())
    if len(words) < _SHINGLE_WORDS:
        return " ".join(words)
    return frozenset(
        tuple(words[i : i + _SHINGLE_WORDS]) for i in range(len(words) - _SHINGLE_WORDS + 1)
    )


def _near(a: frozenset[tuple[str, ...]] | str, b: frozenset[tuple[str, ...]] | str) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return len(a & b) >= NEAR_DUPLICATE * min(len(a), len(b))


def collapse_duplicates(ranked: Sequence[str], texts: Mapping[str, str]) -> dict[str, list[str]]:
    """Group ranked chunk ids whose texts are identical or nearly so (the same book in two
    files, a chapter in two editions): each group's best-ranked id maps to the ids it
    absorbed, in rank order. Ids without a text stand alone."""
    kept: dict[str, list[str]] = {}
    shapes: list[tuple[str, frozenset[tuple[str, ...]] | str]] = []
    for cid in ranked:
        text = texts.get(cid)
        if text is None:
            kept[cid] = []
            continue
        shape = _shingles(text)
        owner = next((k for k, s in shapes if _near(shape, s)), None)
        if owner is None:
            kept[cid] = []
            shapes.append((cid, shape))
        else:
            kept[owner].append(cid)
    return kept
