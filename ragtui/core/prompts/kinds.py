"""The kind of answer a question asks for (a number, a date, a name, a command, yes or
no, or something else), which picks a prompt's worked example."""

from __future__ import annotations

import re

KINDS = ("yes_no", "number", "command", "date", "name", "other")

_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "yes_no",
        re.compile(
            r"^\s*(?:(?!(?:what|which|who|whom|whose|how|why|where|when)\b)[^,?]{1,40},\s*)?"
            # a leading phrase, not a wh-word's: "In Postgres, is char(n) faster?"
            r"(?:is|are|am|can|could|does|do|did|should|shall|will|would|was|were|has|have"
            r"|had|may|might|must|isn't|aren't|can't|doesn't|don't)\b",
            re.I,
        ),
    ),
    (
        "number",
        re.compile(
            r"\bhow (?:many|much|long|old|far|often|big|large|small|fast|high|deep|heavy)\b"
            r"|\b(?:what|which) (?:number|percentage|port|size|version|amount|temperature"
            r"|speed|price|cost)\b|\bthe number of\b",
            re.I,
        ),
    ),
    (
        "command",
        re.compile(
            r"\b(?:command|commands|flag|option|switch|syntax|shell|terminal)\b"
            r"|\bhow (?:do|can|should|would) (?:i|you|we|one)\b",
            re.I,
        ),
    ),
    (
        "date",
        re.compile(
            r"^\s*when\b|\bwhen (?:did|was|were|is|are|does|do|will|should|can)\b"
            r"|\b(?:what|which|in what) (?:year|date|day|month|century|decade)\b",
            re.I,
        ),
    ),
    (
        "name",
        re.compile(
            r"^\s*who(?:m|se)?\b|\bwho (?:wrote|is|was|were|invented|founded|created|made"
            r"|discovered|said)\b|\b(?:what|which)(?:'s| is| was) (?:the |his |her |its |their )?"
            r"(?:real |full |first |last )?name\b",
            re.I,
        ),
    ),
)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def answer_kind(question: str) -> str:
    """The first kind in :data:`KINDS` whose rule matches the question's last sentence
    (the one that asks), "other" if none does."""
    asked = [s for s in _SENTENCE_END.split(question.strip()) if s][-1:] or [""]
    for kind, rule in _RULES:
        if rule.search(asked[0]):
            return kind
    return "other"
