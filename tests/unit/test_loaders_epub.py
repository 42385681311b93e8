"""The EPUB loader: chapters in spine order with their headings, and zip bombs refused."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from ragtui.core.ingest.document import LoaderError
from ragtui.core.ingest.loaders import load_file, loader_for
from tests.unit.reference_text import assert_one_sentence, in_order, paragraphs, recall

CONTAINER = """<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf"
    media-type="application/oebps-package+xml"/></rootfiles>
</container>"""


def xhtml(body: str, title: str = "The Compleat Angler") -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
        f"<head><title>{title}</title></head><body>{body}</body></html>"
    )


def build_epub(*, extra: dict[str, bytes] | None = None, container: bool = True) -> bytes:
    texts = paragraphs()
    opf = """<?xml version="1.0"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:title>The Compleat Angler</dc:title><dc:identifier id="id">x</dc:identifier>
  </metadata>
  <manifest>
    <item id="c2" href="text/chapter%202.xhtml" media-type="application/xhtml+xml"/>
    <item id="c1" href="text/chapter1.xhtml" media-type="application/xhtml+xml"/>
    <item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
    <item id="css" href="style.css" media-type="text/css"/>
  </manifest>
  <spine><itemref idref="c1"/><itemref idref="c2"/></spine>
</package>"""
    nav = xhtml(
        '<nav epub:type="toc" xmlns:epub="http://www.idpf.org/2007/ops"><ol>'
        '<li><a href="text/chapter1.xhtml">The First Edition</a></li>'
        '<li><a href="text/chapter%202.xhtml#start">Advertisements</a></li></ol></nav>'
    )
    chapter1 = xhtml(
        f"<h1>The First Edition</h1><p>{texts[0]}</p><h2>Its Price</h2><p>{texts[1]}</p>"
        f"<p>{texts[2]}</p>"
    )
    chapter2 = xhtml(f"<p>{texts[3]}</p><div><p>{texts[4]}</p></div><p>{texts[5]}</p>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/epub+zip", zipfile.ZIP_STORED)
        if container:
            archive.writestr("META-INF/container.xml", CONTAINER)
        archive.writestr("OEBPS/content.opf", opf)
        archive.writestr("OEBPS/nav.xhtml", nav)
        archive.writestr("OEBPS/style.css", "p { margin: 0 }")
        archive.writestr("OEBPS/text/chapter1.xhtml", chapter1)
        archive.writestr("OEBPS/text/chapter 2.xhtml", chapter2)
        for member, data in (extra or {}).items():
            archive.writestr(member, data)
    return out.getvalue()


def test_chapters_in_spine_order_with_headings(tmp_path: Path) -> None:
    path = tmp_path / "angler.epub"
    path.write_bytes(build_epub())
    doc = load_file(path)
    assert doc.loader == "epub" == loader_for(path) and doc.title == "The Compleat Angler"
    text = "\n".join(s.text for s in doc.sections)
    reference = " ".join(paragraphs())
    assert recall(reference, text) >= 0.98 and in_order(reference, text) >= 0.98
    assert "margin" not in text and "Advertisements" not in text  # no CSS, no nav page

    def where(n: int) -> tuple[str, ...]:
        return next(s.heading for s in doc.sections if paragraphs()[n][:50] in s.text)

    assert where(0) == ("The First Edition",)
    assert where(2) == ("The First Edition", "Its Price")
    assert where(4) == ("Advertisements",)  # no heading in the chapter: its TOC entry


def test_zip_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    path = tmp_path / "bomb.epub"
    path.write_bytes(build_epub(extra={"OEBPS/zeros.bin": b"\0" * (8 * 1024 * 1024)}))
    assert path.stat().st_size < 256 * 1024
    with pytest.raises(LoaderError, match=r"bomb\.epub unpacks to 8\.\d MiB, over the") as err:
        load_file(path, max_bytes=1024 * 1024)
    assert_one_sentence(str(err.value), str(path))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04 not really a zip", "not a zip archive"),
        (build_epub(container=False), "no META-INF/container.xml"),
        (
            build_epub(
                extra={
                    "META-INF/encryption.xml": b'<encryption xmlns="urn:oasis:names:tc:'
                    b'opendocument:xmlns:container"><EncryptedData xmlns="http://www.w3.org/2001/'
                    b'04/xmlenc#"><EncryptionMethod Algorithm="http://www.w3.org/2001/04/'
                    b'xmlenc#aes128-cbc"/><CipherData><CipherReference URI="OEBPS/text/'
                    b'chapter1.xhtml"/></CipherData></EncryptedData></encryption>'
                }
            ),
            "protected by DRM",
        ),
    ],
)
def test_broken_epub_fails_with_one_sentence(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "broken.epub"
    path.write_bytes(data)
    with pytest.raises(LoaderError, match=message) as err:
        load_file(path)
    assert_one_sentence(str(err.value), str(path))
