"""The OpenDocument loader: .odt by heading, .ods like Excel (repeats bounded), .odp by
slide with notes; hidden sheets and slides read and flagged, comments and deletions left
out."""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from ragtui.core.ingest.document import LoadedDocument, LoaderError
from ragtui.core.ingest.loaders import load_file, loader_for
from tests.unit.office_files import odf
from tests.unit.reference_text import assert_one_sentence, in_order, paragraphs, recall


def heading_of(doc: LoadedDocument, needle: str) -> tuple[str, ...]:
    found = [s.heading for s in doc.sections if needle in s.text]
    assert found, needle
    return found[0]


def p(text: str) -> str:
    return f"<text:p>{escape(text)}</text:p>"


def h(level: int, text: str) -> str:
    return f'<text:h text:outline-level="{level}">{escape(text)}</text:h>'


def text_document() -> bytes:
    t = paragraphs()
    cut = t[1].index(" ", 40)
    body = (
        "<text:sequence-decls><text:sequence-decl text:name='Figure'/></text:sequence-decls>"
        "<text:tracked-changes><text:changed-region><text:deletion><text:p>a deleted sentence"
        "</text:p></text:deletion></text:changed-region></text:tracked-changes>"
        + h(1, "The First Edition")
        + p(t[0])
        + h(2, "Its Price")
        + f"<text:p>{escape(t[1][:cut])}<text:s text:c='3'/>{escape(t[1][cut + 1 :])}"
        "<office:annotation><text:p>a private comment</text:p></office:annotation>"
        "<text:note><text:note-citation>1</text:note-citation><text:note-body>"
        "<text:p>Walton's own footnote.</text:p></text:note-body></text:note></text:p>"
        f"<text:list><text:list-item>{p(t[2])}</text:list-item>"
        f"<text:list-item>{p('a short item')}<text:list><text:list-item>{p('nested item')}"
        "</text:list-item></text:list></text:list-item></text:list>"
        + h(1, "Advertisements")
        + "<text:section text:name='s1'>"
        + p(t[3])
        + "</text:section><table:table table:name='T1'><table:table-row>"
        f"<table:table-cell>{p('fish')}</table:table-cell><table:table-cell>{p('river')}"
        "</table:table-cell></table:table-row><table:table-row>"
        f"<table:table-cell>{p(t[4])}</table:table-cell><table:table-cell>{p('Lea')}"
        "</table:table-cell></table:table-row></table:table>" + p(t[5])
    )
    return odf("text", body, title="The Compleat Angler")


def test_odt_headings_paragraphs_lists_and_tables(tmp_path: Path) -> None:
    path = tmp_path / "angler.odt"
    path.write_bytes(text_document())
    doc = load_file(path)
    assert doc.loader == "opendocument" == loader_for(path)
    assert doc.title == "The Compleat Angler"
    text = "\n".join(s.text for s in doc.sections)
    reference = " ".join(paragraphs())
    assert recall(reference, text) >= 0.98 and in_order(reference, text) >= 0.98
    t = paragraphs()
    assert heading_of(doc, t[0][:50]) == ("The First Edition",)
    assert heading_of(doc, t[2][:50]) == ("The First Edition", "Its Price")
    assert heading_of(doc, t[5][:50]) == ("Advertisements",)
    assert "\n- a short item\n  - nested item" in text
    assert f"{' '.join(t[4].split())} | Lea" in text and "fish | river" in text
    assert "Walton's own footnote." in text
    for hidden in ("deleted sentence", "private comment", "Figure"):
        assert hidden not in text


def sheet(name: str, rows: str, style: str = "") -> str:
    styled = f' table:style-name="{style}"' if style else ""
    return f'<table:table table:name="{name}"{styled}>{rows}</table:table>'


def row(*cells: str, repeat: int = 1) -> str:
    repeated = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    return f"<table:table-row{repeated}>{''.join(cells)}</table:table-row>"


def cell(text: str = "", *, repeat: int = 1, value: str | None = None) -> str:
    repeated = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    if value is not None:
        return f'<table:table-cell office:value-type="float" office:value="{value}"{repeated}/>'
    inner = p(text) if text else ""
    return f"<table:table-cell{repeated}>{inner}</table:table-cell>"


HIDDEN_SHEET = (
    '<style:style style:name="ta2" style:family="table">'
    '<style:table-properties table:display="false"/></style:style>'
)


