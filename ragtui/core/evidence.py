"""Sentence-level evidence: the sentences (or lines) of the retrieved passages nearest the
question, each located in its file.

Passages are cut into sentences, with hard-wrapped prose joined back into its sentences
first and line-shaped text (code, lists, tables, commands) kept line by line. Each
sentence is scored by the cosine of its embedding with the question's, and each passage's
best sentence says how relevant it is. The evidence is the best sentence by that cosine
plus a share of the question's words, with the sentence that follows it, and the best
sentence of another passage.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ragtui.core.models import Evidence, Hit, Location

MIN_SENTENCE_CHARS = 13
MAX_EVIDENCE_WORDS = 60
MAX_EVIDENCE_ITEMS = 2
FIRST_ITEM_WORDS = 50  # the first item runs on while it fits; see _continued()
LEXICAL_WEIGHT = 0.3  # see select(); measured on the real-documents set
_MIN_ITEM_WORDS = 4  # a second item shorter than this would say nothing
_AFFIX_MIN = 5  # letters the shorter form of a word needs (see held())
_AFFIX_SHARE = 0.6  # and the share of the longer form it must cover
_MIN_LABELS = 3  # entries that make a list worth shortening to its labels
_SAME_SHARE = 0.8  # of its content words another sentence holds: it says the same
_INTRODUCES = ("?", ":")  # a sentence ending so introduces what answers it
_LEAD_IN = re.compile(r":\s+(?=\S)")
_WRAP_MIN = 40  # a line at least this long, not ending a sentence, continues on the next
_FENCE = re.compile(r"\s*(?:`{3,}|~{3,})[\w+-]*\s*$")  # a Markdown code fence: no sentence
_HIDDEN_MARKUP = re.compile(r"<!--.*?-->|<a\s[^<>]*>\s*</a>")  # not shown in rendered Markdown
_LIST_ITEM = re.compile(r"\s*(?:[-*+•]|\d+[.)])\s")  # its indented next line continues it
_HEADING = re.compile(r"(?m)^[ \t]*#{1,6}\s")  # a Markdown heading starts another section
_LINE_SHAPED = re.compile(r"\s*(?:[-*+•|>$#]|\d+[.)]\s|`|\w+\s*=)|\s{4}|\t")
_PROSE = re.compile(r"[A-Za-z][\w'’\"(),.;:!?/-]*(?: +[\w'’\"(),.;:!?/-]+)+")
_CODE_MARK = re.compile(r"[{}<>=;]|\w\(|::|\$\w")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_ABBREVIATION = re.compile(  # a period that ends no sentence: "CYNIC, n. A blackguard"
    r"\b(?:[nvtia]|adj|adv|prep|pron|conj|interj|pl|vt|vi|e\.g|i\.e|etc|cf|viz|vs|approx|ca"
    r"|pp?|ch|sec|fig|no|vol|ed|Mr|Mrs|Ms|Dr|St|Mt|No|Vol|Fig|[A-Z])\.[\"')\]]*$"
)
_WORD = re.compile(r"\w+")
_LETTER = re.compile(r"[^\W\d_]")  # a label has one; a section number ("1.7.") has none
_QUESTION_WORDS = frozenset(
    """
a an and are as at be by can could did do does for from has have how i if in into is it its
me my of on or our should so than that the their them then there these they this to was we
were what when where which who whom whose why will with would you your about according any
many much some tell say said get got use used using make made way ways one kind
""".split()  # noqa: SIM905 - a word list reads better as text
)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s", "e"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_terms(text: str) -> dict[str, str]:
    """The stems of ``text``'s words that carry its topic (no question or function words),
    each with the first word it came from."""
    terms: dict[str, str] = {}
    for w in _WORD.findall(text.lower()):
        if w not in _QUESTION_WORDS and (len(w) > 1 or w.isdigit()):
            terms.setdefault(_stem(w), w)
    return terms


def content_words(text: str) -> set[str]:
    """The stems of ``text``'s words that carry its topic (no question or function words)."""
    return set(content_terms(text))


