"""Checks of a generated answer against its passages: whether it can be shown as it is
(not looped, empty, an echo or unsupported), the line it should have come from, and the
quote of the evidence shown in its place."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ragtui.core import citations, evidence
from ragtui.core.context import Packed
from ragtui.core.generate import Generation
from ragtui.core.models import Answer, Hit
from ragtui.core.prompts.kinds import answer_kind

_WORDS = re.compile(r"\w+")
_KEY = re.compile(r"\d+(?:[.,:/-]\d+)*|\b[A-Z][a-z]+\b")
_COMMON = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "at",
        "be",
        "by",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "in",
        "is",
        "it",
        "my",
        "of",
        "on",
        "or",
        "our",
        "the",
        "to",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "with",
        "you",
        "your",
        "get",
        "type",
    }
)


_HEADING_WORDS = 5  # a best line this short is taken as a heading
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SHORT_ANSWER = 8  # words: an answer this short that is a number is checked (see below)
_NEGATION = re.compile(
    r"\b(?:not|no|never|none|neither|nor|cannot|off|disabled?|avoid(?:ed)?|without)\b|n't\b",
    re.IGNORECASE,
)
_YES_OR_NO = re.compile(r"^\W*(yes|no)\b", re.IGNORECASE)


def _stems(text: str) -> set[str]:
    words = set()
    for word in _WORDS.findall(text.lower()):
        if word in _COMMON:
            continue
        words.add(word[:-1] if len(word) > 3 and word.endswith("s") else word)
    return words


def focus_line(question: str, answer: str, packed: Packed) -> tuple[int, str] | None:
    """The passage line that best matches the question (with the lines under it, if it is a
    heading), when the answer came from elsewhere: the sign of a small model copying a
    neighbouring distractor. Returns the passage index and that text, or None when the
    answer is in it."""
    wanted = _stems(question)
    keys = [k for k in _KEY.findall(answer) if k.lower() not in question.lower()]
    if not wanted or not keys:
        return None
    best: tuple[float, int, int] | None = None
    for index, (hit, text) in enumerate(zip(packed.hits, packed.texts, strict=True)):
        first = 1 if hit.context else 0  # the heading-path line says where, not what
        for number, line in enumerate(text.splitlines()[first:], first):
            overlap = len(wanted & _stems(line)) / len(wanted)
            if best is None or overlap > best[0]:
                best = (overlap, index, number)
    if best is None or best[0] < 0.5:
        return None
    lines = packed.texts[best[1]].splitlines()
    line = lines[best[2]].strip()
    if len(_WORDS.findall(line)) > _HEADING_WORDS:
        focus = line
    else:  # a heading: what answers the question is in the lines under it
        focus = "\n".join(lines[best[2] : best[2] + 4]).strip()
    if any(k in focus for k in keys):
        return None
    return best[1], focus


def answer_flaw(
    answer: Answer,
    generation: Generation,
    question: str,
    confident: float = 0.0,
    overrule: float = 1.0,
) -> str | None:
    """Why the model's answer cannot be shown as it is, or None when it can: cut off by
    the loop guard, empty or only echoing the question, ending on the colon that should
    introduce it, supported by no passage, a number from another sentence of the evidence
    than the one the question matches, a yes or no the evidence contradicts, or a
    decline although retrieval is at least ``overrule`` confident the passages answer."""
    if answer.abstained:
        if confident >= overrule:
            return "the model declined, but retrieval says the passages likely answer"
        return None
    if generation.stopped_repeating:
        return "the model started repeating itself"
    text = citations.strip_markers(answer.answer)
    words = _WORDS.findall(text.lower())
    if not words:
        return "the model's answer was empty"
    asked = set(_WORDS.findall(question.lower()))
    if all(w in asked or w in _COMMON for w in words):
        return "the model only repeated the question"
    if text.rstrip().endswith(":"):  # "The following:" promises what never came
        return "the model's answer stopped before what it introduced"
    if answer.unsupported and len(answer.unsupported) >= len(citations.sentences(text)):
        return "no passage supports the model's answer"
    first = citations.sentences(text.strip().split("\n")[0])[:1]
    if (
        first
        and answer.evidence
        and _number_from_elsewhere(question, first[0], answer.evidence[0].text)
    ):
        return "the model's number belongs to another part of the passage"
    if answer.evidence and _contradicts(question, text, answer.evidence[0].text):
        return "the model's yes or no is not what the passage says"
    return None


def _contradicts(question: str, answer: str, passage: str) -> bool:
    """Whether a yes or no answering a yes/no question says the opposite of ``passage``:
    the passage denies what the question asks when exactly one of them holds a negation
    ("Are foreign keys enforced by default?", "enforcement is turned off by default")."""
    said = _YES_OR_NO.match(answer)
    if said is None or answer_kind(question) != "yes_no":
        return False
    denied = bool(_NEGATION.search(question)) != bool(_NEGATION.search(passage))
    return (said.group(1).lower() == "yes") == denied


def _number_from_elsewhere(question: str, answer: str, passage: str) -> bool:
    """Whether a short answer (its first sentence) that is a number took it from another
    sentence of ``passage`` than the one that matches the question ("10 minutes" of
    "within 20 minutes, it escalates to the secondary. If neither has acknowledged after a
    further 10 minutes, …"): a small model often copies the neighbouring number."""
    numbers = set(_NUMBER.findall(answer))
    if len(answer.split()) > _SHORT_ANSWER or len(numbers) != 1:
        return False
    wanted = evidence.content_words(question)
    parts = [passage[b:e] for b, e in evidence.sentences(passage)]
    counted = [(set(_NUMBER.findall(p)), p) for p in parts]
    counted = [(found, p) for found, p in counted if found]
    shares = [len(evidence.held(wanted, evidence.content_words(p))) for _, p in counted]
    if not counted or max(shares) == 0:
        return False
    best = shares.index(max(shares))
    (number,) = numbers
    holding = [i for i, (found, _) in enumerate(counted) if number in found]
    return (
        bool(holding)
        and number not in counted[best][0]
        and all(shares[i] < shares[best] for i in holding)
    )


def quote(answer: Answer, hits: Sequence[Hit], flaw: str) -> Answer:
    """The answer replaced by its evidence (taken from ``hits``), quoted with its
    citations."""
    order = list(dict.fromkeys(item.chunk_id for item in answer.evidence))
    by_id = {h.chunk_id: h for h in hits}
    lines = [f"“{item.text}” [{order.index(item.chunk_id) + 1}]" for item in answer.evidence]
    cites = tuple(
        citations.citation_for(n, by_id[cid], inferred=False) for n, cid in enumerate(order, 1)
    )
    return answer.model_copy(
        update={
            "answer": "\n".join(lines),
            "citations": cites,
            "quoted": True,
            "unsupported": (),
            "error": flaw,
            "abstained": False,
        }
    )
