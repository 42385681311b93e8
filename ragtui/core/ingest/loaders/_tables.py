"""Tables found in documents (HTML, PDF) as row records that carry their header.

Each body row becomes ``column: value; …`` (as CSV rows do), so a chunk holding any row
says what its values are; a table that fits one group stays in its section's prose
(with the paragraph that explains it); a bigger one is packed into ``entry`` groups
whose heading is the heading path above the table, its caption and the row range
(``rows 4–9``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ragtui.core.ingest.chunking import estimate_tokens
from ragtui.core.ingest.document import Section
from ragtui.core.ingest.loaders._groups import GROUP_TOKENS, Unit, pack_units, span
from ragtui.core.ingest.loaders.csv import clean, looks_like_header, row_text

_label = span("row", "rows")


def header_of(rows: Sequence[Sequence[str]], marked: int) -> int:
    """How many leading rows are the header: ``marked`` (``<thead>`` or all-``<th>`` rows)
    when any, else 1 when the first row looks like column names, else 0."""
    if marked:
        return marked
    if len(rows) >= 2 and len(rows[0]) >= 2 and looks_like_header(list(rows[0])):
        return 1
    return 0


def merged_header(rows: Sequence[Sequence[str]]) -> list[str]:
    """One name per column from one or more header rows (``Size bytes`` from two)."""
    width = max((len(r) for r in rows), default=0)
    names = []
    for n in range(width):
        parts: list[str] = []
        for row in rows:
            cell = clean(row[n]) if n < len(row) else ""
            if cell and cell not in parts:
                parts.append(cell)
        names.append(" ".join(parts))
    return names


def row_records(rows: Sequence[Sequence[str]], header_rows: int) -> list[str]:
    """Each body row as ``column: value; …`` (its values alone without a header)."""
    header = merged_header(rows[:header_rows]) if header_rows else None
    return [row_text(list(cells), header) for cells in rows[header_rows:]]


def fits_inline(records: Sequence[str]) -> bool:
    """Is the table small enough (one row group) to stay in the prose around it?"""
    return sum(estimate_tokens(r) for r in records) <= GROUP_TOKENS


def table_sections(
    rows: Sequence[Sequence[str]],
    header_rows: int,
    prefix: tuple[str, ...] = (),
    *,
    page: int | None = None,
) -> list[Section]:
    """The body rows of a table, each with its column names, in groups headed
    ``(*prefix, "rows a–b")``; without a header, the rows' values alone."""
    units = [
        Unit(text, str(n), str(n), prefix)
        for n, text in enumerate(row_records(rows, header_rows), 1)
    ]
    sections = pack_units(units, _label)
    if page is not None:
        sections = [
            Section(s.text, s.heading, page, s.line_start, s.line_end, s.kind) for s in sections
        ]
    return sections