def held(wanted: set[str], words: set[str]) -> set[str]:
    """The stems of ``wanted`` that ``words`` hold, also as another form of the word: one
    of at least :data:`_AFFIX_MIN` letters beginning the other and most of its length
    ("postgr" of "postgres" in "postgresql", "cynical" and "cynic", "configur" and
    "configuration"), which the plain stemming misses."""
    found = wanted & words
    for stem in wanted - found:
        if len(stem) < _AFFIX_MIN:
            continue
        for word in words:
            short, long = (stem, word) if len(stem) <= len(word) else (word, stem)
            if (
                len(short) >= _AFFIX_MIN
                and long.startswith(short)
                and len(short) >= _AFFIX_SHARE * len(long)
            ):
                found.add(stem)
                break
    return found


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of hit ``owner``: characters ``start:end`` of its text, and its score."""

    owner: int
    start: int
    end: int
    text: str
    score: float


def _line_shaped(line: str) -> bool:
    """Whether ``line`` stands alone (code, list item, command, table row): indented lines
    count unless they read as wrapped prose (words only, no code marks), as in the
    indented text of manuals and FAQs."""
    if not _LINE_SHAPED.match(line):
        return False
    stripped = line.strip()
    indented_only = not _LINE_SHAPED.match(stripped) and line[:1] in " \t"
    return not (indented_only and _PROSE.fullmatch(stripped) and not _CODE_MARK.search(stripped))


def _blocks(text: str) -> list[tuple[int, int]]:
    """Character spans of paragraphs, with wrapped prose lines joined and line-shaped
    lines (code, lists, commands, tables) kept apart; a code fence's marker line separates
    them like a blank line, so a lead-in ("the following example:") meets the code."""
    spans: list[tuple[int, int]] = []
    start: int | None = None
    offset = prev_end = 0
    joins_next = False
    lines = text.split("\n")
    for number, line in enumerate(lines):
        end = offset + len(line)
        stripped = "" if _FENCE.match(line) else line.strip()
        if not stripped:
            if start is not None:
                spans.append((start, prev_end))
            start = None
        else:
            shaped = _line_shaped(line)
            if start is not None and (shaped or joins_next is False):
                spans.append((start, prev_end))
                start = None
            if start is None:
                start = offset + (len(line) - len(line.lstrip()))
            nxt = lines[number + 1] if number + 1 < len(lines) else ""
            wrapped_item = bool(_LIST_ITEM.match(line)) and nxt[:1] in (" ", "\t")
            joins_next = (
                (wrapped_item or not shaped)
                and (wrapped_item or len(stripped) >= _WRAP_MIN)
                and (wrapped_item or not stripped.endswith((".", "!", "?", ":")))
                and bool(nxt.strip())
                and not _line_shaped(nxt)
            )
            prev_end = end
        offset = end + 1
    if start is not None:
        spans.append((start, prev_end))
    return spans


def sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences (or lines) of ``text``; a lead-in ending with a
    colon ("Start the server on port 8000:") keeps the line it introduces, and a fragment
    too short to stand alone (a list item's label, "NULL.") the sentence after it."""
    spans: list[tuple[int, int, int]] = []  # begin, end, block
    for number, (begin, end) in enumerate(_blocks(text)):
        block = text[begin:end]
        cut = 0
        for match in _SENTENCE_END.finditer(block):
            if _ABBREVIATION.search(block, 0, match.start()):
                continue
            spans.append((begin + cut, begin + match.start(), number))
            cut = match.end()
        spans.append((begin + cut, end, number))
    labelled: list[tuple[int, int, int]] = []
    for begin, end, number in spans:
        last = labelled[-1] if labelled else None
        if last and last[2] == number and _short(text, last) and _LETTER.search(text, *last[:2]):
            labelled[-1] = (labelled[-1][0], end, number)  # "INTEGER." and what it names
        else:
            labelled.append((begin, end, number))
    joined: list[tuple[int, int]] = []
    for begin, end, _ in labelled:
        if joined and text[joined[-1][0] : joined[-1][1]].rstrip().endswith(":"):
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((begin, end))
    return [(b, e) for b, e in joined if not _short(text, (b, e))]


def _short(text: str, span: tuple[int, ...]) -> bool:
    return len(text[span[0] : span[1]].strip()) < MIN_SENTENCE_CHARS


def _flat(span: str) -> str:
    """A sentence's text on one line, without the code-fence marker lines it spans and the
    markup a reader of the rendered page never sees (comments, empty anchors)."""
    lines = (line for line in span.split("\n") if not _FENCE.match(line))
    return " ".join(_HIDDEN_MARKUP.sub(" ", " ".join(lines)).split())


