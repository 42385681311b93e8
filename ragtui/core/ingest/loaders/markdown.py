"""Markdown loader: sections at ATX and setext headings, front matter title."""

from __future__ import annotations

import re

from ragtui.core.ingest.document import LoadedDocument
from ragtui.core.ingest.loaders._decode import decode_text
from ragtui.core.ingest.sections import sections_from_headings, split_lines

NAME = "markdown"
SUFFIXES = frozenset({".md", ".markdown", ".mdx"})

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_ATX_CLOSING = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_HEADING_ID = re.compile(r"[ \t]*\{#[\w:.-]+\}$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_NOT_SETEXT_TEXT = re.compile(r"^ {0,3}(?:>|[-*+][ \t]|\d{1,9}[.)][ \t]|\||<)")
_TITLE_YAML = re.compile(r"^title\s*:\s*(.*?)\s*$", re.IGNORECASE)
_TITLE_TOML = re.compile(r"^title\s*=\s*(.*?)\s*$", re.IGNORECASE)
_FRONT_MATTER_MAX_LINES = 200


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1].strip()
    return value


def _front_matter(lines: list[str]) -> tuple[int, str | None]:
    """Return (lines to skip, title) for a YAML ``---`` or TOML ``+++`` block at the top."""
    if not lines or lines[0].rstrip() not in ("---", "+++"):
        return 0, None
    marker = lines[0].rstrip()
    closers = ("---", "...") if marker == "---" else ("+++",)
    pattern = _TITLE_YAML if marker == "---" else _TITLE_TOML
    title: str | None = None
    for i in range(1, min(len(lines), _FRONT_MATTER_MAX_LINES)):
        line = lines[i].rstrip()
        if line in closers:
            return i + 1, title
        match = pattern.match(line)
        if match and title is None:
            title = _unquote(match.group(1)) or None
    return 0, None  # never closed: not front matter


def _clean_heading(text: str) -> str:
    text = _ATX_CLOSING.sub("", text)
    text = _HEADING_ID.sub("", text)
    return " ".join(text.split())


def find_headings(lines: list[str], start: int) -> list[tuple[int, int, str]]:
    """Return (first line index, level, text) for each heading outside code fences."""
    headings: list[tuple[int, int, str]] = []
    fence: str | None = None
    para_start: int | None = None  # first line of the current paragraph
    for i in range(start, len(lines)):
        line = lines[i]
        if fence is not None:
            stripped = line.strip()
            if stripped.startswith(fence) and not stripped.lstrip(fence[0]):
                fence = None
            continue
        fence_match = _FENCE.match(line)
        if fence_match and not (fence_match.group(1)[0] == "`" and "`" in fence_match.group(2)):
            fence = fence_match.group(1)
            para_start = None
            continue
        if not line.strip():
            para_start = None
            continue
        atx = _ATX.match(line)
        if atx:
            headings.append((i, len(atx.group(1)), _clean_heading(atx.group(2) or "")))
            para_start = None
            continue
        setext = _SETEXT.match(line)
        if setext:  # an underline after paragraph text, else a thematic break
            if para_start is not None:
                text = " ".join(lines[k].strip() for k in range(para_start, i))
                level = 1 if setext.group(1)[0] == "=" else 2
                headings.append((para_start, level, _clean_heading(text)))
            para_start = None
            continue
        if _NOT_SETEXT_TEXT.match(line):  # list items, quotes, tables, HTML: never a title
            para_start = None
        elif para_start is None and not line.startswith(("    ", "\t")):
            para_start = i
    return headings


def parse_bytes(data: bytes, name: str) -> LoadedDocument:
    """Decode Markdown and split it into one Section per heading."""
    text, encoding = decode_text(data, name)
    lines = split_lines(text)
    start, title = _front_matter(lines)
    headings = find_headings(lines, start)
    if title is None:
        title = next((t for _, level, t in headings if level == 1 and t), None)
    sections = sections_from_headings(lines, start, headings)
    return LoadedDocument(loader=NAME, sections=sections, title=title, encoding=encoding)
