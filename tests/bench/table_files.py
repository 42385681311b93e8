"""Write real tables from the Debian HTML manuals into spreadsheets for the table benchmark.

Reads the tables with the standard library's HTML parser (not ragtui's loader, which is
what the benchmark measures) and writes them with the test suite's office writers:

- ``pg-datetime.xlsx``: PostgreSQL 15 §8.5 (Date/Time Types, Date Input, Special Date/Time
  Inputs), one sheet each;
- ``pg-limits.csv``: PostgreSQL 15 Appendix K (PostgreSQL Limitations);
- ``python-codecs.ods``: Python 3.11 ``codecs`` (Standard Encodings).

    python tests/bench/table_files.py DEBIAN_DOCS_ROOT OUT_DIR
"""

from __future__ import annotations

import csv
import sys
from html.parser import HTMLParser
from pathlib import Path
from xml.sax.saxutils import escape

from tests.unit.office_files import odf, xlsx

PG = "debian/postgresql-doc-15/usr/share/doc/postgresql-doc-15/html"
PY = "debian/python3.11-doc/usr/share/doc/python3.11/html/library"


class _Tables(HTMLParser):
    """Every ``<table>``'s rows of cell texts (whitespace collapsed)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables and self.tables[-1]:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(path: Path) -> list[list[list[str]]]:
    parser = _Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return [t for t in parser.tables if len(t) > 1 and len(t[0]) > 1]


def _ods_sheet(name: str, rows: list[list[str]]) -> str:
    def cell(text: str) -> str:
        return f"<table:table-cell><text:p>{escape(text)}</text:p></table:table-cell>"

    body = "".join(
        f"<table:table-row>{''.join(cell(c) for c in row)}</table:table-row>" for row in rows
    )
    return f'<table:table table:name="{escape(name)}">{body}</table:table>'


def write(root: Path, out: Path) -> list[Path]:
    """Write the three files into ``out``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    dt = tables(root / PG / "datatype-datetime.html")
    book = out / "pg-datetime.xlsx"
    book.write_bytes(
        xlsx(
            [("Date/Time Types", dt[0], ""), ("Date Input", dt[1], ""),
             ("Special Date/Time Inputs", dt[4], "")],
            title="PostgreSQL date/time types",
        )
    )  # fmt: skip
    limits = out / "pg-limits.csv"
    with limits.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(tables(root / PG / "limits.html")[0])
    codecs = next(t for t in tables(root / PY / "codecs.html") if t[0][:2] == ["Codec", "Aliases"])
    sheet = out / "python-codecs.ods"
    sheet.write_bytes(odf("spreadsheet", _ods_sheet("Standard Encodings", codecs)))
    return [book, limits, sheet]


if __name__ == "__main__":
    for path in write(Path(sys.argv[1]), Path(sys.argv[2])):
        print(path)
