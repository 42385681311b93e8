"""Metrics: retrieval (ranked ids against graded judgements), answers (exact match, token F1,
context precision and recall) and the bootstrap intervals around their means."""

from __future__ import annotations

import math
import random
import re
import string
from collections import Counter
from collections.abc import Mapping, Sequence


def ndcg_at(ranked: Sequence[str], qrels: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with linear gains (as trec_eval / BEIR compute it)."""
    dcg = sum(qrels.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranked[:k]))
    ideal = sorted((g for g in qrels.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at(ranked: Sequence[str], qrels: Mapping[str, int], k: int = 100) -> float:
    """Share of relevant documents found in the top k."""
    relevant = {d for d, g in qrels.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def mrr_at(ranked: Sequence[str], qrels: Mapping[str, int], k: int = 10) -> float:
    """Reciprocal rank of the first relevant document in the top k."""
    for i, doc in enumerate(ranked[:k]):
        if qrels.get(doc, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def has_facts(answer: str, facts: Sequence[str | Sequence[str]]) -> bool:
    """Every fact appears in ``answer`` (case and runs of whitespace ignored, so a fact
    wrapped across lines still counts); a fact given as a list of equivalent phrasings
    counts when any one of them does."""

    def normal(text: str) -> str:
        return " ".join(text.lower().split())

    text = normal(answer)
    return all(any(normal(p) in text for p in ([f] if isinstance(f, str) else f)) for f in facts)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD's normalisation: lower case, no punctuation, articles or extra spaces."""
    return " ".join(_ARTICLES.sub(" ", text.lower().translate(_PUNCT)).split())


def exact_match(answer: str, golds: Sequence[str]) -> float:
    """1.0 when the normalised answer equals a normalised gold answer."""
    norm = normalize_answer(answer)
    return float(any(norm == normalize_answer(g) for g in golds))


def token_f1(answer: str, golds: Sequence[str]) -> float:
    """Best token-overlap F1 against the gold answers (SQuAD's definition)."""
    best = 0.0
    predicted = normalize_answer(answer).split()
    for gold in golds:
        truth = normalize_answer(gold).split()
        common = Counter(predicted) & Counter(truth)
        same = sum(common.values())
        if same == 0 or not predicted or not truth:
            continue
        precision, recall = same / len(predicted), same / len(truth)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def source_matches(found: str, expected: str) -> bool:
    """A retrieved path / doc id / chunk id is an expected source (paths may be relative)."""
    if found == expected:
        return True
    tail = expected.replace("\\", "/").lstrip("./")
    return bool(tail) and found.replace("\\", "/").endswith("/" + tail)


def context_precision(contexts: Sequence[str], expected: Sequence[str]) -> float:
    """Ragas-style: mean precision@i over the ranks i that hold a relevant context."""
    hits, total = 0, 0.0
    for rank, context in enumerate(contexts, 1):
        if any(source_matches(context, e) for e in expected):
            hits += 1
            total += hits / rank
    return total / hits if hits else 0.0


def context_recall(contexts: Sequence[str], expected: Sequence[str]) -> float:
    """Share of expected sources present among the contexts."""
    if not expected:
        return 0.0
    return sum(any(source_matches(c, e) for c in contexts) for e in expected) / len(expected)


def bootstrap_ci(
    values: Sequence[float],
    rounds: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """95 % percentile-bootstrap interval of the mean."""
    if not values:
        return (0.0, 0.0)
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(values[rng.randrange(n)] for _ in range(n)) / n for _ in range(rounds))
    return means[int(0.025 * rounds)], means[min(rounds - 1, int(0.975 * rounds))]


def paired_bootstrap(
    a: Sequence[float],
    b: Sequence[float],
    rounds: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float, float]:
    """Mean difference b − a over paired cases, its 95 % interval and a two-sided p-value."""
    diffs = [y - x for x, y in zip(a, b, strict=True)]
    if not diffs:
        return 0.0, 0.0, 0.0, 1.0
    n = len(diffs)
    mean = sum(diffs) / n
    if all(d == diffs[0] for d in diffs):
        return mean, mean, mean, 1.0 if mean == 0 else 0.0
    rng = random.Random(seed)
    means = sorted(sum(diffs[rng.randrange(n)] for _ in range(n)) / n for _ in range(rounds))
    below = sum(m <= 0 for m in means) / rounds
    above = sum(m >= 0 for m in means) / rounds
    p = min(1.0, 2 * min(below, above))
    return mean, means[int(0.025 * rounds)], means[min(rounds - 1, int(0.975 * rounds))], p


def unpaired_bootstrap(
    a: Sequence[float],
    b: Sequence[float],
    rounds: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float, float]:
    """Mean difference b − a of two independent samples (each resampled on its own), its
    95 % interval and a two-sided p-value, read the way :func:`paired_bootstrap` reads."""
    if not a or not b:
        return 0.0, 0.0, 0.0, 1.0
    mean = sum(b) / len(b) - sum(a) / len(a)
    if len(set(a)) == 1 and len(set(b)) == 1:
        return mean, mean, mean, 1.0 if mean == 0 else 0.0
    rng = random.Random(seed)

    def resampled(values: Sequence[float]) -> float:
        n = len(values)
        return sum(values[rng.randrange(n)] for _ in range(n)) / n

    means = sorted(resampled(b) - resampled(a) for _ in range(rounds))
    below = sum(m <= 0 for m in means) / rounds
    above = sum(m >= 0 for m in means) / rounds
    p = min(1.0, 2 * min(below, above))
    return mean, means[int(0.025 * rounds)], means[min(rounds - 1, int(0.975 * rounds))], p
