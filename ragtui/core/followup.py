"""Follow-up questions: tell a question that stands alone from one that leans on earlier
turns, and turn the latter into a standalone retrieval query by carrying over the key
terms of the most recent turns (no model; microseconds), or by having the local model
write it (``condense``, :mod:`ragtui.core.condense`), checked and carried over instead
when what it wrote is degenerate.

The model still gets the user's question; only retrieval sees the rewrite.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from ragtui.core.trace import Tracing

FollowupMode = Literal["carry", "condense", "off"]

_WORD = re.compile(r"[A-Za-z0-9][\w'.:/-]*[A-Za-z0-9]|[A-Za-z0-9]")
_CAPITALISED = re.compile(r"\b[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*")
_NUMBER = re.compile(r"\b\d[\d.,:/-]*\d\b|\b\d\b")

#: Words that carry no topic: function words, question words, auxiliaries, generic verbs.
_STOP_WORDS = """
a about above after again against all also am an and any are as at be been before being
below between both but by can could did do does doing done down during each else even
ever every few for from further get gets getting go goes going got had has have having
he her here hers herself him himself his how i if in into is it its itself just know let
like made make many may me might more most much must my myself need needs no nor not now
of off often on once one ones only or other our ours out over own please put really right
said same say says see should so some such take tell than that the their theirs them then
there these they this those through to too under until up us use used very want was we
well were what whatever when where whether which while who whom whose why will with would
yes yet you your yours thing things way kind sort lot bit ok okay don doesn didn isn
aren wasn weren couldn won wouldn shouldn haven hasn hadn happen happens happened
"""
STOP = frozenset(_STOP_WORDS.split())

#: Words that point back to something said before.
_ANAPHOR_WORDS = """
it its they them their theirs those these that this there he she him her his hers ones
same former latter
"""
_ANAPHORS = frozenset(_ANAPHOR_WORDS.split())

#: Openings of an elliptical question ("and the rear ones?", "what about …").
_ELLIPTICAL = (
    "and ",
    "but ",
    "or ",
    "also ",
    "so ",
    "then ",
    "what about",
    "how about",
    "what of ",
    "same for",
    "same with",
    "and what",
    "and how",
    "what else",
    "anything else",
    "why not",
    "how come",
)

_EXISTENTIAL = frozenset({"is", "are", "was", "were", "will", "be"})
#: Words that open a clause: a pronoun after one may refer to a noun before it.
_CLAUSE = frozenset(
    {
        "when",
        "if",
        "because",
        "since",
        "while",
        "before",
        "after",
        "until",
        "unless",
        "and",
        "but",
        "or",
        "that",
        "which",
        "who",
        "so",
        "although",
        "though",
        "once",
        "where",
        "given",
    }
)
#: "it" before these is usually the empty subject ("does it take", "is it worth").
_EMPTY_IT = frozenset(
    {"take", "takes", "took", "possible", "worth", "safe", "true", "better", "matter", "matters"}
)
MAX_TERMS = 10  # most words a rewrite carries over
_LIGHT_ANSWER_TERMS = 3  # from the previous answer: only names and numbers, this many


#: Writes ``question`` (asked after the turns given) as a standalone question.
Condense = Callable[[str, Sequence["Exchange"]], str]


@dataclass(frozen=True)
class Exchange:
    """One earlier turn: the question and the answer text it got."""

    question: str
    answer: str = ""


@dataclass(frozen=True)
class Rewrite:
    """The retrieval query for a question, and how it was made."""

    question: str
    query: str
    method: str  # "none" (stands alone or no history), "carry", "condense", "off", "fallback"
    reason: str
    ms: float = 0.0

    @property
    def rewritten(self) -> bool:
        """Whether retrieval uses something other than the question."""
        return self.query != self.question


def words(text: str) -> list[str]:
    """The words of ``text`` (numbers, dotted or hyphenated tokens kept whole)."""
    return _WORD.findall(text)


def content_words(text: str) -> list[str]:
    """The topic-bearing words of ``text``, in order."""
    return [
        w
        for w in words(text)
        if w.lower().split("'")[0] not in STOP and (len(w) > 1 or w.isdigit())
    ]


def dependence(question: str) -> str | None:
    """Why ``question`` leans on earlier turns, or None when it stands alone."""
    text = " ".join(question.lower().split())
    if text.startswith(_ELLIPTICAL):
        return "elliptical"
    tokens = [w.lower().split("'")[0] for w in words(question)]
    content = content_words(question)
    if len(content) <= 1:
        return "no content words" if tokens else None
    for i, token in enumerate(tokens):
        if token not in _ANAPHORS or _bound(tokens, i):
            continue
        return f"refers back ({token!r})"
    return None


def _bound(tokens: list[str], i: int) -> bool:
    """Whether the anaphor ``tokens[i]`` needs nothing from earlier turns: existential
    "there", the empty "it", a relative "that", or a content word before it in an earlier
    clause of the question ("reset the router when it hangs")."""
    token, before = tokens[i], tokens[:i]
    after = tokens[i + 1] if i + 1 < len(tokens) else ""
    if token == "there" and ((before and before[-1] in _EXISTENTIAL) or after in _EXISTENTIAL):
        return True
    if token == "it" and after in _EMPTY_IT:
        return True
    if token == "that" and before and before[-1] not in STOP:
        return True
    first = next((j for j, t in enumerate(before) if t not in STOP and t not in _CLAUSE), None)
    return first is not None and any(t in _CLAUSE for t in before[first + 1 :])


def _key_terms(exchange: Exchange) -> list[str]:
    """Content words, names and numbers of the question; names and numbers of the answer."""
    terms = content_words(exchange.question)
    answer = exchange.answer[:400]
    light = _CAPITALISED.findall(answer) + _NUMBER.findall(answer)
    terms += [w for phrase in light[:_LIGHT_ANSWER_TERMS] for w in content_words(phrase)]
    return terms


def carry_over(question: str, history: Sequence[Exchange]) -> list[str]:
    """Terms of the latest turns to add to ``question``: the last turn's, and the turns
    before it for as long as those were follow-ups themselves."""
    have = {w.lower() for w in words(question)}
    carried: list[str] = []
    for exchange in reversed(history):
        for term in _key_terms(exchange):
            if term.lower() not in have:
                have.add(term.lower())
                carried.append(term)
        if dependence(exchange.question) is None:
            break
    return carried[:MAX_TERMS]


def loops(words: Sequence[str]) -> bool:
    """Whether model output of these ``words`` repeats itself (half or more are repeats)."""
    return len(set(words)) <= len(words) // 2


def degenerate(written: str, question: str, history: Sequence[Exchange]) -> str | None:
    """What is wrong with the model's standalone ``written`` for ``question``, or None."""
    found = written.split()
    if len(found) < 2:
        return "came back empty"
    text = " ".join(found).casefold()
    if text == " ".join(question.split()).casefold():
        return "copied the question"
    if any(text == " ".join(t.question.split()).casefold() for t in history):
        return "copied an earlier question"
    if len(found) > max(25, 3 * len(question.split()) + 10):
        return "ran on"
    if loops(found):
        return "repeated itself"
    known = {w.lower() for t in history for w in content_words(t.question + " " + t.answer)}
    known |= {w.lower() for w in content_words(question)}
    if not known & {w.lower() for w in content_words(written)}:
        return "changed the topic"
    return None


