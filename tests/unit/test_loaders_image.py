"""Images and scanned PDF pages through OCR: the real PP-OCR model on one small rendered
picture (slow), and the rest (pixel limit, broken files, per-page detection, OCR off) with
the model replaced by a stub that names what it was shown."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter

from ragtui.core.ingest import ocr
from ragtui.core.ingest.document import LoaderError, Unsupported
from ragtui.core.ingest.loaders import formats, load_file
from ragtui.core.ingest.ocr import OcrOptions
from ragtui.core.retrieve import path_matches
from tests.unit.test_loaders import build_pdf

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
LINES = ("The grayling rose to a small red fly", "below the weir at dusk.")
needs_ocr = pytest.mark.skipif(not ocr.installed(), reason="rapidocr-onnxruntime not installed")


def rendered(lines: tuple[str, ...] = LINES, size: int = 40) -> Image.Image:
    """Black text on white, as a scanner at 300 dpi sees 10-pt type."""
    if not FONT.exists():
        pytest.skip(f"{FONT} is missing (apt-get install fonts-dejavu-core)")
    font = ImageFont.truetype(str(FONT), size)
    picture = Image.new("L", (1000, 60 + 70 * len(lines)), 255)
    draw = ImageDraw.Draw(picture)
    for number, line in enumerate(lines):
        draw.text((30, 30 + 70 * number), line, font=font, fill=0)
    return picture


def encoded(picture: Image.Image, kind: str) -> bytes:
    out = io.BytesIO()
    picture.save(out, kind)
    return out.getvalue()


def scanned_pdf(picture: Image.Image, text_page: str) -> bytes:
    """Page 1 has a text layer; page 2 is only a picture, as a scanner writes it."""
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(build_pdf([text_page]))))
    writer.append(PdfReader(io.BytesIO(encoded(picture, "PDF"))))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def stub_ocr(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Replace the model: each picture read is recorded by size and 'reads' as its size."""
    seen: list[tuple[int, int]] = []

    def read(picture: Image.Image) -> str:
        seen.append(picture.size)
        return f"picture of {picture.size[0]} by {picture.size[1]}"

    monkeypatch.setattr(ocr, "read_image", read)
    monkeypatch.setattr(ocr, "installed", lambda: True)
    return seen


