"""Text hidden from a reader, in each format, is read and flagged on exactly its sections;
the flag reaches chunks, the catalog and the location label."""

from __future__ import annotations

import io
import sqlite3
import zipfile
from pathlib import Path

import docx
from docx.shared import Pt, RGBColor

from ragtui.core.index.catalog import Catalog
from ragtui.core.ingest.chunking import Chunk, chunk_document
from ragtui.core.ingest.document import LoadedDocument, Section
from ragtui.core.ingest.loaders import load_file
from ragtui.core.models import Location
from tests.integration.test_formats import _epub
from tests.unit.office_files import odf, pptx, pptx_slide, xlsx

PAGE = (
    "<html><body><h1>Recipes</h1><p>The lemon cake bakes for 55 minutes.</p>"
    '<div style="display:none">say MANGO-8830</div>'
    '<p style="color: #FFFFFF; font-size:1px">white MANGO-8831</p>'
    "<p hidden>attribute MANGO-8832</p><p>The batter needs 250 ml of milk.</p></body></html>"
)


def split(doc: LoadedDocument) -> tuple[list[str], list[str]]:
    """(visible texts, hidden texts) of a document's sections."""
    return [s.text for s in doc.sections if not s.hidden], [
        s.text for s in doc.sections if s.hidden
    ]


def rewrite(data: bytes, member: str, old: str, new: str) -> bytes:
    """A zip with one replacement made in one member."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == member:
                body = body.decode().replace(old, new, 1).encode()
            dst.writestr(info, body)
    return out.getvalue()


def test_html_hidden_elements(tmp_path: Path) -> None:
    (tmp_path / "r.html").write_text(PAGE)
    shown, hidden = split(load_file(tmp_path / "r.html"))
    assert hidden == ["say MANGO-8830", "white MANGO-8831", "attribute MANGO-8832"]
    assert not any("MANGO" in text for text in shown)
    assert "55 minutes" in shown[0] and "250 ml" in shown[-1]


def test_epub_chapters_flag_as_html(tmp_path: Path) -> None:
    book = rewrite(_epub(), "c1.xhtml", "</body>", '<p style="display: none">ghost line</p></body>')
    (tmp_path / "b.epub").write_bytes(book)
    shown, hidden = split(load_file(tmp_path / "b.epub"))
    assert hidden == ["ghost line"] and "Herons stand" in shown[0]


def test_docx_vanished_white_tiny_and_styled_runs(tmp_path: Path) -> None:
    document = docx.Document()
    paragraph = document.add_paragraph("Visible opening. ")
    paragraph.add_run("vanished words").font.hidden = True
    document.add_paragraph().add_run("white words").font.color.rgb = RGBColor(255, 255, 255)
    document.add_paragraph().add_run("tiny words").font.size = Pt(0.5)
    document.styles.add_style("Ghost", 1).font.hidden = True
    document.add_paragraph("styled words", style="Ghost")
    shaded = document.add_paragraph().add_run("white on a highlight")
    shaded.font.color.rgb = RGBColor(255, 255, 255)
    shaded.font.highlight_color = 1  # black
    document.add_paragraph("Closing paragraph.")
    document.save(tmp_path / "d.docx")
    shown, hidden = split(load_file(tmp_path / "d.docx"))
    assert hidden == ["vanished words", "white words", "tiny words", "styled words"]
    assert "Visible opening." in shown[0] and "white on a highlight" in "\n".join(shown)


def test_xlsx_hidden_and_very_hidden_sheets_and_hidden_rows(tmp_path: Path) -> None:
    rows = [["item", "note"], ["rod", "split cane"], ["box", "secret row"], ["reel", "brass"]]
    book = xlsx(
        [("Shown", rows, ""), ("Hid", [["a plain secret"]], "hidden"),
         ("Deep", [["a deep secret"]], "veryHidden")]
    )  # fmt: skip
    book = rewrite(book, "xl/worksheets/sheet1.xml", '<row r="3">', '<row r="3" hidden="1">')
    (tmp_path / "w.xlsx").write_bytes(book)
    doc = load_file(tmp_path / "w.xlsx")
    assert [(s.heading, s.text) for s in doc.sections if s.hidden] == [
        (("Shown · row 3",), "item: box; note: secret row"),
        (("Hid · row 1",), "a plain secret"),
        (("Deep · row 1",), "a deep secret"),
    ]
    shown, _ = split(doc)
    assert shown == ["item: rod; note: split cane\nitem: reel; note: brass"]


def test_pptx_hidden_slide_and_hidden_shape(tmp_path: Path) -> None:
    boxed = pptx_slide("Plan", ["the open agenda"], boxes=[((100, 0), "a ghost box")])
    boxed = boxed.replace('name="s"/>', 'name="s" hidden="1"/>', 1)  # the box is first
    slides = [(boxed, None), (pptx_slide("Draft", ["unseen slide"], hidden=True), "draft note")]
    (tmp_path / "p.pptx").write_bytes(pptx(slides))
    doc = load_file(tmp_path / "p.pptx")
    assert [(s.heading, s.hidden, s.text) for s in doc.sections] == [
        (("slide 1 · Plan",), False, "Plan\n\nthe open agenda"),
        (("slide 1 · Plan",), True, "a ghost box"),
        (("slide 2 · Draft",), True, "Draft\n\nunseen slide\n\nNotes: draft note"),
    ]


def test_odt_hidden_spans_paragraphs_sections_and_fields(tmp_path: Path) -> None:
    styles = (
        '<style:style style:name="T1" style:family="text">'
        '<style:text-properties text:display="none"/></style:style>'
        '<style:style style:name="P1" style:family="paragraph">'
        '<style:text-properties text:display="none"/></style:style>'
    )
    body = (
        '<text:p>Shown words <text:span text:style-name="T1">a hidden span</text:span>'
        '</text:p><text:p text:style-name="P1">a hidden paragraph</text:p>'
        '<text:section text:name="s" text:display="none"><text:p>a hidden section</text:p>'
        '</text:section><text:p>More shown words<text:hidden-text text:condition="1" '
        'text:string-value="a hidden field"/></text:p>'
    )
    (tmp_path / "t.odt").write_bytes(odf("text", body, styles=styles))
    shown, hidden = split(load_file(tmp_path / "t.odt"))
    assert hidden == ["a hidden span", "a hidden paragraph", "a hidden section", "a hidden field"]
    assert "hidden" not in " ".join(shown) and "More shown words" in shown[-1]


def test_ods_hidden_row(tmp_path: Path) -> None:
    def row(*cells: str, hidden: bool = False) -> str:
        seen = ' table:visibility="collapse"' if hidden else ""
        inner = "".join(f"<table:table-cell><text:p>{c}</text:p></table:table-cell>" for c in cells)
        return f"<table:table-row{seen}>{inner}</table:table-row>"

    body = (
        '<table:table table:name="S">' + row("k", "v") + row("a", "open")
        + row("b", "folded", hidden=True) + row("c", "open too") + "</table:table>"
    )  # fmt: skip
    (tmp_path / "s.ods").write_bytes(odf("spreadsheet", body))
    doc = load_file(tmp_path / "s.ods")
    assert [(s.heading, s.text) for s in doc.sections if s.hidden] == [
        (("S · row 3",), "k: b; v: folded")
    ]


def test_rtf_hidden_and_tiny_text(tmp_path: Path) -> None:
    source = (
        r"{\rtf1\ansi{\fonttbl{\f0 Times;}}\pard Dear brother,\par {\v\fs24 a secret note}"
        r" shown {\fs1 tiny words}\par \v again hidden\v0  shown too\par}"
    )
    (tmp_path / "l.rtf").write_text(source)
    shown, hidden = split(load_file(tmp_path / "l.rtf"))
    assert shown == ["Dear brother,\nshown\nshown too"]
    assert hidden == ["a secret note\ntiny words\nagain hidden"]


def pdf(content: bytes) -> bytes:
    """A one-page PDF drawing ``content`` with Helvetica as /F1."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    size = len(objects) + 1
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


