"""CSV and TSV loader: rows as ``column: value`` lines, packed into groups of rows.

Each row carries its column names, so any group of rows (and any piece of one the chunker
cuts) still says what its values are. Rows are numbered as a spreadsheet shows them (the
header is row 1), and a group's heading is its row range: ``rows 12–40``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

from ragtui.core.ingest.document import LoadedDocument, LoaderError, Section
from ragtui.core.ingest.loaders._decode import decode_text
from ragtui.core.ingest.loaders._groups import Unit, pack_units, span

NAME = "csv"
SUFFIXES = frozenset({".csv", ".tsv"})

SNIFF_CHARS = 16_384
_DELIMITERS = ",;\t|"
_HEADER_CELL_CHARS = 80
_NUMBER = re.compile(r"^[\s$€£¥%+\-−.,:/\d]*\d[\s$€£¥%+\-−.,:/\d]*$")  # 3.5, 1,200, 2024-01-31

_label = span("row", "rows")


def _sample(text: str) -> str:
    """The start of ``text`` for sniffing, cut at a line end when it is longer."""
    if len(text) <= SNIFF_CHARS:
        return text
    cut = text.rfind("\n", 0, SNIFF_CHARS)
    return text[:cut] if cut > 0 else text[:SNIFF_CHARS]


def _dialect(sample: str, tsv: bool) -> tuple[str, str]:
    """The (delimiter, quote character) of ``sample``: a ``.tsv`` with a tab in its first
    line is tab-separated; else what ``csv.Sniffer`` finds, if its delimiter is in the first
    line, else the most frequent of ``, ; TAB |`` there (a comma when none is). The rest
    is Excel's dialect (``csv.Sniffer`` often misses doubled quotes)."""
    first = sample.split("\n", 1)[0]
    if tsv and "\t" in first:
        return "\t", '"'
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS)
        if sniffed.delimiter in first:
            return sniffed.delimiter, sniffed.quotechar or '"'
    except csv.Error:
        pass
    counts = {d: first.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    if not counts[best]:
        best = "\t" if tsv else ","
    return best, '"'


def looks_like_header(row: list[str]) -> bool:
    """Names, not data: mostly filled, distinct, short and not numbers or dates.
    (``csv.Sniffer.has_header`` guesses wrong on tables of text.)"""
    cells = [c.strip() for c in row]
    filled = [c for c in cells if c]
    if not filled or len(filled) * 2 < len(cells):
        return False
    return len(set(filled)) == len(filled) and all(
        len(c) <= _HEADER_CELL_CHARS and not _NUMBER.match(c) for c in filled
    )


def clean(cell: str) -> str:
    return " ".join(cell.split())


def row_text(row: list[str], header: list[str] | None) -> str:
    """A row as ``column: value; …`` (empty cells left out); without a header, the values."""
    if header is None:
        return "; ".join(c for c in map(clean, row) if c)
    parts = []
    for n, cell in enumerate(row):
        value = clean(cell)
        if value:
            column = header[n] if n < len(header) and header[n] else f"column {n + 1}"
            parts.append(f"{column}: {value}")
    return "; ".join(parts)


def _rows(text: str, dialect: tuple[str, str], name: str) -> list[list[str]]:
    """Every record; a quote never closed (which would swallow the rest of the file into
    one cell) is an error, other stray quotes are read leniently."""
    if csv.field_size_limit() < len(text) + 1:  # a cell may be as big as the file
        csv.field_size_limit(len(text) + 1)
    delimiter, quote = dialect
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar=quote, strict=True)
    rows: list[list[str]] = []
    start = 1
    try:
        for row in reader:
            rows.append(row)
            start = reader.line_num + 1
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise LoaderError(
                f"{name} has a quote opened on line {start} that is never closed: close it, "
                "or re-export the file from its spreadsheet."
            ) from exc
        return list(csv.reader(io.StringIO(text), delimiter=delimiter, quotechar=quote))
    return rows


def table_sections(
    rows: list[tuple[int, int, list[str]]],
    label: Callable[[str, str], str] = _label,
) -> list[Section]:
    """Rows (first and last row number, cells) packed into groups headed by ``label`` of
    their row range; a first row that looks like a header names every later row's values.
    (Spreadsheet loaders give each sheet's rows here too.)"""
    header: list[str] | None = None
    if len(rows) >= 2 and looks_like_header(rows[0][2]):
        header = [clean(c) for c in rows[0][2]]
    units = [
        Unit(row_text(cells, header), str(first), str(last))
        for index, (first, last, cells) in enumerate(rows)
        if index or header is None
    ]
    sections = pack_units(units, label)
    if header is not None and not sections:  # a header and nothing else
        first, last, cells = rows[0]
        sections = pack_units([Unit(row_text(cells, None), str(first), str(last))], label)
    return sections


def parse_bytes(data: bytes, name: str) -> LoadedDocument:
    """Decode a CSV or TSV file and pack its rows into sections headed by their row range."""
    text, encoding = decode_text(data, name)
    tsv = name.lower().removesuffix(".gz").endswith(".tsv")
    rows = _rows(text, _dialect(_sample(text), tsv), name)
    sections = table_sections([(n, n, row) for n, row in enumerate(rows, 1)])
    return LoadedDocument(loader=NAME, sections=sections, encoding=encoding)
