"""HTML loader built on the stdlib parser: visible text split at ``h1``..``h6``.

A data table (a header row of distinct column names over body rows) becomes row records
that carry the header (``Name: bigint; Storage Size: 8 bytes; …``) under the heading path,
the table's caption and the row range; a layout table stays lines of `` | ``-joined cells.
Text a reader does not see (the ``hidden`` attribute, ``display:none``, white or 1-px text
in an inline style) becomes sections of its own flagged ``hidden``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from ragtui.core.ingest.document import LoadedDocument, LoaderError, Section
from ragtui.core.ingest.entries import split_entries
from ragtui.core.ingest.loaders._decode import decode_text
from ragtui.core.ingest.loaders._errors import detail
from ragtui.core.ingest.loaders._hidden import flagged, html_hides
from ragtui.core.ingest.loaders._tables import (
    fits_inline,
    header_of,
    merged_header,
    row_records,
    table_sections,
)

NAME = "html"
SUFFIXES = frozenset({".html", ".htm", ".xhtml"})

_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head"})
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
# Elements that end a paragraph (blank line) or a line.
_PARAGRAPH = frozenset(
    {
        "p", "div", "pre", "table", "ul", "ol", "dl", "blockquote", "section", "article",
        "header", "footer", "nav", "main", "aside", "figure", "figcaption", "form",
        "fieldset", "address", "hr", "body", "center", "details", "summary",
    }
)  # fmt: skip
_LINE = frozenset({"li", "tr", "br", "dt", "dd", "caption", "option", "legend"})
_CELLS = frozenset({"td", "th"})
# Elements a start tag of the same name closes (an unclosed hidden <p> ends at the next <p>).
_SELF_CLOSING = frozenset({"p", "li", "dt", "dd", "option"})
_HEAD_ONLY = frozenset({"meta", "link", "base", "object", "title"} | _SKIP - {"svg"})
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.\-]+)""")
_SPACE = re.compile(r"\s+")
_CAPTION = re.compile(r"^(?:Table|Tab\.)\s*[\w.\-]+[.:]?\s+\S")
_CAPTION_CHARS = 120


@dataclass
class _Table:
    """One table being read: its rows of cells, how many lead as header, its caption."""

    summary: str = ""
    rows: list[list[str]] = field(default_factory=list)
    marked: int = 0  # leading rows in <thead> or all <th>
    caption: list[str] = field(default_factory=list)
    in_caption: bool = False
    in_head: bool = False
    cell: list[str] | None = None
    span: int = 1
    header_cell: bool = False
    all_th: bool = True
    row_open: bool = False
    copies: set[tuple[int, int]] = field(default_factory=set)  # header cells a colspan repeats

    def start_row(self) -> None:
        self.end_row()
        self.rows.append([])
        self.row_open, self.all_th = True, True

    def start_cell(self, header: bool, span: int) -> None:
        self.end_cell()
        if not self.row_open:
            self.start_row()
        self.cell, self.header_cell, self.span = [], header, span
        self.all_th = self.all_th and header

    def end_cell(self) -> None:
        if self.cell is None:
            return
        text = _SPACE.sub(" ", "".join(self.cell)).strip()
        row = self.rows[-1]
        repeat = text if self.header_cell else ""
        self.copies.update((len(self.rows) - 1, len(row) + n) for n in range(1, self.span))
        row.extend([text] + [repeat] * (self.span - 1))
        self.cell = None

    def end_row(self) -> None:
        self.end_cell()
        if self.row_open:
            self.row_open = False
            row = self.rows[-1]
            if not any(row):
                self.rows.pop()
            elif (self.in_head or self.all_th) and self.marked == len(self.rows) - 1:
                self.marked += 1

    def text(self) -> str:
        """The whole table flattened (a table nested in a cell)."""
        return "; ".join(" ".join(c for c in row if c) for row in self.rows)

    def header_rows(self) -> int:
        """Leading header rows of a data table: ``<th>`` or ``<thead>`` rows naming at
        least two columns over body rows (a table without them is taken for layout)."""
        if self.summary.lower().startswith("navigation"):
            return 0
        count = header_of(self.rows, self.marked) if self.marked else 0
        if not count or len(self.rows) <= count:
            return 0
        names = [n for n in merged_header(self.rows[:count]) if n]
        return count if len(set(names)) >= 2 else 0


def declared_charset(data: bytes) -> str | None:
    """Return the charset from an XML declaration or ``<meta>`` near the start, if any."""
    head = data[:4096]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


