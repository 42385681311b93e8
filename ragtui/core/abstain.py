"""When to say "not in your documents": several retrieval signals, one calibrated score.

No single signal separates questions the passages answer from on-topic ones they don't: a
passage on the right topic without the answer is as near the question as one with it. The
signals below are combined by a logistic model fitted on CLAP NQ (answerable and
unanswerable), SQuAD questions retrieved against the whole SQuAD dev set, and the
real-documents set (``tests/bench/abstention.py`` gathers them and fits the weights); the
answer is declined when the probability that it is there falls below
``answer.min_confidence``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from ragtui.core.evidence import Sentence, content_words
from ragtui.core.models import Hit

_TOP = 5  # "both retrievers agree": a hit in the top 5 of the keyword and of the vector ranking

FEATURES = ("sentence", "passage", "agreement", "coverage", "all_terms")
#: Logistic weights over FEATURES and the intercept, fitted by tests/bench/abstention.py on
#: 150+150 CLAP NQ (seed 7), 200 SQuAD (seed 7, against all 2,067 paragraphs) and the 93
#: real-documents questions. At answer.min_confidence 0.45 that declines 14 %, 12.5 % and
#: 14 % of their answerable questions and answers 24 % and 19 % of the unanswerable ones.
WEIGHTS = (5.61, 2.51, 1.21, 3.59, 0.22)
INTERCEPT = -8.10


@dataclass(frozen=True, slots=True)
class Signals:
    """What retrieval says about whether the passages hold the answer."""

    sentence: float  # cosine of the question with the best sentence of the passages
    passage: float  # the best passage's own cosine with the question (dense score)
    agreement: float  # 1 when a passage is in the top 5 of both the keyword and vector ranks
    coverage: float  # share of the question's content words in the best-covering passage
    all_terms: float  # 1 when every content word of the question occurs in some passage

    def as_dict(self) -> dict[str, float]:
        """The signals by name (for traces and calibration)."""
        return {k: round(v, 4) for k, v in asdict(self).items()}


def signals(question: str, hits: Sequence[Hit], scored: Sequence[Sentence]) -> Signals:
    """The signals for ``question`` over its retrieved ``hits`` and their scored sentences."""
    wanted = content_words(question)
    per_hit = [content_words(f"{h.context} {h.text}") for h in hits]
    coverage = (
        max((len(wanted & words) / len(wanted) for words in per_hit), default=0.0)
        if wanted
        else 1.0
    )
    found = set().union(*per_hit) if per_hit else set()
    dense = [h.scores["dense"] for h in hits if "dense" in h.scores]
    agree = any(
        h.ranks.get("bm25", _TOP + 1) <= _TOP and h.ranks.get("dense", _TOP + 1) <= _TOP
        for h in hits
    )
    sentence = scored[0].score if scored else (max(dense) if dense else 0.0)
    return Signals(
        sentence=sentence,
        passage=max(dense) if dense else sentence,  # keyword-only search has no dense score
        agreement=1.0 if agree else 0.0,
        coverage=coverage,
        all_terms=1.0 if wanted <= found else 0.0,
    )


def confidence(
    found: Signals, weights: Sequence[float] = WEIGHTS, intercept: float = INTERCEPT
) -> float:
    """The calibrated probability that the passages answer the question."""
    values = [getattr(found, name) for name in FEATURES]
    z = intercept + sum(w * v for w, v in zip(weights, values, strict=True))
    return 1.0 / (1.0 + math.exp(-z))
