"""When to say "not in your documents": several retrieval signals, one calibrated score.

No single signal separates questions the passages answer from on-topic ones they don't: a
passage on the right topic without the answer is as near the question as one with it. A
question usually hinges on its rarest words (a name, a command, a setting), so how much of
the question the passages hold is weighed by each word's rarity in the index. The
signals below are combined by a logistic model fitted on CLAP NQ (answerable and
unanswerable), SQuAD questions retrieved against the whole SQuAD dev set, and the
real-documents set (``tests/bench/abstention.py`` gathers them and fits the weights); the
answer is declined when the probability that it is there falls below
``answer.min_confidence``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from ragtui.core.evidence import Sentence, content_terms, content_words, held
from ragtui.core.models import Hit

_TOP = 5  # "both retrievers agree": a hit in the top 5 of the keyword and of the vector ranking

#: A word's inverse document frequency in the index, and the largest one it can have
#: (a word no chunk holds); see :func:`ragtui.core.engine.Engine.rarity`.
Rarity = Callable[[str], tuple[float, float]]

FEATURES = ("sentence", "passage", "agreement", "coverage", "missing")
#: Logistic weights over FEATURES and the intercept, fitted by tests/bench/abstention.py on
#: 150+150 CLAP NQ (seed 7), 200 SQuAD (seed 7, against all 2,067 paragraphs) and the 93
#: real-documents questions. At answer.min_confidence 0.35 that declines 11 %, 7 % and 7 %
#: of their answerable questions and answers 33 % and 19 % of the unanswerable ones;
#: fitted on the other two alone, it declines 8 %, 10 % and 7 % of each and answers 46 %
#: and 43 %. (The former rule, every word weighing the same and no ``missing``, fitted
#: without the real documents, declined 11 % and answered 52 % of them at 0.45.)
WEIGHTS = (5.07, 2.18, 0.73, 4.16, -0.54)
INTERCEPT = -7.13


@dataclass(frozen=True, slots=True)
class Signals:
    """What retrieval says about whether the passages hold the answer."""

    sentence: float  # cosine of the question with the best sentence of the passages
    passage: float  # the best passage's own cosine with the question (dense score)
    agreement: float  # 1 when a passage is in the top 5 of both the keyword and vector ranks
    coverage: float  # share of the question's content words in the best-covering passage
    # (in any form, see evidence.held), each weighted by its rarity in the index (a rare
    # name counts more than "size")
    missing: float  # rarity (0–1) of the rarest question word that no passage holds

    def as_dict(self) -> dict[str, float]:
        """The signals by name (for traces and calibration)."""
        return {k: round(v, 4) for k, v in asdict(self).items()}


def signals(
    question: str,
    hits: Sequence[Hit],
    scored: Sequence[Sentence],
    rarity: Rarity | None = None,
) -> Signals:
    """The signals for ``question`` over its retrieved ``hits`` and their scored sentences;
    without ``rarity`` every word weighs the same."""
    wanted = content_terms(question)
    weight = {stem: 1.0 for stem in wanted}
    most = 1.0
    if rarity is not None:
        for stem, word in wanted.items():
            weight[stem], most = rarity(word)
    per_hit = [content_words(f"{h.context} {h.text}") for h in hits]
    total = sum(weight.values())
    stems = set(wanted)
    holding = [held(stems, words) for words in per_hit]
    coverage = max((sum(weight[w] for w in h) for h in holding), default=0.0)
    coverage = coverage / total if total > 0 else 1.0
    found = set().union(*holding) if holding else set()
    unheld = max((weight[w] for w in wanted if w not in found), default=0.0)
    missing = unheld / most if most > 0 else 0.0  # an empty keyword index: nothing is rare
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
        missing=missing,
    )


def confidence(
    found: Signals, weights: Sequence[float] = WEIGHTS, intercept: float = INTERCEPT
) -> float:
    """The calibrated probability that the passages answer the question."""
    values = [getattr(found, name) for name in FEATURES]
    z = intercept + sum(w * v for w, v in zip(weights, values, strict=True))
    return 1.0 / (1.0 + math.exp(-z))