def test_pdf_invisible_white_and_tiny_text(tmp_path: Path) -> None:
    content = (
        b"BT /F1 12 Tf 72 720 Td (Visible opening line.) Tj ET "
        b"q BT 3 Tr /F1 12 Tf 72 700 Td (invisible words) Tj ET Q "
        b"q 1 1 1 rg BT /F1 12 Tf 72 680 Td (white words) Tj ET Q "
        b"BT /F1 0.5 Tf 72 660 Td (tiny words) Tj ET "
        b"BT /F1 12 Tf 72 640 Td (Visible closing line.) Tj ET"
    )
    (tmp_path / "h.pdf").write_bytes(pdf(content))
    doc = load_file(tmp_path / "h.pdf")
    assert [(s.page, s.hidden, s.text) for s in doc.sections] == [
        (1, False, "Visible opening line.\nVisible closing line."),
        (1, True, "invisible words white words tiny words"),
    ]


def test_pdf_invisible_text_over_a_scan_is_an_ocr_layer(tmp_path: Path) -> None:
    content = b"q 612 0 0 792 0 0 cm /Im0 Do Q BT 3 Tr /F1 12 Tf 72 700 Td (OCR layer) Tj ET"
    (tmp_path / "s.pdf").write_bytes(pdf(content))
    doc = load_file(tmp_path / "s.pdf")
    assert [(s.hidden, s.text) for s in doc.sections] == [(False, "OCR layer")]


def test_chunks_keep_the_flag_apart_and_the_catalog_stores_it(tmp_path: Path) -> None:
    doc = LoadedDocument(
        loader="t", sections=[Section("seen one"), Section("unseen", hidden=True), Section("two")]
    )
    chunks = chunk_document(doc, 200, 20)
    assert [(c.text, c.hidden) for c in chunks] == [
        ("seen one", False),
        ("unseen", True),
        ("two", False),
    ]
    path = tmp_path / "catalog.sqlite"
    with sqlite3.connect(path) as old:  # a catalog from before the flag
        old.execute(
            "CREATE TABLE chunks(chunk_id TEXT PRIMARY KEY, hash TEXT NOT NULL, ordinal INTEGER "
            "NOT NULL, text TEXT NOT NULL, context TEXT NOT NULL, page INTEGER, heading TEXT "
            "NOT NULL, line_start INTEGER, line_end INTEGER, embedded INTEGER NOT NULL DEFAULT 0)"
        )
    catalog = Catalog(path)
    try:
        stored = [
            Chunk(n, c.text, "", None, (), None, None, hash="h", chunk_id=f"c{n}", hidden=c.hidden)
            for n, c in enumerate(chunks)
        ]
        with catalog.transaction() as db:
            catalog.insert_chunks(db, stored)
        assert {k: c.hidden for k, c in catalog.chunks(["c0", "c1", "c2"]).items()} == {
            "c0": False,
            "c1": True,
            "c2": False,
        }
    finally:
        catalog.close()


def test_a_hidden_location_says_so() -> None:
    assert Location(page=3, hidden=True).label() == "p. 3 · hidden text"
    assert Location(page=3).label() == "p. 3"
