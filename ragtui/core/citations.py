"""Citations: explicit ``[n]`` markers checked against the context, inferred ones from
embedding support, and sentences nothing supports."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ragtui.core.arrays import Vectors
from ragtui.core.models import Citation, Hit

_MARKER = re.compile(r"\s?\[(\d+(?:\s*,\s*\d+)*)\]")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")
_WORD = re.compile(r"\w+")
_STOP = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "the",
        "to",
        "was",
        "were",
        "with",
    }
)
_OVERLAP_WEIGHT = 0.5  # answers copy words from their source: shared words point to it


@dataclass(frozen=True)
class Markers:
    """The answer with invalid markers removed, the valid numbers cited, and how many were
    dropped because they named no passage in the context."""

    text: str
    cited: list[int]
    dropped: int


def check_markers(answer: str, passages: int) -> Markers:
    """Keep ``[n]`` markers for 1 ≤ n ≤ passages; remove the rest from the text."""
    cited: list[int] = []
    dropped = 0

    def keep(match: re.Match[str]) -> str:
        nonlocal dropped
        numbers = [int(x) for x in match.group(1).split(",")]
        valid = [n for n in numbers if 1 <= n <= passages]
        dropped += len(numbers) - len(valid)
        for n in valid:
            if n not in cited:
                cited.append(n)
        if not valid:
            return ""
        return " [" + ", ".join(str(n) for n in valid) + "]"

    text, before = _MARKER.sub(keep, answer), answer
    while text != before:  # a removed marker can join "[" and "7]" into a new one
        text, before = _MARKER.sub(keep, text), text
    return Markers(text.strip(), cited, dropped)


def strip_markers(text: str) -> str:
    """``text`` without its ``[n]`` markers."""
    return _MARKER.sub("", text)


def sentences(text: str) -> list[str]:
    """Split an answer into sentences (markers stay with their sentence)."""
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


@dataclass(frozen=True)
class Support:
    """For each sentence: the best supporting passage (1-based) or None, and its similarity."""

    per_sentence: list[tuple[str, int | None, float]]

    @property
    def inferred(self) -> list[int]:
        """Passages that support some sentence, in first-use order."""
        out: list[int] = []
        for _s, n, _sim in self.per_sentence:
            if n is not None and n not in out:
                out.append(n)
        return out

    @property
    def unsupported(self) -> list[str]:
        """Sentences no passage supports."""
        return [s for s, n, _sim in self.per_sentence if n is None]


def support(
    answer: str,
    passage_texts: Sequence[str],
    embed: Callable[[Sequence[str]], Vectors],
    floor: float,
    question: str = "",
) -> Support:
    """Attribute each sentence to the passage most similar to it, if at least ``floor``.

    A sentence is compared together with the question it answers ("45,000 miles."
    alone says little); passages sharing more of its words rank first (answers copy
    from their source), and a passage lacking its figures does not support it.
    """
    parts = [s for s in sentences(_MARKER.sub("", answer)) if any(c.isalnum() for c in s)]
    if not parts or not passage_texts:
        return Support([(s, None, 0.0) for s in parts])
    probes = [f"{question} {s}".strip() for s in parts]
    vectors = embed([*probes, *passage_texts])
    sent, pas = vectors[: len(parts)], vectors[len(parts) :]
    sims = sent @ pas.T
    rows: list[tuple[str, int | None, float]] = []
    passage_words = [set(_WORD.findall(text.lower())) for text in passage_texts]
    for i, sentence in enumerate(parts):
        numbers = _NUMBER.findall(sentence)
        words = set(_WORD.findall(sentence.lower())) - _STOP
        overlap = np.array([len(words & pw) / len(words) if words else 0.0 for pw in passage_words])
        order = np.argsort(-(sims[i] + _OVERLAP_WEIGHT * overlap))
        chosen: int | None = None
        for j in order:  # by similarity and shared words; a passage below the floor is
            if sims[i, j] < floor:  # skipped, not the end: the next may be above it
                continue
            if all(n in passage_texts[j] for n in numbers):  # an invented figure is no support
                chosen = int(j)
                break
        score = float(sims[i, chosen]) if chosen is not None else float(sims[i, order[0]])
        rows.append((sentence, None if chosen is None else chosen + 1, score))
    return Support(rows)


def citation_for(n: int, hit: Hit, inferred: bool) -> Citation:
    """Citation ``[n]`` of ``hit`` (``inferred`` when the model did not mark it)."""
    return Citation(
        n=n,
        chunk_id=hit.chunk_id,
        path=hit.path,
        location=hit.location,
        snippet=hit.snippet,
        inferred=inferred,
        also_at=hit.also_at,
    )