class _TextExtractor(HTMLParser):
    """Collects visible text as Sections cut at headings."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: str | None = None
        self.sections: list[Section] = []
        self._skip: list[str] = []  # open elements whose content is dropped
        self._in_title = False
        self._title_parts: list[str] = []
        self._pre = 0
        self._pre_start = 0
        self._inline: list[str] = []  # text of the current line, whitespace not yet collapsed
        self._has_text = False  # does _inline hold anything but whitespace?
        self._lines: list[str] = []  # finished lines of the current section ("" = blank)
        self._heading_level: int | None = None
        self._heading_parts: list[str] = []
        self._path: list[tuple[int, str]] = []
        self._tables: list[_Table] = []
        self._hide: list[list[str | int]] = []  # [tag, depth] of each open hiding element

    # -- text assembly ---------------------------------------------------------------
    def _end_line(self) -> None:
        self._has_text = False
        if self._pre:  # verbatim, blank lines included
            self._lines.append("".join(self._inline).rstrip())
            self._inline = []
            return
        text = _SPACE.sub(" ", "".join(self._inline)).strip()
        self._inline = []
        if text:
            self._lines.append(text)

    def _end_paragraph(self) -> None:
        self._end_line()
        if self._lines and self._lines[-1]:
            self._lines.append("")

    def _end_section(self) -> None:
        self._end_paragraph()
        text = "\n".join(self._lines).strip()
        self._lines = []
        if text:
            heading = tuple(t for _, t in self._path)
            self.sections.append(Section(text=text, heading=heading, hidden=bool(self._hide)))

    # -- hidden elements -------------------------------------------------------------
    def _hide_start(self, tag: str, attrs: dict[str, str | None]) -> None:
        """Track the element opened by ``tag``: one that hides its text starts a section."""
        if self._hide and self._hide[-1][0] == tag:
            if tag in _SELF_CLOSING:
                self._hide_end(tag)
            else:
                self._hide[-1][1] = int(self._hide[-1][1]) + 1
                return
        if html_hides(attrs):
            if not self._hide:
                self._end_section()
            self._hide.append([tag, 1])

    def _hide_end(self, tag: str) -> None:
        """Close ``tag``; leaving the last hiding element ends its hidden section."""
        if not self._hide or self._hide[-1][0] != tag:
            return
        self._hide[-1][1] = int(self._hide[-1][1]) - 1
        if not self._hide[-1][1]:
            if len(self._hide) == 1:
                self._end_section()
            self._hide.pop()

    # -- parser callbacks --------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title" and all(open_tag == "head" for open_tag in self._skip):
            self._in_title = True  # the document title, not an <svg> one
            return
        if self._in_title and tag not in _HEAD_ONLY:  # an unclosed <title> ends here
            self.handle_endtag("title")
        if tag in _SKIP:
            self._skip.append(tag)
            return
        if self._skip and self._skip[-1] == "head" and tag not in _HEAD_ONLY:
            self._close_skip("head")  # <body> or body content ends an unclosed <head>
        if self._skip:
            return
        if tag == "table" or self._tables:
            self._table_start(tag, dict(attrs))
            return
        self._hide_start(tag, dict(attrs))
        self._start_block(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._skip and tag not in _SKIP:
            if self._tables:
                self._table_start(tag, dict(attrs))
            else:
                self._start_block(tag)

    # -- tables -------------------------------------------------------------------------
    def _table_start(self, tag: str, attrs: dict[str, str | None]) -> None:
        if tag == "table":
            if not self._tables:
                self._end_paragraph()
            self._tables.append(_Table(summary=(attrs.get("summary") or "").strip()))
            return
        table = self._tables[-1]
        span = attrs.get("colspan") or "1"
        if tag == "tr":
            table.start_row()
        elif tag in _CELLS:
            table.start_cell(tag == "th", min(int(span), 64) if span.isdigit() else 1)
        elif tag == "caption":
            table.in_caption = True
        elif tag == "thead":
            table.in_head = True
        elif tag in ("tbody", "tfoot"):
            table.end_row()
            table.in_head = False
        elif table.cell is not None:
            table.cell.append(" ")  # <br>, <p>, <li> inside a cell

    def _table_end(self, tag: str) -> None:
        table = self._tables[-1]
        if tag in _CELLS:
            table.end_cell()
        elif tag == "tr":
            table.end_row()
        elif tag == "caption":
            table.in_caption = False
        elif tag == "thead":
            table.end_row()
            table.in_head = False
        elif tag == "table":
            table.end_row()
            self._tables.pop()
            if self._tables:
                outer = self._tables[-1]
                if outer.cell is not None:
                    outer.cell.append(" " + table.text() + " ")
            else:
                self._emit_table(table)

    def _caption(self, table: _Table) -> str:
        caption = _SPACE.sub(" ", "".join(table.caption)).strip()
        if not caption:
            before = next((line for line in reversed(self._lines) if line.strip()), "")
            if _CAPTION.match(before) and len(before) <= _CAPTION_CHARS:
                caption = before
        if not caption and not table.summary.lower().startswith("navigation"):
            caption = table.summary
        return caption[:_CAPTION_CHARS]

    def _emit_table(self, table: _Table) -> None:
        header_rows = table.header_rows()
        if self._hide:  # a table inside a hidden element
            self._end_section()
            start = len(self.sections)
            self._emit_rows(table, header_rows)
            self._end_section()
            self.sections[start:] = flagged(self.sections[start:])
        else:
            self._emit_rows(table, header_rows)

    def _emit_rows(self, table: _Table, header_rows: int) -> None:
        if not header_rows:  # a layout table: its rows as lines, as before
            for r, row in enumerate(table.rows):
                cells = (c for n, c in enumerate(row) if c and (r, n) not in table.copies)
                self._lines.append(" | ".join(cells))
            self._end_paragraph()
            return
        caption = self._caption(table)
        records = row_records(table.rows, header_rows)
        if fits_inline(records):  # a small table stays with the prose that explains it
            if caption and caption not in self._lines:
                self._lines.append(caption)
            self._lines.extend(records)
            self._end_paragraph()
            return
        self._drop_bare_heading()
        self._end_section()
        prefix = tuple(t for _, t in self._path)
        if caption and caption not in prefix:
            prefix = (*prefix, caption)
        self.sections.extend(table_sections(table.rows, header_rows, prefix))

    def _drop_bare_heading(self) -> None:
        """Drop the current heading when nothing follows it yet: the table's row groups
        carry it, and alone it would be merged into the section before as a stray line."""
        body = [line for line in self._lines if line.strip()]
        if self._path and body == [self._path[-1][1]]:
            self._lines = []

    def _start_block(self, tag: str) -> None:
        if tag in _HEADINGS:
            if self._heading_level is None:
                self._end_section()
                self._heading_level = _HEADINGS[tag]
                self._heading_parts = []
        elif tag == "pre":
            self._end_paragraph()
            if not self._pre:
                self._pre_start = len(self._lines)
            self._pre += 1
        elif tag in _PARAGRAPH:
            self._end_paragraph()
        elif tag in _LINE:
            self._end_line()
        elif tag in _CELLS and self._has_text:
            self._inline.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._in_title:
            self._in_title = False
            title = _SPACE.sub(" ", "".join(self._title_parts)).strip()
            self._title_parts = []
            if title and self.title is None:
                self.title = title
            return
        if tag in _SKIP:
            self._close_skip(tag)
            return
        if self._skip:
            return
        if self._tables:
            self._table_end(tag)
            return
        self._end_block(tag)
        self._hide_end(tag)

    def _end_block(self, tag: str) -> None:
        if tag in _HEADINGS and self._heading_level is not None:
            text = _SPACE.sub(" ", "".join(self._heading_parts)).strip()
            level = self._heading_level
            self._heading_level = None
            if text:
                while self._path and self._path[-1][0] >= level:
                    self._path.pop()
                self._path.append((level, text))
                self._lines.append(text)
                self._lines.append("")
        elif tag == "pre" and self._pre:
            self._end_line()
            self._pre -= 1
            if not self._pre:  # drop blank lines at either end of the block
                block = self._lines[self._pre_start :]
                while block and not block[-1].strip():
                    block.pop()
                while block and not block[0].strip():
                    block.pop(0)
                self._lines[self._pre_start :] = block
            self._end_paragraph()
        elif tag in _PARAGRAPH:
            self._end_paragraph()
        elif tag in _LINE:
            self._end_line()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title_parts.append(data)
            return
        if self._skip:
            return
        if self._tables:
            table = self._tables[-1]
            if table.in_caption:
                table.caption.append(data)
            elif table.cell is not None:
                table.cell.append(data)
            return
        if self._heading_level is not None:
            self._heading_parts.append(data)
            return
        if self._pre:
            for n, piece in enumerate(data.split("\n")):
                if n:
                    self._end_line()
                self._inline.append(piece)
        else:
            self._inline.append(data)
        self._has_text = self._has_text or not data.isspace()

    def _close_skip(self, tag: str) -> None:
        if tag in self._skip:
            while self._skip:
                if self._skip.pop() == tag:
                    break

    def finish(self) -> None:
        """Flush what is left after ``close()``."""
        self._in_title = False
        while self._tables:  # an unclosed table ends with the file
            self._table_end("table")
        if self._heading_level is not None:  # unclosed heading: keep its text as body
            self._inline.extend(self._heading_parts)
            self._heading_level = None
        self._end_section()


def parse_bytes(data: bytes, name: str) -> LoadedDocument:
    """Decode HTML (honouring a declared charset) and extract its visible text."""
    text, encoding = decode_text(data, name, hint=declared_charset(data))
    parser = _TextExtractor()
    try:
        parser.feed(text)
        parser.close()
    except Exception as exc:  # HTMLParser is lenient, but never let a bad file escape
        raise LoaderError(f"{name} is not readable HTML ({detail(exc)}): re-save it.") from exc
    parser.finish()
    sections = [
        part
        for section in parser.sections
        for part in ([section] if section.kind == "entry" else split_entries(section))
    ]
    return LoadedDocument(loader=NAME, sections=sections, title=parser.title, encoding=encoding)
