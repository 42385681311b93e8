"""Images and scanned PDFs in a real index (catalog and Tantivy), the OCR model replaced by a
stub: found at their location, `--type image` narrows to them, a huge one fails alone, and
with OCR off they are skipped with the reason and read once it is turned back on."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from ragtui.core.engine import create_engine
from ragtui.core.ingest import ocr
from tests.unit.test_loaders_image import huge_png, scanned_pdf

NOTE = "the otter took a trout from the mill race at dawn"
SCAN = "the heron waits in the shallows below the sluice"


@pytest.fixture
def pictures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with a note (PNG), a half-scanned PDF, a text file and a 100-MP poster;
    the stub 'reads' a picture by its width."""
    said = {400: NOTE, 500: SCAN}
    monkeypatch.setenv("RAGTUI_INGEST__READER_PROCESS", "false")  # the stub works in here
    monkeypatch.setattr(ocr, "read_image", lambda picture: said.get(picture.size[0], ""))
    monkeypatch.setattr(ocr, "installed", lambda: True)
    root = tmp_path / "docs"
    root.mkdir()
    out = io.BytesIO()
    Image.new("L", (400, 100), 255).save(out, "PNG")
    (root / "note.png").write_bytes(out.getvalue())
    (root / "scan.pdf").write_bytes(
        scanned_pdf(Image.new("L", (500, 100), 255), "Typed cover page")
    )
    (root / "plain.txt").write_text("the kingfisher nests in the bank of the mill stream\n")
    (root / "poster.png").write_bytes(huge_png(10_000, 10_000))
    return root


def test_images_and_scanned_pages_are_found_at_their_location(pictures: Path) -> None:
    engine = create_engine()
    report = engine.index([pictures], embed=False)
    assert report.added == 3 and report.failed == 1
    ((path, message),) = report.errors
    assert path.endswith("poster.png") and "ingest.ocr_max_megapixels" in message
    note = engine.search(NOTE, mode="bm25", k=1).hits[0]
    assert note.path.endswith("note.png") and note.location.label() == ""
    scan = engine.search(SCAN, mode="bm25", k=1).hits[0]
    assert scan.path.endswith("scan.pdf") and scan.location.label() == "p. 2"
    only = engine.search("kingfisher otter heron", mode="bm25", k=5, file_types=["image"]).hits
    assert {Path(h.path).name for h in only} == {"note.png"}


def test_with_ocr_off_images_are_skipped_then_read_when_it_is_on(
    pictures: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAGTUI_INGEST__OCR", "false")
    off = create_engine().index([pictures], embed=False)
    skips = {Path(p).name: why for p, why in off.skips}
    assert skips["note.png"] == skips["poster.png"] == ocr.OFF
    assert off.added == 2 and off.failed == 0  # the PDF's text page, the text file
    monkeypatch.delenv("RAGTUI_INGEST__OCR")
    engine = create_engine()
    on = engine.index([pictures], embed=False)
    assert (on.added, on.failed, on.unchanged) == (1, 1, 2)
    assert engine.search(NOTE, mode="bm25", k=1).hits[0].path.endswith("note.png")
