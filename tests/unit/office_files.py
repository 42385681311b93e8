"""Minimal office documents for the loaders' tests, written with zipfile and hand-written
XML (what Excel, PowerPoint and LibreOffice write, cut down to the parts ragtui reads).

Each builder takes its text from the caller, so the unit tests fill them with reference
prose and the integration test with its own phrases.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from xml.sax.saxutils import escape

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_P = "http://schemas.openxmlformats.org/presentationml/2006/main"
_CORE = (
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
    'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{}</dc:title>'
    "</cp:coreProperties>"
)
#: A cell: a str is a shared string, ("inline", s), ("bool", b), ("date", serial), a number.
Cell = object


def zipped(parts: dict[str, str | bytes], *, drop: Sequence[str] = ()) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in parts.items():
            if member not in drop:
                archive.writestr(member, data)
    return out.getvalue()


def _rels(targets: dict[str, tuple[str, str]]) -> str:
    items = "".join(
        f'<Relationship Id="{rid}" Type="{_DOC_REL}/{kind}" Target="{target}"/>'
        for rid, (kind, target) in targets.items()
    )
    return f'<Relationships xmlns="{_PKG_REL}">{items}</Relationships>'


def _column(n: int) -> str:
    letters = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def xlsx(
    sheets: Sequence[tuple[str, Sequence[Sequence[Cell]], str]],
    *,
    title: str = "",
    drop: Sequence[str] = (),
    extra: dict[str, str | bytes] | None = None,
) -> bytes:
    """A workbook of ``(name, rows, state)`` sheets; ``state`` is "" or "hidden"."""
    strings: list[str] = []
    parts: dict[str, str | bytes] = {}
    entries, rels = [], {}
    for number, (name, rows, state) in enumerate(sheets, 1):
        xml_rows = []
        for r, row in enumerate(rows, 1):
            cells = []
            for c, value in enumerate(row):
                ref = f"{_column(c)}{r}"
                if value is None or value == "":
                    continue
                if isinstance(value, str):  # stored once, however often it is used
                    if value not in strings:
                        strings.append(value)
                    cells.append(f'<c r="{ref}" t="s"><v>{strings.index(value)}</v></c>')
                elif isinstance(value, tuple) and value[0] == "inline":
                    cells.append(
                        f'<c r="{ref}" t="inlineStr"><is><t>{escape(value[1])}</t></is></c>'
                    )
                elif isinstance(value, tuple) and value[0] == "bool":
                    cells.append(f'<c r="{ref}" t="b"><v>{int(value[1])}</v></c>')
                elif isinstance(value, tuple) and value[0] == "date":
                    cells.append(f'<c r="{ref}" s="1"><v>{value[1]}</v></c>')
                else:
                    cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            xml_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
        parts[f"xl/worksheets/sheet{number}.xml"] = (
            f'<worksheet xmlns="{_MAIN}"><sheetData>{"".join(xml_rows)}</sheetData></worksheet>'
        )
        shown = f' state="{state}"' if state else ""
        entries.append(
            f'<sheet name="{escape(name)}" sheetId="{number}"{shown} r:id="rId{number}"/>'
        )
        rels[f"rId{number}"] = ("worksheet", f"worksheets/sheet{number}.xml")
    rels["rIdS"] = ("sharedStrings", "sharedStrings.xml")
    rels["rIdY"] = ("styles", "styles.xml")
    parts["xl/workbook.xml"] = (
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_REL}"><sheets>{"".join(entries)}</sheets>'
        "</workbook>"
    )
    parts["xl/_rels/workbook.xml.rels"] = _rels(rels)
    items = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
    parts["xl/sharedStrings.xml"] = f'<sst xmlns="{_MAIN}" count="{len(strings)}">{items}</sst>'
    parts["xl/styles.xml"] = (
        f'<styleSheet xmlns="{_MAIN}"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/>'
        "</cellXfs></styleSheet>"
    )
    parts["docProps/core.xml"] = _CORE.format(escape(title))
    parts.update(extra or {})
    return zipped(parts, drop=drop)


def _shape(
    text: Sequence[str], *, placeholder: str | None = None, at: tuple[int, int] | None = None
) -> str:
    ph = f'<p:ph type="{placeholder}"/>' if placeholder else ""
    xfrm = (
        f'<a:xfrm><a:off x="{at[1]}" y="{at[0]}"/><a:ext cx="100" cy="100"/></a:xfrm>' if at else ""
    )
    paragraphs = "".join(f"<a:p><a:r><a:t>{escape(line)}</a:t></a:r></a:p>" for line in text)
    return (
        f'<p:sp><p:nvSpPr><p:cNvPr id="2" name="s"/><p:cNvSpPr/><p:nvPr>{ph}</p:nvPr></p:nvSpPr>'
        f"<p:spPr>{xfrm}</p:spPr><p:txBody><a:bodyPr/>{paragraphs}</p:txBody></p:sp>"
    )


def _table(rows: Sequence[Sequence[str]]) -> str:
    body = "".join(
        "<a:tr>"
        + "".join(
            f"<a:tc><a:txBody><a:p><a:r><a:t>{escape(c)}</a:t></a:r></a:p></a:txBody></a:tc>"
            for c in row
        )
        + "</a:tr>"
        for row in rows
    )
    return (
        '<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="9" name="t"/></p:nvGraphicFramePr>'
        '<p:xfrm><a:off x="0" y="5000"/></p:xfrm><a:graphic><a:graphicData>'
        f"<a:tbl>{body}</a:tbl></a:graphicData></a:graphic></p:graphicFrame>"
    )


def pptx_slide(
    title: str | None,
    body: Sequence[str] = (),
    *,
    boxes: Sequence[tuple[tuple[int, int], str]] = (),
    table: Sequence[Sequence[str]] = (),
    hidden: bool = False,
) -> str:
    """A slide: a title placeholder, a body placeholder (no position of its own), text
    boxes at (y, x), listed bottom first, and a table."""
    shapes = [_shape(text=[text], at=at) for at, text in sorted(boxes, reverse=True)]
    if body:
        shapes.append(_shape(body, placeholder="body"))
    if table:
        shapes.append(_table(table))
    if title is not None:
        shapes.append(_shape([title], placeholder="title"))  # last in the file, read first
    show = ' show="0"' if hidden else ""
    return (
        f'<p:sld xmlns:a="{_A}" xmlns:p="{_P}" xmlns:r="{_DOC_REL}"{show}><p:cSld><p:spTree>'
        f"<p:nvGrpSpPr/><p:grpSpPr/>{''.join(shapes)}</p:spTree></p:cSld></p:sld>"
    )


def pptx(
    slides: Sequence[tuple[str, str | None]],
    *,
    title: str = "",
    drop: Sequence[str] = (),
) -> bytes:
    """A presentation of ``(slide XML, notes text or None)`` in order; the slide parts are
    numbered backwards, so only the presentation's list gives the order."""
    parts: dict[str, str | bytes] = {}
    ids, rels = [], {}
    count = len(slides)
    for index, (slide, notes) in enumerate(slides):
        number = count - index
        member = f"ppt/slides/slide{number}.xml"
        parts[member] = slide
        ids.append(f'<p:sldId id="{256 + index}" r:id="rId{number}"/>')
        rels[f"rId{number}"] = ("slide", f"slides/slide{number}.xml")
        if notes is not None:
            parts[f"ppt/notesSlides/notesSlide{number}.xml"] = (
                f'<p:notes xmlns:a="{_A}" xmlns:p="{_P}"><p:cSld><p:spTree><p:nvGrpSpPr/>'
                f"<p:grpSpPr/>{_shape(['1'], placeholder='sldNum')}"
                f"{_shape([notes], placeholder='body')}</p:spTree></p:cSld></p:notes>"
            )
            parts[f"ppt/slides/_rels/slide{number}.xml.rels"] = _rels(
                {"rId1": ("notesSlide", f"../notesSlides/notesSlide{number}.xml")}
            )
    parts["ppt/presentation.xml"] = (
        f'<p:presentation xmlns:p="{_P}" xmlns:r="{_DOC_REL}"><p:sldIdLst>{"".join(ids)}'
        "</p:sldIdLst></p:presentation>"
    )
    parts["ppt/_rels/presentation.xml.rels"] = _rels(rels)
    parts["docProps/core.xml"] = _CORE.format(escape(title))
    return zipped(parts, drop=drop)


_ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"'
)
_MIMETYPES = {
    "text": "application/vnd.oasis.opendocument.text",
    "spreadsheet": "application/vnd.oasis.opendocument.spreadsheet",
    "presentation": "application/vnd.oasis.opendocument.presentation",
}


def odf(
    kind: str,
    body: str,
    *,
    styles: str = "",
    title: str = "",
    drop: Sequence[str] = (),
    content: str | None = None,
    encrypted: bool = False,
) -> bytes:
    """An OpenDocument package: ``kind`` is text, spreadsheet or presentation, ``body``
    the XML inside ``office:<kind>``, ``styles`` inside ``office:automatic-styles``."""
    parts: dict[str, str | bytes] = {
        "mimetype": _MIMETYPES[kind],
        "META-INF/manifest.xml": (
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:'
            '1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="'
            f'{_MIMETYPES[kind]}"/>'
            + ("<manifest:encryption-data/>" if encrypted else "")
            + "</manifest:manifest>"
        ),
        "content.xml": content
        if content is not None
        else (
            f"<office:document-content {_ODF_NS}><office:automatic-styles>{styles}"
            f"</office:automatic-styles><office:body><office:{kind}>{body}</office:{kind}>"
            "</office:body></office:document-content>"
        ),
        "meta.xml": (
            '<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:'
            '1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta><dc:title>'
            f"{escape(title)}</dc:title></office:meta></office:document-meta>"
        ),
    }
    return zipped(parts, drop=drop)


def rtf_escape(text: str) -> str:
    """Plain text as RTF: specials escaped, non-ASCII as ``\\uN?`` (UTF-16 code units)."""
    out = []
    for char in text:
        if char in "\\{}":
            out.append("\\" + char)
        elif ord(char) < 128:
            out.append(char)
        else:
            units = char.encode("utf-16-le")
            for i in range(0, len(units), 2):
                code = int.from_bytes(units[i : i + 2], "little")
                out.append(f"\\u{code if code < 32768 else code - 65536}?")
    return "".join(out)
