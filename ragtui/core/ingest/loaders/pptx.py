"""PowerPoint loader (.pptx, Office Open XML): one section per slide, headed
``slide 7 · Its title``, with the slide's speaker notes under it (``Notes: …``).

Slides are read in the presentation's order and numbered as PowerPoint numbers them.
A slide's text frames come title first, then in reading order (top to bottom, left to
right; placeholders that keep their layout's position right after the title); tables
are read a row per line. A hidden slide (which a slide show skips) and a hidden shape
are read into sections of their own flagged ``hidden``, under the slide's heading.
"""

from __future__ import annotations

import zipfile
from xml.etree import ElementTree

from ragtui.core.ingest.document import LoadedDocument, Section
from ragtui.core.ingest.loaders._office import (
    Broken,
    Budget,
    core_title,
    local,
    optional_xml,
    read_archive,
    rel_id,
    relationships,
    squeeze,
    xml,
)

NAME = "pptx"
SUFFIXES = frozenset({".pptx", ".pptm"})

_PRESENTATION = "ppt/presentation.xml"
_TITLES = frozenset({"title", "ctrTitle"})
_NOT_NOTES = frozenset({"sldImg", "sldNum", "hdr", "ftr", "dt"})
_TITLE_CHARS = 80


def paragraph_text(paragraph: ElementTree.Element) -> str:
    """An ``a:p``'s runs and fields, with its line breaks."""
    parts: list[str] = []
    for element in paragraph.iter():
        tag = local(element.tag)
        if tag == "t":
            parts.append(element.text or "")
        elif tag == "br":
            parts.append("\n")
    return "\n".join(" ".join(line.split()) for line in "".join(parts).split("\n")).strip()


def _frame_text(body: ElementTree.Element) -> str:
    lines = (paragraph_text(p) for p in body if local(p.tag) == "p")
    return "\n".join(line for line in lines if line)


def _table_text(table: ElementTree.Element) -> str:
    rows = []
    for row in table.iter():
        if local(row.tag) != "tr":
            continue
        cells = [
            " ".join(_frame_text(tc).split()) for tc in row.iter() if local(tc.tag) == "txBody"
        ]
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


class _Shape:
    """A text-bearing shape: its placeholder type, position (EMU) and text."""

    def __init__(
        self, kind: str | None, where: tuple[int, int] | None, text: str, hidden: bool = False
    ) -> None:
        self.kind, self.where, self.text, self.hidden = kind, where, text, hidden


def _hidden_shape(shape: ElementTree.Element) -> bool:
    """Is the shape's ``cNvPr`` marked ``hidden`` (Selection pane, eye closed)?"""
    for element in shape.iter():
        if local(element.tag) == "cNvPr":
            return element.get("hidden") in ("1", "true")
    return False


def _placeholder(shape: ElementTree.Element) -> str | None:
    for element in shape.iter():
        if local(element.tag) == "ph":
            return element.get("type", "body")
        if local(element.tag) in ("txBody", "spPr", "grpSpPr"):
            break
    return None


def _position(shape: ElementTree.Element) -> tuple[int, int] | None:
    for element in shape.iter():
        if local(element.tag) == "off":
            x, y = element.get("x", ""), element.get("y", "")
            if x.lstrip("-").isdigit() and y.lstrip("-").isdigit():
                return int(y), int(x)
            return None
        if local(element.tag) in ("txBody", "tbl"):
            break
    return None


def _shapes(tree: ElementTree.Element, out: list[_Shape], outer: tuple[int, int] | None) -> None:
    """The text shapes under ``tree`` (a shape tree or group), in document order; a shape
    in a group is placed where its group is."""
    for shape in tree:
        tag = local(shape.tag)
        if tag == "AlternateContent":  # the first choice the writer offers, not its fallback
            choice = next(iter(shape), None)
            if choice is not None:
                _shapes(choice, out, outer)
        elif tag == "grpSp":
            _shapes(shape, out, outer or _position(shape))
        elif tag == "sp":
            body = next((e for e in shape if local(e.tag) == "txBody"), None)
            text = _frame_text(body) if body is not None else ""
            if text:
                where = outer or _position(shape)
                out.append(_Shape(_placeholder(shape), where, text, _hidden_shape(shape)))
        elif tag == "graphicFrame":
            text = "\n\n".join(
                _table_text(t) for t in shape.iter() if local(t.tag) == "tbl"
            ).strip()
            if text:
                out.append(_Shape(None, outer or _position(shape), text, _hidden_shape(shape)))


def _spread(root: ElementTree.Element) -> list[_Shape]:
    tree = next((e for e in root.iter() if local(e.tag) == "spTree"), None)
    found: list[_Shape] = []
    if tree is not None:
        _shapes(tree, found, None)
    return found


def _reading_order(shapes: list[_Shape]) -> list[_Shape]:
    def key(item: tuple[int, _Shape]) -> tuple[int, int, int, int]:
        index, shape = item
        y, x = shape.where if shape.where is not None else (-1, -1)
        return (0 if shape.kind in _TITLES else 1, y, x, index)

    return [shape for _, shape in sorted(enumerate(shapes), key=key)]


def _notes(archive: zipfile.ZipFile, member: str | None) -> str:
    root = optional_xml(archive, member) if member else None
    if root is None:
        return ""
    texts = [s.text for s in _spread(root) if s.kind is not None and s.kind not in _NOT_NOTES]
    return "\n".join(texts)


def _read(archive: zipfile.ZipFile, budget: Budget) -> LoadedDocument:
    presentation = xml(archive, _PRESENTATION)
    rels = relationships(archive, _PRESENTATION)
    slides = [
        rels[rid][1]
        for element in presentation.iter()
        if local(element.tag) == "sldId" and (rid := rel_id(element) or "") in rels
    ]
    sections: list[Section] = []
    for number, member in enumerate(slides, 1):
        root = xml(archive, member)
        hidden_slide = root.get("show") in ("0", "false")
        shapes = _reading_order(_spread(root))
        title = next((squeeze(s.text) for s in shapes if s.kind in _TITLES), "")
        if len(title) > _TITLE_CHARS:
            title = title[:_TITLE_CHARS].rsplit(" ", 1)[0] + "…"
        notes_part = next(
            (p for k, p in relationships(archive, member).values() if k == "notesSlide"), None
        )
        notes = _notes(archive, notes_part)
        blocks = [s.text for s in shapes if not s.hidden]
        if notes:
            blocks.append(f"Notes: {notes}")
        heading = (f"slide {number} · {title}" if title else f"slide {number}",)
        for text, hidden in (
            (budget.spend("\n\n".join(blocks)), hidden_slide),
            (budget.spend("\n\n".join(s.text for s in shapes if s.hidden)), True),
        ):
            if text.strip():
                sections.append(Section(text=text, heading=heading, hidden=hidden))
    if not slides and "ppt/slides/slide1.xml" in archive.NameToInfo:
        raise Broken(f"{_PRESENTATION} lists no slides")
    return LoadedDocument(
        loader=NAME, sections=sections, title=core_title(archive, "docProps/core.xml")
    )


def parse_bytes(data: bytes, name: str, *, max_bytes: int | None = None) -> LoadedDocument:
    """Read a ``.pptx``. A presentation that unpacks past ``max_bytes`` (a zip bomb) is
    refused before anything is inflated."""
    return read_archive(
        data,
        name,
        kind="PowerPoint presentation",
        fix="open it in PowerPoint or LibreOffice and save it again as .pptx",
        max_bytes=max_bytes,
        read=_read,
    )
