"""The Excel and PowerPoint loaders: sheets by row range with their header, slides in
order with their notes, hidden ones read and flagged, broken files and zip bombs refused."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from ragtui.core.ingest.chunking import chunk_document
from ragtui.core.ingest.document import LoadedDocument, LoaderError
from ragtui.core.ingest.loaders import formats, load_file, loader_for
from tests.unit.office_files import pptx, pptx_slide, xlsx
from tests.unit.reference_text import assert_one_sentence, in_order, paragraphs, recall


def heading_of(doc: LoadedDocument, needle: str) -> tuple[str, ...]:
    found = [s.heading for s in doc.sections if needle in s.text]
    assert found, needle
    return found[0]


def workbook(**kwargs: object) -> bytes:
    texts = paragraphs()
    passages: list[list[object]] = [["id", "chapter", "passage", "read on", "kept"]]
    for n, text in enumerate(texts, 1):
        passages.append(
            [n, ("inline", f"Introduction {n}"), text, ("date", 45356 + n), ("bool", n % 2)]
        )
    for n in range(8, 41):
        passages.append([n, ("inline", "Index"), f"entry {n} of the index"])
    numbers = [["weight", "length"], [2.5, 0.1], [1.0000000000000001e-2, 3]]
    secret = [["note"], ["the secret sheet nobody sees"]]
    return xlsx(
        [("Passages", passages, ""), ("Secret", secret, "hidden"), ("Catch", numbers, "")],
        title="The Compleat Angler",
        **kwargs,  # type: ignore[arg-type]
    )


def test_xlsx_sheets_rows_and_header(tmp_path: Path) -> None:
    path = tmp_path / "angler.xlsx"
    path.write_bytes(workbook())
    doc = load_file(path)
    assert doc.loader == "xlsx" == loader_for(path) and doc.title == "The Compleat Angler"
    text = "\n".join(s.text for s in doc.sections)
    reference = " ".join(paragraphs())
    assert recall(reference, text) >= 0.98 and in_order(reference, text) >= 0.98
    assert heading_of(doc, paragraphs()[2][:60]) == ("Passages · row 4",)
    heading = heading_of(doc, "entry 20 of the index")[0]
    assert heading.startswith("Passages · rows ")
    first, last = (int(n) for n in heading.removeprefix("Passages · rows ").split("–"))
    assert first <= 20 <= last
    row = next(line for line in text.split("\n") if paragraphs()[0][:40] in line)
    assert row.startswith("id: 1; chapter: Introduction 1; passage: ")
    assert row.endswith("; read on: 2024-03-06; kept: TRUE")  # a date-formatted serial, a boolean
    assert "weight: 2.5; length: 0.1" in text and "weight: 0.01; length: 3" in text
    assert heading_of(doc, "weight: 2.5") == ("Catch · rows 2–3",)
    secret = [s for s in doc.sections if s.hidden]  # a hidden sheet: read, and flagged
    assert [(s.heading, s.text) for s in secret] == [
        (("Secret · row 2",), "note: the secret sheet nobody sees")
    ]
    for chunk in chunk_document(doc, 160, 24):
        assert chunk.hidden == chunk.heading[0].startswith("Secret"), chunk.heading
        assert chunk.heading[0].startswith(("Passages · row", "Catch · row", "Secret")), chunk


def test_pptx_slides_in_order_with_notes(tmp_path: Path) -> None:
    texts = paragraphs()
    slides = [
        (pptx_slide("Of Fishing", [texts[0]]), texts[1]),
        (pptx_slide("A secret slide", ["nobody sees this draft"], hidden=True), "draft notes"),
        (
            pptx_slide(
                "The Otter",
                boxes=[((900, 0), texts[3]), ((100, 0), texts[2])],
                table=[["fish", "river"], ["trout", "Lea"]],
            ),
            None,
        ),
        (pptx_slide(None, [texts[4], texts[5]]), None),
    ]
    path = tmp_path / "talk.pptx"
    path.write_bytes(pptx(slides, title="Angling"))
    doc = load_file(path)
    assert doc.loader == "pptx" == loader_for(path) and doc.title == "Angling"
    text = "\n".join(s.text for s in doc.sections)
    reference = " ".join(texts)
    assert recall(reference, text) >= 0.98 and in_order(reference, text) >= 0.98
    assert [(s.heading, s.hidden) for s in doc.sections] == [
        (("slide 1 · Of Fishing",), False),
        (("slide 2 · A secret slide",), True),  # a hidden slide: read, and flagged
        (("slide 3 · The Otter",), False),
        (("slide 4",), False),
    ]
    first, secret, otter, _ = (s.text for s in doc.sections)
    assert first.startswith("Of Fishing\n\n") and f"\n\nNotes: {texts[1]}" in first
    assert otter.startswith("The Otter\n\n")  # the title first, though last in the file
    assert otter.index(texts[2][:40]) < otter.index(texts[3][:40])  # top box before bottom
    assert "fish | river\ntrout | Lea" in otter
    assert "nobody sees this draft" in secret and "Notes: draft notes" in secret


def test_zip_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(workbook(extra={"xl/media/zeros.bin": b"\0" * (8 * 1024 * 1024)}))
    assert path.stat().st_size < 256 * 1024
    with pytest.raises(LoaderError, match=r"bomb\.xlsx unpacks to 8\.\d MiB, over the") as err:
        load_file(path, max_bytes=1024 * 1024)
    assert_one_sentence(str(err.value), str(path))


def test_shared_string_repeated_past_the_limit_is_refused(tmp_path: Path) -> None:
    big = "trout " * 20_000  # 120 kB, stored once, used by every cell
    rows = [[big] * 10 for _ in range(10)]
    path = tmp_path / "repeats.xlsx"
    path.write_bytes(xlsx([("Sheet1", rows, "")]))
    tracemalloc.start()
    try:
        with pytest.raises(LoaderError, match=r"expands to more than 1\.0 MiB of text") as err:
            load_file(path, max_bytes=1024 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert_one_sentence(str(err.value), str(path))
    assert peak < 16 * 1024 * 1024


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("truncated.xlsx", workbook()[:300], "not a readable Excel workbook"),
        ("nosheet.xlsx", workbook(drop=["xl/worksheets/sheet1.xml"]), r"no xl/worksheets/sheet1"),
        (
            "badxml.xlsx",
            workbook(extra={"xl/workbook.xml": "<workbook><sheets>"}),
            r"xl/workbook\.xml: no element found",
        ),
        ("locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "password-protected"),
        ("truncated.pptx", pptx([(pptx_slide("A", ["b"]), None)])[:200], "not a zip archive"),
        (
            "noslide.pptx",
            pptx([(pptx_slide("A", ["b"]), None)], drop=["ppt/slides/slide1.xml"]),
            r"PowerPoint presentation \(no ppt/slides/slide1\.xml\)",
        ),
        ("nopres.pptx", pptx([], drop=["ppt/presentation.xml"]), "no ppt/presentation.xml"),
    ],
)
def test_broken_file_fails_with_one_sentence(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(LoaderError, match=message) as err:
        load_file(path)
    assert_one_sentence(str(err.value), str(path))


def test_help_lists_the_office_formats() -> None:
    suffixes = {suffix for _, found in formats() for suffix in found}
    assert {".xlsx", ".pptx", ".odt", ".ods", ".odp", ".rtf"} <= suffixes