def test_ods_sheets_rows_repeats_and_hidden_sheet(tmp_path: Path) -> None:
    t = paragraphs()
    rows = [row(cell("id"), cell("passage"), cell("year"), cell(repeat=1020))]
    rows += [row(cell(value=str(n)), cell(text), cell(value="1653")) for n, text in enumerate(t, 1)]
    rows += [row(cell(repeat=1024), repeat=3)]  # blank rows 8–10
    rows += [row(cell(repeat=16384), repeat=1_048_000)]  # LibreOffice's tail of empty rows
    body = sheet("Passages", "".join(rows)) + sheet(
        "Secret", row(cell("note")) + row(cell("the secret sheet")), style="ta2"
    )
    body += sheet("Twice", row(cell("n"), cell("line")) + row(cell("9"), cell("said"), repeat=2))
    body += sheet("Marks", row(cell("x", repeat=3)) + row(cell("1"), cell("2"), cell("3")))
    path = tmp_path / "angler.ods"
    path.write_bytes(odf("spreadsheet", body, styles=HIDDEN_SHEET))
    doc = load_file(path)
    text = "\n".join(s.text for s in doc.sections)
    reference = " ".join(t)
    assert recall(reference, text) >= 0.98 and in_order(reference, text) >= 0.98
    assert heading_of(doc, t[2][:50]) == ("Passages · row 4",)
    assert f"id: 3; passage: {' '.join(t[2].split())}; year: 1653" in text
    assert heading_of(doc, "n: 9; line: said") == ("Twice · rows 2–3",)  # one repeated row
    assert text.count("line: said") == 1
    assert [(s.heading, s.text) for s in doc.sections if s.hidden] == [
        (("Secret · row 2",), "note: the secret sheet")
    ]
    assert "x; x; x\n1; 2; 3" in text  # repeated cells spelled out (not a header: not distinct)


def test_ods_repeated_cells_bomb_is_refused_with_bounded_memory(tmp_path: Path) -> None:
    rows = row(cell("a fairly long value that repeats " * 4, repeat=1_000_000_000))
    path = tmp_path / "repeats.ods"
    path.write_bytes(odf("spreadsheet", sheet("Sheet1", rows * 20)))
    assert path.stat().st_size < 64 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(LoaderError, match=r"expands to more than 1\.0 MiB of text") as err:
            load_file(path, max_bytes=1024 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert_one_sentence(str(err.value), str(path))
    assert peak < 16 * 1024 * 1024


def frame(text: str, kind: str = "outline") -> str:
    return (
        f'<draw:frame presentation:class="{kind}"><draw:text-box>{p(text)}'
        "</draw:text-box></draw:frame>"
    )


def slide(name: str, *frames: str, notes: str = "", style: str = "") -> str:
    styled = f' draw:style-name="{style}"' if style else ""
    notes_xml = (
        f"<presentation:notes><draw:page-thumbnail/>{frame(notes, 'notes')}</presentation:notes>"
        if notes
        else ""
    )
    return f'<draw:page draw:name="{name}"{styled}>{"".join(frames)}{notes_xml}</draw:page>'


def test_odp_slides_with_titles_and_notes(tmp_path: Path) -> None:
    t = paragraphs()
    hidden = (
        '<style:style style:name="dp2" style:family="drawing-page">'
        '<style:drawing-page-properties presentation:visibility="hidden"/></style:style>'
    )
    body = (
        slide("page1", frame(t[0]), frame("Of Fishing", "title"), notes=t[1])
        + slide("page2", frame("a hidden draft"), style="dp2")
        + slide("The Otter", frame(t[2]), frame(t[3]))
        + slide("page4", f"<draw:custom-shape>{p(t[4])}{p(t[5])}</draw:custom-shape>")
    )
    path = tmp_path / "talk.odp"
    path.write_bytes(odf("presentation", body, styles=hidden))
    doc = load_file(path)
    text = "\n".join(s.text for s in doc.sections)
    reference = " ".join(t)
    assert recall(reference, text) >= 0.98 and in_order(reference, text) >= 0.98
    assert [(s.heading, s.hidden) for s in doc.sections] == [
        (("slide 1 · Of Fishing",), False),
        (("slide 2",), True),  # a hidden slide: read, and flagged
        (("slide 3 · The Otter",), False),  # no title frame: the slide's own name
        (("slide 4",), False),  # a default name is no title
    ]
    assert doc.sections[0].text.startswith("Of Fishing\n\n")
    assert doc.sections[0].text.endswith(f"\n\nNotes: {t[1]}")
    assert doc.sections[1].text == "a hidden draft"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("cut.odt", text_document()[:400], "not a readable OpenDocument text"),
        ("nocontent.ods", odf("spreadsheet", "", drop=["content.xml"]), r"\(no content\.xml\)"),
        (
            "bad.odp",
            odf("presentation", "", content="<office:document-content><office:body>"),
            r"OpenDocument presentation \(content\.xml: ",
        ),
        (
            "locked.odt",
            odf("text", p("secret"), encrypted=True),
            "password-protected",
        ),
    ],
)
def test_broken_opendocument_fails_with_one_sentence(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(LoaderError, match=message) as err:
        load_file(path)
    assert_one_sentence(str(err.value), str(path))
