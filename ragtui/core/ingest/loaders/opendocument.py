"""OpenDocument loader (LibreOffice's .odt, .ods and .odp), from the package's content.xml.

- Text documents (.odt): sections at headings (``text:h``, nested by outline level, as the
  heading path); paragraphs, list items (``- item``) and tables (a row per line, cells
  joined with `` | ``). Tracked deletions and comments are left out; hidden text (a
  paragraph, span or section whose style or ``text:display`` is ``none``) is read into
  sections of its own flagged ``hidden``.
- Spreadsheets (.ods): each visible sheet's rows as ``column: value`` lines, as for Excel,
  headed ``Sheet name · rows 12–40``. A run of repeated identical rows is read once, as
  ``rows 5–104``; repeated cells are spelled out up to Excel's 16,384 columns, and all the
  text is counted against ``ingest.max_file_mb``, so a small file that repeats one cell a
  billion times is refused rather than filling memory.
- Presentations (.odp): one section per slide, ``slide 7 · Its title``, the title first
  and then the other text frames in document order, with the speaker notes under it
  (``Notes: …``). Hidden slides, sheets and rows are read into sections of their own
  flagged ``hidden``.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import PurePath
from xml.etree import ElementTree

from ragtui.core.ingest.document import LoadedDocument, Section
from ragtui.core.ingest.loaders._hidden import flagged, sheet_sections
from ragtui.core.ingest.loaders._office import (
    Broken,
    Budget,
    core_title,
    local,
    optional_xml,
    read_archive,
    sheet_label,
    squeeze,
    xml,
)
from ragtui.core.ingest.loaders._outline import Outline

NAME = "opendocument"
SUFFIXES = frozenset({".odt", ".ods", ".odp"})

_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
_STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_PRESENTATION = "{urn:oasis:names:tc:opendocument:xmlns:presentation:1.0}"
_MAX_COLUMNS = 16_384
_TITLE_CHARS = 80
#: Inline elements whose text a reader does not see (or sees elsewhere).
_SKIP = frozenset(
    {
        f"{_OFFICE}annotation",
        f"{_OFFICE}annotation-end",
        f"{_TEXT}tracked-changes",
        f"{_TEXT}note-citation",
        f"{_TEXT}hidden-text",
        f"{_TEXT}hidden-paragraph",
        f"{_TEXT}sequence-decls",
        f"{_TEXT}variable-decls",
        f"{_TEXT}user-field-decls",
        f"{_TEXT}table-of-content",  # repeats the headings
    }
)
_HIDDEN_TEXT = f"{_TEXT}hidden-text"
_DEFAULT_PAGE_NAME = re.compile(r"^(?:page|slide|folie|diapositive)\s*\d+$", re.IGNORECASE)


def inline_text(
    element: ElementTree.Element,
    hidden_styles: frozenset[str] = frozenset(),
    hidden: list[str] | None = None,
) -> str:
    """The text of a paragraph or heading as a reader sees it: ``text:s`` spaces, tabs
    and line breaks spelled out; comments, footnote marks and tracked deletions left out
    (a footnote's own text is kept where it is anchored). The text of a span styled with
    one of ``hidden_styles`` goes to ``hidden`` instead."""
    parts: list[str] = []

    def walk(node: ElementTree.Element) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if child.tag not in _SKIP:
                tag = child.tag
                if tag == f"{_TEXT}s":
                    count = child.get(f"{_TEXT}c", "1")
                    parts.append(" " * min(int(count) if count.isdigit() else 1, 100))
                elif tag == f"{_TEXT}tab":
                    parts.append("\t")
                elif tag == f"{_TEXT}line-break":
                    parts.append("\n")
                elif tag in (f"{_TEXT}p", f"{_TEXT}h"):  # inside a footnote body
                    parts.append(" ")
                    walk(child)
                elif hidden is not None and child.get(f"{_TEXT}style-name") in hidden_styles:
                    hidden.append(inline_text(child))
                else:
                    walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(element)
    return "\n".join(" ".join(line.split()) for line in "".join(parts).split("\n")).strip()


def _table_lines(table: ElementTree.Element) -> list[str]:
    """A text table's rows, cells joined with `` | `` (repeats not spelled out)."""
    lines = []
    for row in table.iter(f"{_TABLE}table-row"):
        cells = [
            " ".join(_blocks_text(cell).split())
            for cell in row
            if cell.tag == f"{_TABLE}table-cell"
        ]
        if any(cells):
            lines.append(" | ".join(cells))
    return lines


def _blocks_text(container: ElementTree.Element) -> str:
    """Paragraphs, headings and lists under ``container`` (a cell, a frame), a line each."""
    lines: list[str] = []
    for element in container:
        tag = element.tag
        if tag in (f"{_TEXT}p", f"{_TEXT}h"):
            lines.append(inline_text(element))
        elif tag == f"{_TEXT}list":
            lines.extend(_list_items(element))
        elif tag == f"{_TABLE}table":
            lines.extend(_table_lines(element))
        elif tag not in _SKIP:
            inner = _blocks_text(element)
            if inner:
                lines.append(inner)
    return "\n".join(line for line in lines if line)


def _list_items(listing: ElementTree.Element, depth: int = 0) -> list[str]:
    lines: list[str] = []
    for item in listing:
        if item.tag not in (f"{_TEXT}list-item", f"{_TEXT}list-header"):
            continue
        for block in item:
            if block.tag == f"{_TEXT}list":
                lines.extend(_list_items(block, depth + 1))
            elif block.tag in (f"{_TEXT}p", f"{_TEXT}h"):
                text = inline_text(block)
                if text:
                    lines.append(f"{'  ' * depth}- {text}")
    return lines


class _Builder(Outline):
    """The text document's blocks under its heading path, its text counted by ``budget``."""

    def __init__(self, budget: Budget, hidden_styles: frozenset[str]) -> None:
        super().__init__(budget.spend)
        self.hidden_styles = hidden_styles

    def _conceals(self, element: ElementTree.Element) -> bool:
        """Is ``element`` (a paragraph or a section) hidden as a whole?"""
        return (
            element.get(f"{_TEXT}display") == "none"
            or element.get(f"{_TEXT}style-name") in self.hidden_styles
            or any(child.tag == f"{_TEXT}hidden-paragraph" for child in element)
        )

    def walk(self, container: ElementTree.Element) -> None:
        for element in container:
            tag = element.tag
            if tag in (f"{_TEXT}p", f"{_TEXT}h", f"{_TEXT}section") and self._conceals(element):
                text = _blocks_text(element) if tag == f"{_TEXT}section" else inline_text(element)
                if text:
                    self.hidden(text)
            elif tag == f"{_TEXT}h":
                text = inline_text(element)
                level = element.get(f"{_TEXT}outline-level", "1")
                if text:
                    self.heading(int(level) if level.isdigit() else 1, " ".join(text.split()))
            elif tag == f"{_TEXT}p":
                spans: list[str] = []
                text = inline_text(element, self.hidden_styles, spans)
                fields = [f.get(f"{_TEXT}string-value", "") for f in element.iter(_HIDDEN_TEXT)]
                if text:
                    self.blocks.append(text)
                concealed = " ".join(" ".join([*spans, *fields]).split())
                if concealed:
                    self.hidden(concealed)
            elif tag == f"{_TEXT}list":
                lines = _list_items(element)
                if lines:
                    self.blocks.append("\n".join(lines))
            elif tag == f"{_TABLE}table":
                lines = _table_lines(element)
                if lines:
                    self.blocks.append("\n".join(lines))
            elif tag not in _SKIP:  # sections, frames, indexes, …
                self.walk(element)


def _hidden_styles(root: ElementTree.Element) -> frozenset[str]:
    """Automatic styles that hide a sheet (``table:display="false"``), a slide
    (``presentation:visibility="hidden"``) or text (``text:display="none"``)."""
    hidden = set()
    for style in root.iter(f"{_STYLE}style"):
        for props in style:
            if (
                props.get(f"{_TABLE}display") == "false"
                or props.get(f"{_PRESENTATION}visibility") == "hidden"
                or props.get(f"{_TEXT}display") == "none"
            ):
                hidden.add(style.get(f"{_STYLE}name", ""))
    return frozenset(hidden)


def _cell_value(cell: ElementTree.Element) -> str:
    lines = [inline_text(p) for p in cell if p.tag in (f"{_TEXT}p", f"{_TEXT}h")]
    text = "\n".join(line for line in lines if line)
    if text:
        return text
    for attribute in ("value", "date-value", "time-value", "boolean-value", "string-value"):
        value = cell.get(f"{_OFFICE}{attribute}")
        if value:
            return value
    return ""


def _repeat(element: ElementTree.Element, attribute: str) -> int:
    value = element.get(f"{_TABLE}{attribute}", "1")
    return max(int(value), 1) if value.isdigit() else 1


def _sheet_rows(
    table: ElementTree.Element, budget: Budget, hidden_rows: set[int]
) -> list[tuple[int, int, list[str]]]:
    """A sheet's non-empty rows as (first, last row number, cells); an empty run of rows
    only moves the count on, however many it repeats. Hidden rows' numbers are added to
    ``hidden_rows``."""
    found: list[tuple[int, int, list[str]]] = []
    number = 0
    for row in table.iter(f"{_TABLE}table-row"):
        repeat = _repeat(row, "number-rows-repeated")
        if row.get(f"{_TABLE}visibility") in ("collapse", "filter"):
            hidden_rows.add(number + 1)
        cells: list[str] = []
        column = 0
        for cell in row:
            if cell.tag not in (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell"):
                continue
            times = _repeat(cell, "number-columns-repeated")
            value = _cell_value(cell)
            if value and column < _MAX_COLUMNS:
                cells.extend([""] * (column - len(cells)))
                for _ in range(min(times, _MAX_COLUMNS - column)):
                    cells.append(budget.spend(value))
            column += times
        if any(cell.strip() for cell in cells):
            found.append((number + 1, number + repeat, cells))
        number += repeat
    return found


def _spreadsheet(
    body: ElementTree.Element, hidden: frozenset[str], budget: Budget
) -> list[Section]:
    sections: list[Section] = []
    for table in body.iter(f"{_TABLE}table"):
        name = " ".join((table.get(f"{_TABLE}name") or "Sheet").split())
        hidden_rows: set[int] = set()
        rows = _sheet_rows(table, budget, hidden_rows)
        found = sheet_sections(rows, hidden_rows, sheet_label(name))
        hidden_sheet = table.get(f"{_TABLE}style-name") in hidden
        sections.extend(flagged(found) if hidden_sheet else found)
    return sections


def _frame_texts(page: ElementTree.Element) -> tuple[str, list[str]]:
    """A slide's title and the text of its frames, the title first."""
    title = ""
    texts: list[str] = []
    for shape in page:
        if shape.tag == f"{_PRESENTATION}notes" or shape.tag in _SKIP:
            continue
        text = _blocks_text(shape).strip()
        if not text:
            continue
        if shape.get(f"{_PRESENTATION}class") == "title" and not title:
            title = squeeze(text)
            texts.insert(0, text)
        else:
            texts.append(text)
    return title, texts


def _presentation(
    body: ElementTree.Element, hidden: frozenset[str], budget: Budget
) -> list[Section]:
    sections: list[Section] = []
    for number, page in enumerate(body.iter(f"{_DRAW}page"), 1):
        title, texts = _frame_texts(page)
        if not title:
            name = squeeze(page.get(f"{_DRAW}name", ""))
            title = "" if _DEFAULT_PAGE_NAME.match(name) else name
        if len(title) > _TITLE_CHARS:
            title = title[:_TITLE_CHARS].rsplit(" ", 1)[0] + "…"
        notes = next((n for n in page if n.tag == f"{_PRESENTATION}notes"), None)
        if notes is not None:
            note_texts = [
                _blocks_text(frame)
                for frame in notes
                if frame.get(f"{_PRESENTATION}class") == "notes"
            ]
            note = "\n".join(t for t in note_texts if t.strip())
            if note:
                texts.append(f"Notes: {note}")
        text = budget.spend("\n\n".join(texts))
        if text.strip():
            heading = f"slide {number} · {title}" if title else f"slide {number}"
            concealed = page.get(f"{_DRAW}style-name") in hidden
            sections.append(Section(text=text, heading=(heading,), hidden=concealed))
    return sections


def _encrypted(archive: zipfile.ZipFile) -> bool:
    manifest = optional_xml(archive, "META-INF/manifest.xml")
    return manifest is not None and any(local(e.tag) == "encryption-data" for e in manifest.iter())


def _read(archive: zipfile.ZipFile, budget: Budget) -> LoadedDocument:
    if _encrypted(archive):
        raise Broken("it is password-protected")
    root = xml(archive, "content.xml")
    body = next((e for e in root if e.tag == f"{_OFFICE}body"), None)
    kind = next(iter(body), None) if body is not None else None
    if kind is None:
        raise Broken("content.xml has no document body")
    hidden = _hidden_styles(root)
    if kind.tag == f"{_OFFICE}spreadsheet":
        sections = _spreadsheet(kind, hidden, budget)
    elif kind.tag == f"{_OFFICE}presentation":
        sections = _presentation(kind, hidden, budget)
    else:  # text, and drawings' text frames the same way
        builder = _Builder(budget, hidden)
        builder.walk(kind)
        builder.flush()
        sections = builder.sections
    return LoadedDocument(loader=NAME, sections=sections, title=core_title(archive, "meta.xml"))


def parse_bytes(data: bytes, name: str, *, max_bytes: int | None = None) -> LoadedDocument:
    """Read an .odt, .ods or .odp. A document that unpacks, or expands as text, past
    ``max_bytes`` (a zip bomb) is refused."""
    suffix = PurePath(name).suffix.lower()
    kind, extension = {
        ".ods": ("OpenDocument spreadsheet", "ods"),
        ".odp": ("OpenDocument presentation", "odp"),
    }.get(suffix, ("OpenDocument text", "odt"))
    return read_archive(
        data,
        name,
        kind=kind,
        fix=f"open it in LibreOffice and save it again as .{extension}",
        max_bytes=max_bytes,
        read=_read,
    )
