"""reStructuredText loader: sections at adorned titles, levels in order of first use."""

from __future__ import annotations

import re
import unicodedata

from ragtui.core.ingest.document import LoadedDocument
from ragtui.core.ingest.loaders._decode import decode_text
from ragtui.core.ingest.sections import sections_from_headings, split_lines

NAME = "rst"
SUFFIXES = frozenset({".rst"})

# A line of one repeated non-alphanumeric printable ASCII character.
_ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1+[ \t]*$")


def _width(text: str) -> int:
    """Display columns of ``text``, counting East Asian wide characters as two."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _adornment(line: str) -> str | None:
    return line.rstrip() if _ADORNMENT.match(line) else None


def _long_enough(adornment: str, title: str) -> bool:
    # Like docutils: a short underline still counts once it is 4 or more characters.
    return len(adornment) >= _width(title) or len(adornment) >= 4


def find_headings(lines: list[str]) -> list[tuple[int, int, str]]:
    """Return (first line index, level, title) for each section title."""
    headings: list[tuple[int, int, str]] = []
    styles: list[tuple[str, bool]] = []
    n = len(lines)
    i = 0
    while i < n:
        after_blank = i == 0 or not lines[i - 1].strip()
        over = _adornment(lines[i])
        if over is not None and after_blank and i + 2 < n:
            title = lines[i + 1].strip()
            under = _adornment(lines[i + 2])
            is_title = title and _adornment(lines[i + 1]) is None and under == over
            if is_title and _long_enough(over, title):
                style = (over[0], True)
                if style not in styles:
                    styles.append(style)
                headings.append((i, styles.index(style) + 1, title))
                i += 3
                continue
        line = lines[i]
        if after_blank and i + 1 < n and line.strip() and not line[0].isspace() and over is None:
            under = _adornment(lines[i + 1])
            title = line.strip()
            if under is not None and _long_enough(under, title):
                style = (under[0], False)
                if style not in styles:
                    styles.append(style)
                headings.append((i, styles.index(style) + 1, title))
                i += 2
                continue
        i += 1
    return headings


def parse_bytes(data: bytes, name: str) -> LoadedDocument:
    """Decode reStructuredText and split it into one Section per title."""
    text, encoding = decode_text(data, name)
    lines = split_lines(text)
    headings = find_headings(lines)
    title = headings[0][2] if headings else None
    sections = sections_from_headings(lines, 0, headings)
    return LoadedDocument(loader=NAME, sections=sections, title=title, encoding=encoding)
