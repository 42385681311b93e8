"""A PDF page read from pypdf's layout-mode text: two-column pages and tables.

Layout mode puts every character where it sits on the page, so the gap between two
columns of text, or between the columns of a table, is a run of positions blank on the
lines it runs past. A page split by such a gutter is read left column, then right; a block
of lines that a gutter cuts into cells under a row of column names becomes row records
(``_tables``) under the table's caption. A page with neither keeps pypdf's plain text.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from ragtui.core.ingest.document import Section
from ragtui.core.ingest.loaders._tables import table_sections
from ragtui.core.ingest.loaders.csv import looks_like_header

_MIN_GUTTER = 3  # blank positions between two page columns
_MIN_CELL_GAP = 2  # blank positions between two table columns
_COLUMN_LINES = 8  # fewer lines than this are never split into columns
_HEADER_CELL_CHARS = 40
_NUMBERED = re.compile(r"^(?:\d+\.)*\d+\.?\s+[A-Z]\S*(?:\s+\S+){0,8}$")  # 5.4.1 Iproute2 commands
_CAPTION = re.compile(r"^(?:Table|Tab\.)\s*[\dIVX]+(?:[.\-]\d+)*\s*[:.]", re.IGNORECASE)


def _occupied(lines: Sequence[str], width: int) -> list[int]:
    """How many lines have a character at each position."""
    counts = [0] * width
    for line in lines:
        for n, char in enumerate(line):
            if char != " ":
                counts[n] += 1
    return counts


def _gutters(lines: Sequence[str], least: int, most_crossing: int) -> list[tuple[int, int]]:
    """Runs of at least ``least`` positions crossed by at most ``most_crossing`` lines,
    with text on both sides of them."""
    width = max((len(line) for line in lines), default=0)
    counts = _occupied(lines, width)
    filled = [n for n, c in enumerate(counts) if c]
    if not filled:
        return []
    runs: list[tuple[int, int]] = []
    start = None
    for n in range(filled[0], filled[-1] + 1):
        if counts[n] <= most_crossing:
            start = n if start is None else start
        else:
            if start is not None and n - start >= least:
                runs.append((start, n))
            start = None
    return runs


def _sides(lines: Sequence[str], cut: int) -> tuple[int, int]:
    left = sum(bool(line[:cut].strip()) for line in lines)
    right = sum(bool(line[cut:].strip()) for line in lines)
    return left, right


def column_gutter(lines: Sequence[str]) -> tuple[int, int] | None:
    """The gutter between two page columns, when the page has one: near the middle, blank
    on nearly every line, with text on both sides of most lines."""
    text = [line.rstrip() for line in lines if line.strip()]
    if len(text) < _COLUMN_LINES:
        return None
    width = max(len(line) for line in text)
    best = None
    for start, end in _gutters(text, _MIN_GUTTER, len(text) // 20):
        middle = (start + end) / 2
        left, right = _sides(text, start)
        wider = best is None or end - start > best[1] - best[0]
        if wider and 0.3 * width <= middle <= 0.7 * width and min(left, right) >= 0.4 * len(text):
            best = (start, end)
    return best


def reading_order(lines: Sequence[str], depth: int = 2) -> list[str]:
    """The page's lines in reading order: bands of lines the gutter does not cross are
    read left column first, then right; a line across the gutter stays where it is."""
    gutter = column_gutter(lines) if depth else None
    if gutter is None:
        return [line.rstrip() for line in lines]
    start, end = gutter
    ordered: list[str] = []
    left: list[str] = []
    right: list[str] = []

    def flush() -> None:
        ordered.extend(reading_order(left, depth - 1))
        ordered.append("")
        ordered.extend(reading_order(right, depth - 1))
        left.clear()
        right.clear()

    for line in lines:
        if line[start:end].strip():  # a title or footer across both columns
            if left or right:
                flush()
            ordered.append(line.rstrip())
        else:
            left.append(line[:start].rstrip())
            right.append(line[end:].rstrip())
    if left or right:
        flush()
    return ordered


def _cells(line: str, cuts: Sequence[int]) -> list[str]:
    bounds = [0, *cuts, len(line)]
    return [" ".join(line[a:b].split()) for a, b in itertools.pairwise(bounds)]


def _table(block: Sequence[str]) -> list[list[str]] | None:
    """A block's rows (header first) when a gutter cuts every line into cells under a row
    of column names; a line with no first cell, or only one, continues the row above."""
    if len(block) < 3:
        return None
    gutters = _gutters(block, _MIN_CELL_GAP, 0)
    cuts = [start + 1 for start, _ in gutters]
    cuts = [c for c in cuts if min(_sides(block, c)) >= len(block) // 2]
    if not cuts:
        return None
    header = _cells(block[0], cuts)
    if not all(header) or any(len(c) > _HEADER_CELL_CHARS or len(c.split()) > 5 for c in header):
        return None
    if not looks_like_header(header):
        return None
    rows = [header]
    for line in block[1:]:
        cells = _cells(line, cuts)
        if len(rows) > 1 and (not cells[0] or sum(bool(c) for c in cells) == 1):
            rows[-1] = [
                " ".join(p for p in pair if p) for pair in zip(rows[-1], cells, strict=True)
            ]
        else:
            rows.append(cells)
    return rows if len(rows) >= 3 else None


def _blocks(lines: Sequence[str]) -> list[tuple[int, int]]:
    """(first, end) of each run of non-blank lines."""
    found = []
    start = None
    for n, line in enumerate([*lines, ""]):
        if line.strip():
            start = n if start is None else start
        elif start is not None:
            found.append((start, n))
            start = None
    return found


def _caption(lines: Sequence[str], first: int, end: int) -> int | None:
    """The line of a ``Table 3.2: …`` caption just after (or before) lines first..end."""
    near = [n for n in range(end, min(end + 4, len(lines)))]
    near += [n for n in range(first - 1, max(first - 3, -1), -1)]
    for n in near:
        if _CAPTION.match(lines[n].strip()):
            return n
    return None


def page_sections(layout: str, page: int) -> list[Section] | None:
    """A page's prose and tables as Sections, or None when it has neither two columns nor
    a table (the caller keeps pypdf's plain text)."""
    raw = layout.split("\n")
    columns = column_gutter(raw) is not None
    lines = reading_order(raw)
    sections: list[Section] = []
    prose: list[str] = []
    used: set[int] = set()
    tables = []
    for first, end in _blocks(lines):
        rows = _table(lines[first:end])
        if rows is not None:
            caption = _caption(lines, first, end)
            if caption is not None:
                used.add(caption)
            title = " ".join(lines[caption].split()) if caption is not None else ""
            tables.append((first, end, rows, title))
            used.update(range(first, end))
    if not tables and not columns:
        return None

    def flush() -> None:
        text = "\n".join(prose).strip()
        if text:
            sections.append(Section(text=text, page=page))
        prose.clear()

    starts = {first: (rows, title) for first, _, rows, title in tables}
    heading = ""  # the numbered heading above a table on its page, kept in its context
    for n, line in enumerate(lines):
        if n in starts:
            flush()
            rows, title = starts[n]
            prefix = tuple(part for part in (heading, title) if part)
            sections.extend(table_sections(rows, 1, prefix, page=page))
        elif n not in used:
            text = " ".join(line.split())
            if _NUMBERED.match(text) and len(text) <= 80:
                heading = text
            prose.append(text)
    flush()
    return sections