def score_sentences(
    question_vec: Any, hits: Sequence[Hit], embed: Callable[[Sequence[str]], Any]
) -> list[Sentence]:
    """Every sentence of every hit, scored by cosine with the question (best first)."""
    found: list[tuple[int, int, int, str]] = []
    for owner, hit in enumerate(hits):
        for begin, end in sentences(hit.text):
            text = _flat(hit.text[begin:end])
            if len(text) >= MIN_SENTENCE_CHARS:
                found.append((owner, begin, end, text))
    if not found:
        return []
    import numpy as np

    scores = np.asarray(embed([f[3] for f in found])) @ np.asarray(question_vec).ravel()
    scored = [
        Sentence(o, b, e, t, float(s))
        for (o, b, e, t), s in zip(found, scores.tolist(), strict=True)
    ]
    return sorted(scored, key=lambda s: -s.score)


def best_per_hit(hits: Sequence[Hit], scored: Sequence[Sentence]) -> list[float | None]:
    """Per hit, its best sentence's score; its dense score when it has no sentence."""
    best: list[float | None] = [h.scores.get("dense") for h in hits]
    seen: set[int] = set()
    for sentence in scored:  # best first
        if sentence.owner not in seen:
            seen.add(sentence.owner)
            best[sentence.owner] = sentence.score
    return best


def _located(hit: Hit, sentence: Sentence, text: str) -> Evidence:
    """``text`` of ``sentence`` as evidence, with the lines it spans where the file has
    lines."""
    where = hit.location
    if where.line_start is not None:
        first = where.line_start + hit.text.count("\n", 0, sentence.start)
        last = where.line_start + hit.text.count("\n", 0, max(sentence.start, sentence.end - 1))
        where = where.model_copy(update={"line_start": first, "line_end": last})
    return Evidence(
        text=text,
        chunk_id=hit.chunk_id,
        path=hit.path,
        location=Location.model_validate(where.model_dump()),
        score=round(sentence.score, 4),
    )


def _trim(text: str, question: str, words: int) -> str:
    """At most ``words`` words of ``text`` (the "…" marking a cut included): the window
    holding the most of the question's content words, the latest of equals (an answer
    follows what introduces it)."""
    parts = text.split()
    if len(parts) <= words:
        return text
    words = max(1, words - 2)  # room for the "…" marks at either end
    wanted = content_words(question)
    stems = [content_words(part) & wanted for part in parts]
    best, best_at = -1, 0
    for start in range(0, len(parts) - words + 1):
        count = len(set().union(*stems[start : start + words]))
        if count >= best:
            best, best_at = count, start
    cut = " ".join(parts[best_at : best_at + words])
    return ("… " if best_at else "") + cut + (" …" if best_at + words < len(parts) else "")


def rank(question: str, scored: Sequence[Sentence]) -> list[Sentence]:
    """``scored`` ordered for evidence: cosine plus :data:`LEXICAL_WEIGHT` times the share
    of the question's content words the sentence contains (an answer names what was asked
    about; a paraphrase of the question alone is near it too). A sentence with no content
    word beyond the question's (a heading that repeats it) comes after the others, unless
    it introduces what follows (a question, a lead-in ending with a colon)."""
    wanted = content_words(question)
    if not wanted:
        return list(scored)

    def ranked(sentence: Sentence) -> tuple[bool, Sentence]:
        words = content_words(sentence.text)
        shared = len(held(wanted, words)) / len(wanted)
        says_more = sentence.text.endswith(_INTRODUCES) or any(
            not held({word}, wanted) for word in words - wanted
        )
        return not says_more, replace(sentence, score=sentence.score + LEXICAL_WEIGHT * shared)

    order = sorted(map(ranked, scored), key=lambda pair: (pair[0], -pair[1].score))
    return [sentence for _, sentence in order]


def _following(hits: Sequence[Hit], scored: Sequence[Sentence]) -> dict[tuple[int, int], Sentence]:
    """Per sentence (owner, start), the sentence right after it in the same section of the
    same passage (a Markdown heading between them, or starting the next, ends it)."""
    by_owner: dict[int, list[Sentence]] = {}
    for sentence in scored:
        by_owner.setdefault(sentence.owner, []).append(sentence)
    following: dict[tuple[int, int], Sentence] = {}
    for owner, owned in by_owner.items():
        owned.sort(key=lambda s: s.start)
        text = hits[owner].text
        for this, after in itertools.pairwise(owned):
            if not _HEADING.search(text[this.end : after.end]):
                following[(this.owner, this.start)] = after
    return following


