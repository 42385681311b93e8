"""Reference prose for the format loaders' tests, and how much of it a loader kept.

The paragraphs come from The Compleat Angler (Izaak Walton, 1653; Project Gutenberg
e-book 9198, public domain in the US), read at test time from the shared personal-docs
corpus. Without that corpus the tests use the paragraphs below, written for these tests
(released to the public domain), so they still run.
"""

from __future__ import annotations

import difflib
import re
from functools import cache
from pathlib import Path

PERSONAL_DOCS = Path(__file__).resolve().parents[3] / "shared" / "data" / "personal-docs"
BOOK = PERSONAL_DOCS / "gutenberg" / "The-Complete-Angler-1653_9198" / "9198.txt"
_WORD = re.compile(r"[^\W_]+")
_FALLBACK = (
    "The river was low that summer, and the old angler walked the bank each morning before "
    "the mist had lifted, counting the rises under the alders and writing them in a small "
    "green notebook that he kept in the pocket of his coat.",
    "He held that patience was the first virtue of the craft and cheerfulness the second, "
    "and that a man who could not sit quietly by the water for an hour had no business "
    "carrying a rod at all, whatever the weather or the fish might do.",
    "When the rain came in September the trout moved up into the shallows below the mill, "
    "and the children of the village would lie on the footbridge watching them hold "
    "against the current, still as stones, until a shadow sent them darting away.",
    "His sister kept the accounts of the household in a ledger bound in red leather, and "
    "every spring she wrote down the price of flour, of candles and of the new hooks he "
    "insisted on buying from the shop in the market square.",
    "In the evenings they read aloud to each other by the fire, mostly old books of "
    "travel and natural history, and argued pleasantly about whether the heron or the "
    "otter was the greater thief of the fish in their stretch of the stream.",
    "The last entry in the notebook, written in a careful hand, records a grayling of two "
    "pounds taken on a small red fly at dusk, and below it the words: a good day, and the "
    "swallows gone south.",
)


@cache
def paragraphs(count: int = 6, min_words: int = 40) -> tuple[str, ...]:
    """``count`` prose paragraphs (whitespace collapsed), from the book when it is there."""
    if not BOOK.is_file():
        return _FALLBACK[:count]
    text = BOOK.read_text(encoding="utf-8", errors="replace")
    start = text.find("*** START OF")
    body = text[text.find("\n", start) + 1 :] if start >= 0 else text
    found = []
    for block in re.split(r"\n\s*\n", body):
        lines = block.strip().splitlines()
        if not lines or any(line.startswith((" ", "\t")) for line in lines):
            continue  # verse and indented quotations
        words = " ".join(block.split())
        if len(words.split()) >= min_words and not words.isupper():
            found.append(words)
        if len(found) == count:
            break
    return tuple(found) if len(found) == count else _FALLBACK[:count]


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def recall(reference: str, extracted: str) -> float:
    """Share of the reference's words (with repeats) found in the extracted text."""
    ref = words(reference)
    pool: dict[str, int] = {}
    for word in words(extracted):
        pool[word] = pool.get(word, 0) + 1
    found = 0
    for word in ref:
        if pool.get(word, 0) > 0:
            pool[word] -= 1
            found += 1
    return found / len(ref) if ref else 1.0


def in_order(reference: str, extracted: str) -> float:
    """Share of the reference's words found in the same order (longest matching blocks)."""
    ref, got = words(reference), words(extracted)
    matcher = difflib.SequenceMatcher(None, ref, got, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return matched / len(ref) if ref else 1.0


def assert_one_sentence(message: str, name: str) -> None:
    """A LoaderError's message: one line, one sentence, naming the file and (after a colon)
    what to do."""
    assert name in message, message
    assert "\n" not in message and message.endswith("."), message
    assert ": " in message, f"no fix offered: {message}"
    rest = message.replace(name, "FILE")
    assert not re.search(r"[.!?] [A-Z]", rest), f"more than one sentence: {message}"
