"""Word loader on ``python-docx``: paragraphs and tables, sections at heading styles.

Runs a reader does not see (hidden ``w:vanish``, white on the default background, a font
of 1 pt or less, set on the run or through its styles) become sections flagged ``hidden``.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import TYPE_CHECKING

from ragtui.core.ingest.document import LoadedDocument, LoaderError
from ragtui.core.ingest.loaders._docx_hidden import HiddenRuns
from ragtui.core.ingest.loaders._errors import detail
from ragtui.core.ingest.loaders._outline import Outline
from ragtui.units import format_bytes

if TYPE_CHECKING:  # python-docx loads on the first Word file, not at start-up
    from docx.oxml.xmlchemy import BaseOxmlElement
    from docx.styles.style import CharacterStyle
    from docx.table import Table
    from docx.text.paragraph import Paragraph

NAME = "docx"
SUFFIXES = frozenset({".docx"})

_HEADING_STYLE = re.compile(r"^head(?:ing)?\s*([1-9]|[A-F])$", re.IGNORECASE)
_STYLE_DEPTH = 6
_W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _outline_level(element: BaseOxmlElement | None) -> int | None:
    """Heading level (1-based) from a ``w:outlineLvl`` under ``element``'s ``w:pPr``."""
    if element is None:
        return None
    ppr = element.find(f"{_W_NS}pPr")
    level = ppr.find(f"{_W_NS}outlineLvl") if ppr is not None else None
    value = level.get(f"{_W_NS}val") if level is not None else None
    if value is None or not value.isdigit() or int(value) > 8:  # 9 means body text
        return None
    return int(value) + 1


def _style_level(style: CharacterStyle) -> int | None:
    name = (style.name or "").strip()
    if name.lower() == "title":
        return 0
    match = _HEADING_STYLE.match(name)
    if match:
        value = match.group(1).upper()
        return int(value) if value.isdigit() else ord(value) - ord("A") + 1
    return _outline_level(style.element)


def _heading_level(paragraph: Paragraph) -> int | None:
    """0 for ``Title``, N for ``Heading N`` (also "Head A".., an outline level or a style
    based on one of these), else None."""
    try:
        level = _outline_level(paragraph._p)
        style: CharacterStyle | None = paragraph.style
        for _ in range(_STYLE_DEPTH):
            if level is not None or style is None:
                break
            level = _style_level(style)
            style = style.base_style
    except Exception:  # a dangling style reference is not worth failing over
        return None
    return level


def _table_lines(table: Table) -> list[str]:
    """One line per row, cells joined with `` | `` (merged cells only once)."""
    lines: list[str] = []
    try:
        for row in table.rows:
            cells: list[str] = []
            previous: object = None
            for cell in row.cells:
                if cell._tc is previous:  # a horizontally merged cell repeats its element
                    continue
                previous = cell._tc
                cells.append(" ".join(cell.text.split()))
            if any(cells):
                lines.append(" | ".join(cells))
    except Exception:  # irregular grids: fall back to the raw text of each row
        lines = []
        for tr in table._tbl.iter(f"{_W_NS}tr"):
            text = " ".join("".join(t.text or "" for t in tr.iter(f"{_W_NS}t")).split())
            if text:
                lines.append(text)
    return lines


def _text_boxes(paragraph: Paragraph) -> list[str]:
    """Text of text boxes anchored in ``paragraph`` (Word stores each twice: keep one)."""
    boxes: list[str] = []
    for box in paragraph._p.iter(f"{_W_NS}txbxContent"):
        lines = ("".join(t.text or "" for t in p.iter(f"{_W_NS}t")) for p in box.iter(f"{_W_NS}p"))
        text = "\n".join(line.strip() for line in lines if line.strip())
        if text and text not in boxes:
            boxes.append(text)
    return boxes


def _extract(data: bytes) -> LoadedDocument:
    import docx
    from docx.text.paragraph import Paragraph

    document = docx.Document(io.BytesIO(data))
    builder = Outline()
    runs = HiddenRuns(document)
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            text, hidden = runs.split(block)
            level = _heading_level(block) if text else None
            if level is not None:
                builder.heading(level, " ".join(text.split()))
            elif text:
                builder.blocks.append(text)
            if hidden:
                builder.hidden(hidden)
            builder.blocks.extend(_text_boxes(block))
        else:
            rows = _table_lines(block)
            if rows:
                builder.blocks.append("\n".join(rows))
    builder.flush()
    try:
        title = (document.core_properties.title or "").strip() or builder.first_title
    except Exception:
        title = builder.first_title
    return LoadedDocument(loader=NAME, sections=builder.sections, title=title)


def _is_strict_ooxml(data: bytes) -> bool:
    """True for ISO 29500 Strict documents, which python-docx does not understand."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return b"purl.oclc.org/ooxml" in archive.read("_rels/.rels")
    except Exception:
        return False


def _unpacked_size(data: bytes) -> int | None:
    """The total size of the archive's members once decompressed (None if not a zip).

    The sizes are the ones the archive declares; :mod:`zipfile` never inflates a member
    past its declared size (it fails the CRC check instead), so they bound the memory
    python-docx, which reads every part, can take."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(info.file_size for info in archive.infolist())
    except Exception:
        return None


def parse_bytes(data: bytes, name: str, *, max_bytes: int | None = None) -> LoadedDocument:
    """Read a .docx; any failure to open or walk it becomes a LoaderError. With
    ``max_bytes``, a document that unpacks to more than that (a zip bomb) is refused
    before python-docx inflates it."""
    unpacked = _unpacked_size(data) if max_bytes is not None else None
    if unpacked is not None and max_bytes is not None and unpacked > max_bytes:
        raise LoaderError(
            f"{name} unpacks to {format_bytes(unpacked)}, over the {format_bytes(max_bytes)} limit "
            "set by ingest.max_file_mb: raise ingest.max_file_mb to read it."
        )
    try:
        return _extract(data)
    except Exception as exc:  # zip, XML and python-docx errors alike
        if _is_strict_ooxml(data):
            raise LoaderError(
                f"{name} is saved as Strict Open XML, which ragtui cannot read: re-save it in "
                "Word as a standard .docx."
            ) from exc
        raise LoaderError(
            f"{name} is not a readable Word document ({detail(exc)}): re-save it as .docx."
        ) from exc
