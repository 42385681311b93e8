"""Excel loader (.xlsx, Office Open XML): each visible sheet's rows as ``column: value``
lines, packed into groups headed ``Sheet name · rows 12–40``.

Sheets are read in the workbook's order, named as its tabs are. As for CSV, a first row
that looks like a header names the values of every row below it; rows are numbered as
Excel numbers them. Cells keep what Excel stores: shared and inline strings, numbers
(``3``, ``0.25``), ``TRUE``/``FALSE`` and formula results; a number whose cell is
formatted as a date or time is shown as one (``2024-03-05``, ``2024-03-05 09:30``,
``09:30:00``). Hidden and very hidden sheets, and hidden rows, are read into sections
of their own flagged ``hidden`` (a reader of the workbook does not see them); hidden
columns are read as visible.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timedelta
from xml.etree import ElementTree

from ragtui.core.ingest.document import LoadedDocument
from ragtui.core.ingest.loaders._errors import detail
from ragtui.core.ingest.loaders._hidden import flagged, sheet_sections
from ragtui.core.ingest.loaders._office import (
    Broken,
    Budget,
    core_title,
    local,
    optional_xml,
    read_archive,
    rel_id,
    relationships,
    sheet_label,
    xml,
)

NAME = "xlsx"
SUFFIXES = frozenset({".xlsx", ".xlsm"})

_WORKBOOK = "xl/workbook.xml"
_MAX_COLUMNS = 16_384  # column XFD, Excel's last
_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?\d*$")
_DATE_IDS = frozenset(range(14, 18)) | {22} | frozenset(range(27, 37)) | frozenset(range(50, 59))
_TIME_IDS = frozenset(range(18, 22)) | frozenset(range(45, 48))
_LITERALS = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')


def _column(ref: str | None, previous: int) -> int:
    """0-based column of a cell reference (``C7`` → 2); the next column when absent."""
    match = _REF.match(ref or "")
    if not match:
        return previous + 1
    number = 0
    for letter in match.group(1).upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number - 1


def _shared_strings(archive: zipfile.ZipFile, path: str | None) -> list[str]:
    root = optional_xml(archive, path) if path else None
    strings: list[str] = []
    for item in root if root is not None else ():
        if local(item.tag) != "si":
            continue
        parts = []
        for child in item:  # a plain <t>, or rich-text runs <r><t>; not phonetic <rPh>
            tag = local(child.tag)
            if tag == "t":
                parts.append(child.text or "")
            elif tag == "r":
                parts.extend(t.text or "" for t in child if local(t.tag) == "t")
        strings.append("".join(parts))
    return strings


def _date_kind(code: str) -> str | None:
    """``date``, ``time``, ``datetime`` or None for a number format code."""
    bare = _LITERALS.sub("", code).lower()
    has_date = "d" in bare or "y" in bare
    has_time = "h" in bare or "s" in bare
    if has_date and has_time:
        return "datetime"
    return "date" if has_date else "time" if has_time else None


def _date_styles(archive: zipfile.ZipFile, path: str | None) -> dict[int, str]:
    """Cell style index → date kind, for the styles that show numbers as dates or times."""
    root = optional_xml(archive, path) if path else None
    if root is None:
        return {}
    custom: dict[int, str] = {}
    for element in root.iter():
        if local(element.tag) == "numFmt":
            kind = _date_kind(element.get("formatCode", ""))
            if kind and (element.get("numFmtId") or "").isdigit():
                custom[int(element.get("numFmtId", ""))] = kind
    kinds: dict[int, str] = {}
    cell_xfs = next((e for e in root if local(e.tag) == "cellXfs"), None)
    for index, xf in enumerate(cell_xfs if cell_xfs is not None else ()):
        number = xf.get("numFmtId", "0")
        fmt = int(number) if number.isdigit() else 0
        kind = custom.get(fmt) or (
            "date" if fmt in _DATE_IDS else "time" if fmt in _TIME_IDS else None
        )
        if fmt == 22:
            kind = "datetime"
        if kind:
            kinds[index] = kind
    return kinds


def _number(value: str) -> str:
    try:
        number = float(value)
    except ValueError:
        return value
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return f"{number:.15g}"


def _as_date(value: str, kind: str, epoch: datetime) -> str:
    try:
        moment = epoch + timedelta(days=float(value))
    except (ValueError, OverflowError):
        return _number(value)
    moment = moment.replace(microsecond=0) + timedelta(seconds=round(moment.microsecond / 1e6))
    if kind == "date":
        return moment.strftime("%Y-%m-%d")
    if kind == "time":
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%Y-%m-%d %H:%M")


class _Sheet:
    """Reads one worksheet's rows as (number, number, cells)."""

    def __init__(
        self, strings: list[str], dates: dict[int, str], epoch: datetime, budget: Budget
    ) -> None:
        self.strings, self.dates, self.epoch, self.budget = strings, dates, epoch, budget
        self.hidden_rows: set[int] = set()  # of the sheet last read

    def value(self, cell: ElementTree.Element) -> str:
        kind = cell.get("t", "n")
        children = {local(child.tag): child for child in cell}
        if kind == "inlineStr":
            box = children.get("is")
            return "".join(box.itertext()) if box is not None else ""
        raw = (children["v"].text or "") if "v" in children else ""
        if not raw:
            return ""
        if kind == "s":
            index = int(raw) if raw.strip().isdigit() else -1
            return self.strings[index] if 0 <= index < len(self.strings) else ""
        if kind == "b":
            return "TRUE" if raw.strip() == "1" else "FALSE"
        if kind in ("str", "e"):
            return raw
        style = cell.get("s", "0")
        date_kind = self.dates.get(int(style)) if style.isdigit() else None
        return _as_date(raw, date_kind, self.epoch) if date_kind else _number(raw)

    def rows(self, data: bytes, member: str) -> list[tuple[int, int, list[str]]]:
        if b"<!ENTITY" in data:
            raise Broken(f"{member} declares XML entities")
        found: list[tuple[int, int, list[str]]] = []
        number = 0
        self.hidden_rows = set()
        try:
            for _, element in ElementTree.iterparse(io.BytesIO(data)):
                if local(element.tag) != "row":
                    continue
                given = element.get("r", "")
                number = int(given) if given.isdigit() else number + 1
                if element.get("hidden") in ("1", "true"):
                    self.hidden_rows.add(number)
                cells: dict[int, str] = {}
                column = -1
                for cell in element:
                    if local(cell.tag) != "c":
                        continue
                    column = _column(cell.get("r"), column)
                    text = self.value(cell)
                    if text.strip() and column < _MAX_COLUMNS:
                        cells[column] = self.budget.spend(text)
                element.clear()
                if cells:
                    row = [""] * (max(cells) + 1)
                    for index, text in cells.items():
                        row[index] = text
                    found.append((number, number, row))
        except ElementTree.ParseError as exc:
            raise Broken(f"{member}: {detail(exc)}") from exc
        return found