def rewrite(
    question: str,
    history: Sequence[Exchange],
    mode: FollowupMode = "carry",
    condense: Condense | None = None,
) -> Rewrite:
    """The retrieval query for ``question`` asked after ``history`` (oldest first);
    ``condense`` writes it in the ``condense`` mode."""
    started = time.perf_counter()

    def made(query: str, method: str, reason: str) -> Rewrite:
        return Rewrite(question, query, method, reason, (time.perf_counter() - started) * 1000)

    if not history:
        return made(question, "none", "first question")
    reason = dependence(question)
    if reason is None:
        return made(question, "none", "stands alone")
    if mode == "off":
        return made(question, "off", reason)
    if mode == "condense" and condense is not None:
        written = " ".join(condense(question, history).split())
        problem = degenerate(written, question, history)
        if problem is None:
            return made(written, "condense", reason)
        reason = f"{reason}; the model's rewrite {problem}"
    terms = carry_over(question, history)
    if not terms:
        return made(question, "fallback", f"{reason}; nothing to carry over")
    return made(f"{question.strip()} {' '.join(terms)}", "carry", reason)


def traced_rewrite(
    tracing: Tracing,
    question: str,
    history: Sequence[Exchange],
    mode: FollowupMode,
    condense: Condense | None = None,
) -> Rewrite:
    """:func:`rewrite` inside a ``query.rewrite`` span (none when there is no history)."""
    if not history:
        return rewrite(question, history, mode)
    with tracing.span("query.rewrite") as span:
        result = rewrite(question, history, mode, condense)
        span.set_attributes(
            {
                "input.value": question,
                "output.value": result.query,
                "ragtui.rewrite.method": result.method,
                "ragtui.rewrite.reason": result.reason,
                "ragtui.rewrite.turns": len(history),
                "ragtui.rewrite.ms": result.ms,
            }
        )
        return result