def _same_text(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` say the same: one holds the other, or nearly all content
    words of the shorter are in the longer (the same FAQ question in its list and its
    entry, a book's sentence in two of its editions)."""
    if a.casefold() in b.casefold() or b.casefold() in a.casefold():
        return True
    words_a, words_b = content_words(a), content_words(b)
    fewer = min(len(words_a), len(words_b))
    return bool(fewer) and len(words_a & words_b) >= _SAME_SHARE * fewer


def _label(text: str) -> str | None:
    """The short label an entry starts with ("REAL." of "REAL. The value is a floating
    point value."), or None when it starts with a whole sentence."""
    match = _SENTENCE_END.search(text)
    if match is None or _ABBREVIATION.search(text, 0, match.start()):
        return None
    label = text[: match.start()]
    return label if len(label) < MIN_SENTENCE_CHARS and _LETTER.search(label) else None


def _listed(
    sentence: Sentence, following: dict[tuple[int, int], Sentence], limit: int
) -> Sentence | None:
    """A list too long for the evidence, shortened to its labels: "…storage classes: NULL.
    … INTEGER. … REAL. …" when ``sentence`` is a lead-in ending in a colon joined with the
    first of at least :data:`_MIN_LABELS` labelled entries; None otherwise."""
    lead = _LEAD_IN.search(sentence.text)
    if lead is None:
        return None
    first = _label(sentence.text[lead.end() :])
    if first is None:
        return None
    entries = [(sentence, first)]
    nxt = following.get((sentence.owner, sentence.start))
    while nxt is not None and (label := _label(nxt.text)) is not None:
        entries.append((nxt, label))
        nxt = following.get((nxt.owner, nxt.start))
    if len(entries) < _MIN_LABELS:
        return None
    text, end = sentence.text[: lead.end()], sentence.end
    for entry, label in entries:
        if len(text.split()) + 2 > limit:
            break
        text, end = f"{text}{label} … ", entry.end
    return replace(sentence, end=end, text=text.rstrip())


def _continued(
    sentence: Sentence, last: Sentence, following: dict[tuple[int, int], Sentence]
) -> Sentence:
    """``sentence`` (which ends with ``last``) run on with the sentences after it in its
    section while it stays within :data:`FIRST_ITEM_WORDS` and no new question starts: an
    answer often comes two or three sentences after what introduces it (a FAQ question, a
    remark, then the answer)."""
    nxt = following.get((last.owner, last.start))
    while (
        nxt is not None
        and not nxt.text.endswith("?")  # a new question starts another entry
        and len(sentence.text.split()) + len(nxt.text.split()) <= FIRST_ITEM_WORDS
    ):
        sentence = replace(sentence, end=nxt.end, text=f"{sentence.text} {nxt.text}")
        nxt = following.get((nxt.owner, nxt.start))
    return sentence


def select(
    question: str,
    hits: Sequence[Hit],
    scored: Sequence[Sentence],
) -> tuple[Evidence, ...]:
    """The passage excerpt that best answers the question, and the best sentence of another
    passage (≤ 60 words in all).

    The excerpt is the best sentence and the ones right after it (up to
    :data:`FIRST_ITEM_WORDS`): the sentence nearest a question is often the one that
    introduces the answer (a heading, a question in a FAQ, "run the following command:").
    The second item covers an answer that another passage states, so it must not say what
    the first says. Measured on the real-documents set and a SQuAD sample over 5 passages,
    the facts are in the evidence for 61 of 72 and 170 of 200 questions (59 and 170 while a
    second item could repeat the first in other words).
    """
    ranked = rank(question, scored)
    following = _following(hits, scored)
    chosen: list[Sentence] = []
    for sentence in ranked:
        if len(chosen) == MAX_EVIDENCE_ITEMS:
            break
        if chosen and (
            sentence.owner == chosen[0].owner or _same_text(sentence.text, chosen[0].text)
        ):
            continue
        after = following.get((sentence.owner, sentence.start))
        if sentence.text.endswith("?") and after is None:
            continue  # a question with nothing after it in its passage answers nothing
        if after is not None and (not chosen or sentence.text.endswith("?")):
            alone = sentence
            sentence = replace(sentence, end=after.end, text=f"{sentence.text} {after.text}")
            if not chosen:
                sentence = _continued(sentence, after, following)
                listed = _listed(alone, following, FIRST_ITEM_WORDS)
                if listed is not None and listed.end > sentence.end:
                    sentence = listed  # a list that does not fit, shortened to its labels
        chosen.append(sentence)
    items: list[Evidence] = []
    budget = MAX_EVIDENCE_WORDS
    for sentence in chosen:
        if budget < _MIN_ITEM_WORDS:
            break
        text = _trim(sentence.text, question, budget)
        budget -= len(text.split())
        items.append(_located(hits[sentence.owner], sentence, text))
    return tuple(items)
