"""Drift signals of one data dir: the user's questions, retrieval, answers and corpus, each a
recent window against a baseline (the ``drift`` block of ``ragtui stats``).

Windows count observations, not time: a signal's recent window is its newest
``drift.recent`` values and its baseline the ``drift.baseline`` values before them. The
p-values of all signals are Holm-adjusted together, and a signal alerts when its adjusted
p-value is below ``drift.alpha``, so a window without drift raises a false alarm on any
signal at most that often. The tests are in :mod:`ragtui.core.drift`.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ragtui.config import DriftSettings
from ragtui.core import drift
from ragtui.core.stats import since_ns
from ragtui.core.trace_store import TraceStore

_ASK = ("ask",)
_ANY = ("ask", "search")


@dataclass(frozen=True)
class _Scalar:
    """One scalar signal: where its values come from and how it is shown."""

    name: str
    group: str
    column: str
    roots: tuple[str, ...]
    label: str
    rate: bool = False  # 0/1 outcomes, shown as a share
    flip: bool = False  # the stored 0/1 is the opposite outcome


SCALARS = (
    _Scalar("top1_similarity", "retrieval", "top1", _ANY, "Top-1 similarity"),
    _Scalar("topk_similarity", "retrieval", "topk", _ANY, "Top-k similarity"),
    _Scalar("abstention_rate", "retrieval", "abstained", _ASK, "Abstentions", rate=True),
    _Scalar(
        "nothing_relevant_rate",
        "retrieval",
        "relevant",
        _ASK,
        "Nothing relevant",
        rate=True,
        flip=True,
    ),
    _Scalar("answer_length", "answers", "answer_chars", _ASK, "Answer length"),
    _Scalar("unsupported_rate", "answers", "unsupported", _ASK, "Unsupported sentences"),
    _Scalar("fallback_rate", "answers", "fallback", _ASK, "Fallbacks", rate=True),
    _Scalar("refocus_rate", "answers", "refocused", _ASK, "Refocused answers", rate=True),
    _Scalar("latency_ms", "answers", "duration_ms", _ASK, "Answer latency"),
    _Scalar("completion_tokens", "answers", "completion_tokens", _ASK, "Answer tokens"),
)
LABELS = {
    "questions": "Question topics",
    "new_topics": "New topics in the corpus",
    **{s.name: s.label for s in SCALARS},
}


def _signal(
    group: str,
    test: str,
    baseline_n: int,
    recent_n: int,
    statistic: float | None = None,
    p_value: float | None = None,
    baseline_value: float | None = None,
    recent_value: float | None = None,
) -> dict[str, Any]:
    return {
        "group": group,
        "test": test,
        "statistic": None if statistic is None else round(statistic, 6),
        "p_value": p_value,
        "p_adjusted": None,
        "baseline_n": baseline_n,
        "recent_n": recent_n,
        "baseline_value": None if baseline_value is None else round(baseline_value, 4),
        "recent_value": None if recent_value is None else round(recent_value, 4),
        "alert": False,
    }


def _windows(values: Sequence[Any], settings: DriftSettings) -> tuple[list[Any], list[Any]]:
    """(baseline, recent) of a signal's values (oldest first); both empty while there are
    fewer than a full recent window and as many before it."""
    recent = list(values[-settings.recent :])
    baseline = list(values[-(settings.baseline + settings.recent) : -settings.recent])
    if len(recent) < settings.recent or len(baseline) < settings.recent:
        return [], []
    return baseline, recent


def questions_signal(vectors: Sequence[Any], settings: DriftSettings) -> dict[str, Any]:
    """MMD² of the recent questions' embeddings against the baseline's."""
    dims = {len(v) for v in vectors[-1:]}  # a changed embedding model starts afresh
    same = [v for v in vectors if len(v) in dims]
    baseline, recent = _windows(same, settings)
    if not recent:
        return _signal("questions", "mmd", 0, 0)
    stat, p = drift.mmd_test(np.stack(baseline), np.stack(recent), settings.permutations)
    return _signal("questions", "mmd", len(baseline), len(recent), stat, p)


def scalar_signal(
    spec: _Scalar, values: Sequence[float], settings: DriftSettings
) -> dict[str, Any]:
    """Mann-Whitney test of one scalar's recent values against the baseline's."""
    baseline, recent = _windows(values, settings)
    if not recent:
        return _signal(spec.group, "mann-whitney", 0, 0)
    effect, p = drift.rank_test(baseline, recent)
    summary: Callable[[list[float]], float] = statistics.fmean if spec.rate else statistics.median
    return _signal(
        spec.group,
        "mann-whitney",
        len(baseline),
        len(recent),
        effect,
        p,
        summary(baseline),
        summary(recent),
    )


def trace_signals(store: TraceStore, settings: DriftSettings) -> dict[str, dict[str, Any]]:
    """The question, retrieval and answer signals from the newest traces."""
    rows = store.signal_rows(3 * (settings.baseline + settings.recent))
    names = rows["name"]
    vectors = [
        np.frombuffer(blob, dtype=np.float16).astype(np.float32)
        for name, blob in zip(names, rows["query_vec"], strict=True)
        if blob and name in _ANY
    ]
    found = {"questions": questions_signal(vectors, settings)}
    for spec in SCALARS:
        values = [
            float(1 - v if spec.flip else v)
            for name, v in zip(names, rows[spec.column], strict=True)
            if v is not None and name in spec.roots
        ]
        found[spec.name] = scalar_signal(spec, values, settings)
    return found


def corpus_signal(
    catalog: Any, open_vectors: Callable[[], Any], settings: DriftSettings
) -> dict[str, Any]:
    """Share of newly indexed chunks far from the older chunks' topics.

    Spherical k-means on a sample of the older chunks' vectors; "far" is beyond the 95th
    percentile of the distances of held-out older chunks to their nearest centroid. The
    p-value is the one-sided rank test of far (1) or not (0) between held-out and new.
    The vector index is opened only when there are new chunks.
    """
    cutoff = since_ns(settings.corpus_window) / 1e9
    old_ids = catalog.embedded_chunks_by_age(cutoff, newer=False, limit=settings.corpus_sample)
    new_ids = catalog.embedded_chunks_by_age(cutoff, newer=True, limit=settings.corpus_sample // 2)
    vectors = open_vectors() if len(old_ids) >= 50 and len(new_ids) >= 10 else None
    if vectors is None:
        return _signal("corpus", "far-share", 0, 0)
    found = vectors.vectors_for(old_ids + new_ids)
    old = [found[c] for c in old_ids if c in found]
    new = [found[c] for c in new_ids if c in found]
    if len(old) < 50 or len(new) < 10:
        return _signal("corpus", "far-share", 0, 0)
    held = len(old) // 5
    centroids = drift.kmeans(np.stack(old[held:]), k=max(2, min(32, len(old) // 40)))
    held_d = drift.cluster_distances(centroids, np.stack(old[:held]))
    new_d = drift.cluster_distances(centroids, np.stack(new))
    limit = float(np.quantile(held_d, 0.95))
    held_far = (held_d > limit).astype(float)
    new_far = (new_d > limit).astype(float)
    _, p = drift.rank_test(held_far.tolist(), new_far.tolist(), alternative="greater")
    share = float(new_far.mean())
    return _signal("corpus", "far-share", held, len(new), share, p, float(held_far.mean()), share)


def _sentence(name: str, signal: dict[str, Any]) -> str:
    label = LABELS.get(name, name)
    p = signal["p_value"]
    if name == "questions":
        change = "differ from the ones before"
    elif name == "new_topics":
        change = f"{signal['recent_value']:.0%} of new chunks are far from the older topics"
    elif name.endswith("_rate"):
        change = f"{signal['baseline_value']:.0%} → {signal['recent_value']:.0%}"
    else:
        change = f"median {signal['baseline_value']:g} → {signal['recent_value']:g}"
    return (
        f"Drift: {label}: {change} (last {signal['recent_n']} against "
        f"{signal['baseline_n']}, p={p:.2g})."
    )


def decide(signals: dict[str, dict[str, Any]], alpha: float) -> list[str]:
    """Holm-adjust the p-values of the signals that have one, set their alert flags, and
    return one sentence per alerting signal."""
    tested = [name for name, s in signals.items() if s["p_value"] is not None]
    adjusted = drift.holm([signals[n]["p_value"] for n in tested])
    alerts = []
    for name, p in zip(tested, adjusted, strict=True):
        signal = signals[name]
        signal["p_value"] = round(signal["p_value"], 6)
        signal["p_adjusted"] = round(p, 6)
        signal["alert"] = p < alpha
        if signal["alert"]:
            alerts.append(_sentence(name, signal))
    return alerts


def compute(
    traces: TraceStore,
    settings: DriftSettings,
    corpus: Callable[[], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The ``drift`` block: per signal its test, statistic, p-values, window sizes and alert
    flag, the alert sentences, and how long it took. ``corpus`` gives the new-topics
    signal (see :func:`corpus_signal`)."""
    started = time.perf_counter()
    block: dict[str, Any] = {
        "enabled": settings.enabled,
        "baseline": settings.baseline,
        "recent": settings.recent,
        "alpha": settings.alpha,
        "signals": {},
        "alerts": [],
    }
    if settings.enabled:
        signals = trace_signals(traces, settings)
        if corpus is not None:
            signals["new_topics"] = corpus()
        block["alerts"] = decide(signals, settings.alpha)
        block["signals"] = signals
    block["elapsed_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return block
