"""Which natural language a text is written in, told from its most common words.

Enough to tell an English question from a German or French page (tldr pages, manuals and
notes often come in several translations), not a general identifier: a text too short or
too mixed to tell gets None, and so does a language outside the few listed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")

#: Short, frequent words of each language, few of them shared with another listed one.
_COMMON_WORDS = {
    "en": """the and of to is are was that it for with as on this be by not or from
        what how which who why can does do did my your i you will would should have has""",
    "de": """der die das und ist sind nicht ein eine einen einem einer mit von zu den dem
        des für auf im sich auch wie welche kann ich mir mich wird werden oder ohne""",
    "fr": """le la les et est sont des une pour dans que qui pas sur du au aux avec ce
        comment quel quelle je mon ma vous peut""",
    "es": """el los las y es son del una por para con no se su al lo como qué cómo
        puedo mi""",
    "it": """il lo gli e è sono della delle una per con non che di come posso mio""",
    "nl": """de het een zijn van voor met niet op dat die hoe wat kan ik mijn""",
}
_WORDS = {lang: frozenset(words.split()) for lang, words in _COMMON_WORDS.items()}
_WORD = re.compile(r"[^\W\d_]+")
_HAN_KANA = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_MIN_HITS = 2  # common words a language needs
_LEAD = 2.0  # times as many as the runner-up
_SCRIPT_SHARE = 0.3  # of the letters: a text in that script
_SAMPLE_CHARS = 600  # enough of a page to tell, and cheap for every hit of a search


def guess(text: str) -> str | None:
    """The language code of ``text`` ("en", "de", "zh", …) from its first
    :data:`_SAMPLE_CHARS` characters, or None when it cannot tell."""
    sample = text[:_SAMPLE_CHARS]
    words = _WORD.findall(sample)
    han = len(_HAN_KANA.findall(sample))
    letters = len(words) + han
    if letters == 0:
        return None
    if han >= _SCRIPT_SHARE * letters:
        return "zh"  # also Japanese: one script family, enough to tell it from the rest
    if len(_HANGUL.findall(sample)) >= _SCRIPT_SHARE * letters:
        return "ko"
    lowered = [w.lower() for w in words]
    counts = sorted(
        ((sum(w in common for w in lowered), lang) for lang, common in _WORDS.items()),
        reverse=True,
    )
    (best, lang), (second, _) = counts[0], counts[1]
    return lang if best >= _MIN_HITS and best >= _LEAD * second else None


def same_language_first(question: str, ranked: Sequence[T], text_of: Callable[[T], str]) -> list[T]:
    """``ranked`` with the items written in another language than ``question`` moved after
    the others, each group in its order; unchanged when the question's language is unknown.
    Items whose language is unknown stay with the question's."""
    asked = guess(question)
    if asked is None:
        return list(ranked)
    foreign = [guess(text_of(item)) not in (None, asked) for item in ranked]
    return [item for item, away in zip(ranked, foreign, strict=True) if not away] + [
        item for item, away in zip(ranked, foreign, strict=True) if away
    ]
