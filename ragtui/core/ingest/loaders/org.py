"""Org-mode loader: sections at ``*`` headlines, with the headline path as heading.

Lines keep their numbers (what is dropped becomes a blank line), so a section's line range
is the one an editor shows. Headlines lose their TODO keyword, priority cookie and tags;
links show their description. Comment lines and ``COMMENT`` blocks, which Org never
exports, are left out, and so are property drawers and ``#+KEYWORD:`` lines
(``#+TITLE:`` becomes the document's title).
"""

from __future__ import annotations

import re

from ragtui.core.ingest.document import LoadedDocument
from ragtui.core.ingest.loaders._decode import decode_text
from ragtui.core.ingest.sections import sections_from_headings, split_lines

NAME = "org"
SUFFIXES = frozenset({".org"})

_HEADLINE = re.compile(r"^(\*+)[ \t]+(.*?)[ \t]*$")
_TODO = re.compile(r"^(?:TODO|DONE|NEXT|WAITING|HOLD|SOMEDAY|CANCELLED|CANCELED)[ \t]+")
_PRIORITY = re.compile(r"^\[#[A-Z0-9]\][ \t]*")
_TAGS = re.compile(r"[ \t]+:(?:[\w@#%]+:)+$")
_KEYWORD = re.compile(r"^[ \t]*#\+(\w+):[ \t]*(.*)$")
_BLOCK = re.compile(r"^[ \t]*#\+(begin|end)_(\w+)", re.IGNORECASE)
_COMMENT = re.compile(r"^[ \t]*#(?:[ \t]|$)")
_DRAWER = re.compile(r"^[ \t]*:([\w-]+):[ \t]*$")
_PLANNING = re.compile(r"^[ \t]*(?:SCHEDULED|DEADLINE|CLOSED):")
_LINK = re.compile(r"\[\[([^\]]+)\](?:\[([^\]]+)\])?\]")


def _links(line: str) -> str:
    return _LINK.sub(lambda m: m.group(2) or m.group(1), line)


def _headline(text: str) -> str:
    text = _TAGS.sub("", _PRIORITY.sub("", _TODO.sub("", text)))
    return " ".join(_links(text).split())


def clean(lines: list[str]) -> tuple[list[str], list[tuple[int, int, str]], str | None]:
    """(lines with what a reader never sees blanked, headings, ``#+TITLE``)."""
    out: list[str] = []
    headings: list[tuple[int, int, str]] = []
    title: str | None = None
    block: str | None = None  # the open #+BEGIN_ block's name
    drawer = False
    for i, line in enumerate(lines):
        marker = _BLOCK.match(line)
        if block is not None:
            if marker and marker.group(1).lower() == "end" and marker.group(2).lower() == block:
                block = None
                out.append("")
            else:  # block content is kept verbatim, except in a COMMENT block
                out.append("" if block == "comment" else line)
            continue
        if marker and marker.group(1).lower() == "begin":
            block = marker.group(2).lower()
            out.append("")
            continue
        if drawer:
            end = _DRAWER.match(line)
            drawer = end is None or end.group(1).upper() != "END"
            out.append("")
            continue
        drawn = _DRAWER.match(line)
        if drawn and drawn.group(1).upper() != "END":
            drawer = True
            out.append("")
            continue
        headline = _HEADLINE.match(line)
        if headline:
            text = _headline(headline.group(2))
            if text:
                headings.append((i, len(headline.group(1)), text))
            out.append(text)
            continue
        keyword = _KEYWORD.match(line)
        if keyword:
            if keyword.group(1).lower() == "title" and title is None:
                title = keyword.group(2).strip() or None
            out.append("")
            continue
        if _COMMENT.match(line) or _PLANNING.match(line):
            out.append("")
            continue
        out.append(_links(line))
    return out, headings, title


def parse_bytes(data: bytes, name: str) -> LoadedDocument:
    """Decode an Org file and split it into one section per headline."""
    text, encoding = decode_text(data, name)
    lines, headings, title = clean(split_lines(text))
    sections = sections_from_headings(lines, 0, headings)
    return LoadedDocument(loader=NAME, sections=sections, title=title, encoding=encoding)