def _read(archive: zipfile.ZipFile, budget: Budget) -> LoadedDocument:
    workbook = xml(archive, _WORKBOOK)
    rels = relationships(archive, _WORKBOOK)
    by_type = {kind: path for kind, path in rels.values()}
    epoch = datetime(1899, 12, 30)
    for element in workbook.iter():
        if local(element.tag) == "workbookPr" and element.get("date1904") in ("1", "true"):
            epoch = datetime(1904, 1, 1)
    sheet = _Sheet(
        _shared_strings(archive, by_type.get("sharedStrings")),
        _date_styles(archive, by_type.get("styles")),
        epoch,
        budget,
    )
    sections = []
    for element in workbook.iter():
        if local(element.tag) != "sheet":
            continue
        kind, member = rels.get(rel_id(element) or "", ("", ""))
        if kind != "worksheet":  # chart and dialog sheets hold no cells
            continue
        try:
            data = archive.read(member)
        except KeyError as exc:
            raise Broken(f"no {member}") from exc
        name = " ".join((element.get("name") or member.rsplit("/", 1)[-1]).split())
        found = sheet_sections(sheet.rows(data, member), sheet.hidden_rows, sheet_label(name))
        hidden_sheet = element.get("state") in ("hidden", "veryHidden")
        sections.extend(flagged(found) if hidden_sheet else found)
    return LoadedDocument(
        loader=NAME, sections=sections, title=core_title(archive, "docProps/core.xml")
    )


def parse_bytes(data: bytes, name: str, *, max_bytes: int | None = None) -> LoadedDocument:
    """Read an ``.xlsx``. A workbook that unpacks, or expands as text, past ``max_bytes``
    (a zip bomb) is refused."""
    return read_archive(
        data,
        name,
        kind="Excel workbook",
        fix="open it in Excel or LibreOffice and save it again as .xlsx",
        max_bytes=max_bytes,
        read=_read,
    )