def huge_png(width: int, height: int) -> bytes:
    """A PNG that declares ``width``×``height`` in its header but holds almost no data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1024))
        + chunk(b"IEND", b"")
    )


@pytest.mark.slow
@needs_ocr
def test_a_rendered_page_is_read_by_the_real_model(tmp_path: Path) -> None:
    path = tmp_path / "note.png"
    path.write_bytes(encoded(rendered(), "PNG"))
    doc = load_file(path, ocr=OcrOptions())
    assert doc.loader == "image"
    assert [s.page for s in doc.sections] == [None]  # the file is the location
    assert doc.sections[0].text.split("\n") == list(LINES)


@pytest.mark.slow
@needs_ocr
def test_a_scanned_pdf_page_is_read_by_the_real_model_and_keeps_its_page(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(scanned_pdf(rendered(), "Typed page about chub"))
    doc = load_file(path, ocr=OcrOptions())
    assert [s.page for s in doc.sections] == [1, 2]
    assert doc.sections[0].text == "Typed page about chub"
    assert "small red fly" in doc.sections[1].text


def test_only_the_page_without_a_text_layer_is_ocred(
    tmp_path: Path, stub_ocr: list[tuple[int, int]]
) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(scanned_pdf(Image.new("L", (600, 200), 255), "Typed page about chub"))
    doc = load_file(path, ocr=OcrOptions())
    assert [(s.page, s.text) for s in doc.sections] == [
        (1, "Typed page about chub"),
        (2, "picture of 600 by 200"),
    ]
    assert stub_ocr == [(600, 200)]
    assert [s.page for s in load_file(path).sections] == [1]  # OCR off: the scan stays unread


def test_each_image_format_and_each_tiff_page_is_read(
    tmp_path: Path, stub_ocr: list[tuple[int, int]]
) -> None:
    picture = Image.new("RGB", (300, 100), "white")
    for suffix, kind in ((".png", "PNG"), (".jpg", "JPEG"), (".jpeg", "JPEG"), (".webp", "WEBP")):
        path = tmp_path / f"note{suffix}"
        path.write_bytes(encoded(picture, kind))
        doc = load_file(path, ocr=OcrOptions())
        assert [(s.page, s.text) for s in doc.sections] == [(None, "picture of 300 by 100")]
    out = io.BytesIO()
    picture.save(out, "TIFF", save_all=True, append_images=[picture.resize((200, 100))])
    (tmp_path / "fax.tif").write_bytes(out.getvalue())
    doc = load_file(tmp_path / "fax.tif", ocr=OcrOptions())
    assert [(s.page, s.text) for s in doc.sections] == [
        (1, "picture of 300 by 100"),
        (2, "picture of 200 by 100"),
    ]


def test_an_image_over_the_pixel_limit_fails_alone_before_it_is_decoded(
    tmp_path: Path, stub_ocr: list[tuple[int, int]]
) -> None:
    path = tmp_path / "poster.png"
    path.write_bytes(huge_png(10_000, 10_000))  # 100 megapixels declared, 1 KiB of data
    with pytest.raises(LoaderError) as caught:
        load_file(path, ocr=OcrOptions(max_pixels=50_000_000))
    message = str(caught.value)
    assert message.startswith(f"{path} is a 10000×10000-pixel image (100 megapixels)")
    assert "ingest.ocr_max_megapixels" in message and message.endswith(".")
    assert stub_ocr == []


def test_a_scanned_page_over_the_pixel_limit_names_its_page(
    tmp_path: Path, stub_ocr: list[tuple[int, int]]
) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(scanned_pdf(Image.new("L", (600, 200), 255), "Typed page"))
    with pytest.raises(LoaderError, match=r"scan\.pdf page 2 \(an image on it\) is a 600×200"):
        load_file(path, ocr=OcrOptions(max_pixels=100_000))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not an image at all",
        huge_png(40, 40)[:30],
        encoded(Image.new("L", (64, 64)), "PNG")[:-40],
    ],
    ids=["empty", "garbage", "cut-header", "cut-data"],
)
def test_a_broken_image_fails_alone_with_one_sentence(
    tmp_path: Path, stub_ocr: list[tuple[int, int]], data: bytes
) -> None:
    path = tmp_path / "broken.png"
    path.write_bytes(data)
    with pytest.raises(LoaderError) as caught:
        load_file(path, ocr=OcrOptions())
    message = str(caught.value)
    assert message.startswith(f"{path} is not a readable image (")
    assert message.endswith("re-save or re-export it as PNG or JPEG.") and "\n" not in message


def test_with_ocr_off_or_missing_an_image_is_skipped_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "note.png"
    path.write_bytes(encoded(Image.new("L", (64, 64), 255), "PNG"))
    with pytest.raises(Unsupported, match=r"OCR is off \(ingest\.ocr = false\)"):
        load_file(path)
    monkeypatch.setattr(ocr, "installed", lambda: False)
    with pytest.raises(Unsupported, match="pip install --no-deps rapidocr-onnxruntime=="):
        load_file(path, ocr=OcrOptions())


def test_layout_joins_boxes_into_lines_and_blocks() -> None:
    def box(x: float, y: float, h: float = 20) -> list[list[float]]:
        return [[x, y], [x + 50, y], [x + 50, y + h], [x, y + h]]

    found = [
        [box(200, 10), "world", 0.9],
        [box(10, 12), "Hello", 0.9],
        [box(10, 40), "again", 0.9],
        [box(10, 160), "New block", 0.9],
    ]
    assert ocr.layout(found) == "Hello world\nagain\n\nNew block"
    assert ocr.layout([]) == ""


def test_help_and_type_filter_know_images() -> None:
    (words,) = [words for words, suffixes in formats() if ".png" in suffixes]
    assert "OCR" in words
    assert path_matches(["/scans/receipt.JPEG"], None, ["image"])
    assert path_matches(["/scans/receipt.jpeg"], None, ["jpg"])
    assert path_matches(["/scans/fax.tif"], None, ["tiff"])
    assert not path_matches(["/notes/a.md"], None, ["image"])
