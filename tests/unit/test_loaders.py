"""Tests for ragtui.core.ingest.loaders on real sample files written into tmp_path."""

from __future__ import annotations

import gzip
import io
import os
import random
import re
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from ragtui.core.ingest.document import LoadedDocument, LoaderError, Section, Unsupported
from ragtui.core.ingest.loaders import SUPPORTED_SUFFIXES, load_file, loader_for

PERSONAL_DOCS = Path(__file__).resolve().parents[3] / "shared" / "data" / "personal-docs"
CJK = re.compile(r"[\u4e00-\u9fff]")


# -- helpers and sample builders -------------------------------------------------------


def write(tmp_path: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
    return path


def assert_line_ranges(doc: LoadedDocument, source: str) -> None:
    """Each section's text is exactly its source lines (right-stripped)."""
    lines = source.split("\n")
    for section in doc.sections:
        assert section.line_start is not None and section.line_end is not None
        assert 1 <= section.line_start <= section.line_end <= len(lines)
        expected = "\n".join(
            line.rstrip() for line in lines[section.line_start - 1 : section.line_end]
        )
        assert section.text == expected, (section.line_start, section.line_end)


def headings(doc: LoadedDocument) -> list[tuple[str, ...]]:
    return [section.heading for section in doc.sections]


def _pdf_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def build_pdf(pages: list[str], title: str | None = None) -> bytes:
    """A minimal valid PDF with one Helvetica text stream per page and a correct xref."""
    font_num = 3 + 2 * len(pages)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
    ]
    for i, text in enumerate(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 {font_num} 0 R >> >> /Contents {4 + 2 * i} 0 R >>".encode()
        )
        shows = " ".join(f"({_pdf_string(line)}) '" for line in text.split("\n")) if text else ""
        stream = f"BT /F1 12 Tf 72 720 Td 14 TL {shows} ET".encode("latin-1") if text else b""
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    if title:
        objects.append(f"<< /Title ({_pdf_string(title)}) >>".encode("latin-1"))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    info = f" /Info {len(objects)} 0 R" if title else ""
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info} >>\n".encode()
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


PDF_PAGES = ["Hello from page one\nSecond line (with parens)", "", "Third page text"]


@pytest.fixture(scope="module")
def pdf_bytes() -> bytes:
    data = build_pdf(PDF_PAGES, title="Sample Manual")
    reader = PdfReader(io.BytesIO(data), strict=True)  # the fixture itself is a valid PDF
    assert "Hello from page one" in reader.pages[0].extract_text()
    return data


# -- dispatch ---------------------------------------------------------------------------


def test_loader_for_and_supported_suffixes() -> None:
    assert loader_for(Path("notes.TXT")) == "text"
    assert loader_for(Path("README")) == "text"
    assert loader_for(Path("LICENSE-MIT")) == "text"
    assert loader_for(Path("Makefile")) == "text"
    assert loader_for(Path("guide.MD")) == "markdown"
    assert loader_for(Path("page.mdx")) == "markdown"
    assert loader_for(Path("index.rst")) == "rst"
    assert loader_for(Path("usage.rst.txt")) == "rst"
    assert loader_for(Path("a.xhtml")) == "html"
    assert loader_for(Path("a.pdf")) == "pdf"
    assert loader_for(Path("a.docx")) == "docx"
    assert loader_for(Path("table.CSV")) == loader_for(Path("t.tsv")) == "csv"
    assert loader_for(Path("analysis.ipynb")) == "notebook"
    assert loader_for(Path("a.eml")) == loader_for(Path("Inbox.mbox")) == "email"
    assert loader_for(Path("film.srt")) == loader_for(Path("talk.vtt")) == "subtitles"
    assert loader_for(Path("book.epub")) == "epub"
    assert loader_for(Path("todo.org")) == "org"
    assert loader_for(Path("paper.tex")) == "latex"
    assert loader_for(Path("rows.csv.gz")) == "gzip+csv"
    assert loader_for(Path("analysis.R")) == "code"
    assert loader_for(Path("lib.rs")) == "code"
    assert loader_for(Path("page.html.gz")) == "gzip+html"
    assert loader_for(Path("ls.1.gz")) == "gzip+text"
    assert loader_for(Path("changelog.Debian.gz")) == "gzip+text"
    assert loader_for(Path("backup.tar.gz")) is None
    assert loader_for(Path("photo.png")) == loader_for(Path("scan.TIFF")) == "image"
    assert loader_for(Path("clip.mp4")) is None
    assert loader_for(Path("rustfmt-ignore")) is None
    assert {".txt", ".md", ".rst", ".html", ".pdf", ".docx", ".py", ".r", ".gz"} <= (
        SUPPORTED_SUFFIXES
    )
    assert all(s == s.lower() and s.startswith(".") for s in SUPPORTED_SUFFIXES)


def test_unknown_types_are_unsupported(tmp_path: Path) -> None:
    with pytest.raises(Unsupported, match=r"unknown file type \.mp4"):
        load_file(write(tmp_path, "clip.mp4", b"\x00\x00\x00\x18ftypmp42"))
    with pytest.raises(Unsupported, match="unknown file type"):
        load_file(write(tmp_path, "rustfmt-ignore", "x"))
    with pytest.raises(Unsupported, match=r"\.tar inside \.gz"):
        load_file(write(tmp_path, "backup.tar.gz", gzip.compress(b"data")))


def test_binary_file_is_unsupported(tmp_path: Path) -> None:
    blob = bytes(range(256)) * 4
    for name in ("blob.txt", "README", "notes.md", "page.html", "tool.py"):
        with pytest.raises(Unsupported, match="binary file"):
            load_file(write(tmp_path, name, blob))


# -- text and encodings -----------------------------------------------------------------

FRENCH = (
    "Le café de la rue était plein. Une crème brûlée, un gâteau très sucré et une bière.\n"
    "Où est la façade ? L'élève naïf répondit : « Voilà ! »\n"
)


def test_utf8_text_blocks_and_line_ranges(tmp_path: Path) -> None:
    paragraphs = [f"Paragraph {n} says" + " word" * (40 + n) for n in range(60)]
    source = "\n\n".join(paragraphs) + "\n"
    doc = load_file(write(tmp_path, "notes.txt", source))
    assert doc.loader == "text" and doc.encoding == "utf-8"
    assert len(doc.sections) > 3
    assert all(len(s.text) <= 4000 for s in doc.sections)
    assert all(s.kind == "prose" and s.heading == () for s in doc.sections)
    assert_line_ranges(doc, source)
    assert doc.sections[0].line_start == 1
    assert doc.sections[-1].line_end == len(source.split("\n")) - 1
    joined = "\n\n".join(s.text for s in doc.sections)
    assert joined == source.strip()


def test_long_lines_and_crlf(tmp_path: Path) -> None:
    source = "first\r\n\r\n" + "x" * 9000 + "\r\nlast\r\n"
    doc = load_file(write(tmp_path, "app.log", source))
    assert doc.sections[0].text == "first" and doc.sections[0].line_start == 1
    long_parts = [s for s in doc.sections if s.line_start == 3]
    assert "".join(s.text for s in long_parts) == "x" * 9000
    assert all(len(s.text) <= 4000 for s in doc.sections)
    assert doc.sections[-1].text == "last" and doc.sections[-1].line_end == 4


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_western_legacy_encodings(tmp_path: Path, encoding: str) -> None:
    source = FRENCH + ("Prix : 5 € – “cité”\n" if encoding == "cp1252" else "")
    doc = load_file(write(tmp_path, "lettre.txt", source, encoding))
    assert doc.sections[0].text == source.strip()
    assert "brûlée" in doc.sections[0].text and "naïf" in doc.sections[0].text
    assert doc.encoding in {"cp1252", "latin_1"}


@pytest.mark.parametrize(
    ("encoding", "sample"),
    [
        ("shift_jis", "日本語のテキストファイルです。これは文字コードのテストです。\n"),
        ("gb2312", "这是一个中文文本文件。我们用它来测试字符编码的检测。北京是中国的首都。\n"),
    ],
)
def test_cjk_legacy_encodings(tmp_path: Path, encoding: str, sample: str) -> None:
    doc = load_file(write(tmp_path, "cjk.txt", sample * 2, encoding))
    assert doc.sections[0].text == (sample * 2).strip()
    assert doc.encoding is not None and doc.encoding.replace("_", "") != "utf8"


def test_mostly_utf8_with_a_stray_byte(tmp_path: Path) -> None:
    data = ("Ünïcödé façade — “naïve” crème brûlée\n" * 3).encode() + b"caf\xe9 au lait\n"
    doc = load_file(write(tmp_path, "mixed.txt", data))
    assert doc.encoding == "utf-8"
    assert doc.sections[0].text.startswith("Ünïcödé façade — “naïve”")
    assert doc.sections[0].text.endswith("caf\ufffd au lait")


def test_short_utf8_with_stray_bytes_that_no_detector_names_is_kept(tmp_path: Path) -> None:
    data = "Über café naïve résumé façade jalapeño piñata ".encode() + b"\xff\xfe cut \xc3 x\n"
    doc = load_file(write(tmp_path, "mixed.txt", data))
    assert doc.encoding == "utf-8"
    text = doc.sections[0].text
    assert text == "Über café naïve résumé façade jalapeño piñata \ufffd\ufffd cut \ufffd x"


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path, "bom.txt", b"\xef\xbb\xbfHello BOM\nline two\n"))
    assert doc.encoding == "utf-8-sig"
    assert doc.sections[0].text == "Hello BOM\nline two"


def test_utf16_with_bom_is_text_not_binary(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path, "wide.txt", "Grüße aus UTF-16\n", "utf-16"))
    assert doc.sections[0].text == "Grüße aus UTF-16"


def test_empty_text_file_has_no_sections(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path, "empty.txt", b""))
    assert doc.sections == []


# -- markdown ---------------------------------------------------------------------------

MARKDOWN = """\
---
title: "Front Matter Title"
tags: [a, b]
---

Intro paragraph before any heading.

# Guide

Welcome.

## Installation ##

Install it.

### On Linux

```sh
# not a heading
apt install thing
```

### On macOS

~~~
## also not a heading
~~~

Usage
-----

Use it.

Appendix
========

The end.
"""


def test_markdown_headings_front_matter_and_fences(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path, "guide.md", MARKDOWN))
    assert doc.loader == "markdown"
    assert doc.title == "Front Matter Title"
    assert headings(doc) == [
        (),
        ("Guide",),
        ("Guide", "Installation"),
        ("Guide", "Installation", "On Linux"),
        ("Guide", "Installation", "On macOS"),
        ("Guide", "Usage"),
        ("Appendix",),
    ]
    ranges = [(s.line_start, s.line_end) for s in doc.sections]
    assert ranges == [(6, 6), (8, 10), (12, 14), (16, 21), (23, 27), (29, 32), (34, 37)]
    assert_line_ranges(doc, MARKDOWN)
    assert doc.sections[1].text.startswith("# Guide")
    assert "# not a heading" in doc.sections[3].text
    assert "title:" not in "".join(s.text for s in doc.sections)


def test_markdown_title_falls_back_to_first_h1(tmp_path: Path) -> None:
    source = "Some text.\n\n---\n\n## Second level\n\n# The Title\n\nBody\n"
    doc = load_file(write(tmp_path, "notes.markdown", source))
    assert doc.title == "The Title"
    assert headings(doc) == [(), ("Second level",), ("The Title",)]
    assert_line_ranges(doc, source)


def test_markdown_without_headings(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path, "plain.md", "just text\n- a list\n"))
    assert doc.title is None
    assert headings(doc) == [()]


# -- reStructuredText -------------------------------------------------------------------

RST = """\
============
 Main Title
============

Intro text.

Section One
-----------

Body one.

Sub A
~~~~~

Sub body.

Section Two
-----------

Body two::

    literal
    =======

Short
==
"""


def test_rst_sections_and_levels(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path, "index.rst", RST))
    assert doc.loader == "rst"
    assert doc.title == "Main Title"
    assert headings(doc) == [
        ("Main Title",),
        ("Main Title", "Section One"),
        ("Main Title", "Section One", "Sub A"),
        ("Main Title", "Section Two"),
    ]
    assert [(s.line_start, s.line_end) for s in doc.sections] == [
        (1, 5),
        (7, 10),
        (12, 15),
        (17, 26),
    ]
    assert_line_ranges(doc, RST)


def test_rst_levels_follow_first_appearance(tmp_path: Path) -> None:
    source = "Alpha\n*****\n\nBeta\n=====\n\nGamma\n*****\n\nDelta\n=====\n"
    doc = load_file(write(tmp_path, "order.rst", source))
    assert headings(doc) == [("Alpha",), ("Alpha", "Beta"), ("Gamma",), ("Gamma", "Delta")]


# -- HTML -------------------------------------------------------------------------------

HTML = """\
<!DOCTYPE html>
<html><head><title>  Sample   Page </title>
<style>body { color: red }</style>
<script>var x = "<h1>fake</h1>";</script>
</head>
<body>
<noscript>Enable JS</noscript>
<p>Intro   text
spread over lines.</p>
<h1>Top</h1>
<p>First <b>bold</b> para.</p>
<h2>Details</h2>
<ul><li>one</li><li>two</li></ul>
<pre>
  keep
    this   spacing<br>after break</pre>
<table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>
<h2>More</h2>
<p>x &amp; y<br>next line</p>
<svg><title>icon</title><text>svg text</text></svg>
<template><p>hidden</p></template>
</body></html>
"""


def test_html_structure(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path, "page.html", HTML))
    assert doc.loader == "html"
    assert doc.title == "Sample Page"
    assert headings(doc) == [(), ("Top",), ("Top", "Details"), ("Top", "More")]
    intro, top, details, more = (s.text for s in doc.sections)
    assert intro == "Intro text spread over lines."
    assert top == "Top\n\nFirst bold para."
    assert "one\ntwo" in details
    assert "  keep\n    this   spacing\nafter break" in details
    assert details.endswith("after break\n\nA: 1; B: 2")  # a small table stays in its section
    assert more == "More\n\nx & y\nnext line"
    everything = " ".join(s.text for s in doc.sections)
    for hidden in ("fake", "color", "Enable JS", "svg text", "icon", "hidden"):
        assert hidden not in everything
    assert all(s.line_start is None for s in doc.sections)


def test_html_meta_charset(tmp_path: Path) -> None:
    source = '<html><head><meta charset="iso-8859-1"><title>Caf\xe9</title></head>'
    source += "<body><p>Cr\xe8me br\xfbl\xe9e et na\xefvet\xe9</p></body></html>"
    doc = load_file(write(tmp_path, "old.htm", source, "latin-1"))
    assert doc.title == "Café"
    assert doc.sections[0].text == "Crème brûlée et naïveté"
    assert doc.encoding == "cp1252"


def test_html_unclosed_head_does_not_hide_body(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path, "sloppy.html", "<html><head><title>T</title><p>Body text"))
    assert doc.title == "T"
    assert doc.sections[0].text == "Body text"
    doc = load_file(write(tmp_path, "worse.html", "<title>Unclosed<body><h1>H</h1>text"))
    assert doc.title == "Unclosed"
    assert headings(doc) == [("H",)] and doc.sections[0].text == "H\n\ntext"


# -- PDF --------------------------------------------------------------------------------


def test_pdf_pages_and_title(tmp_path: Path, pdf_bytes: bytes) -> None:
    doc = load_file(write(tmp_path, "manual.pdf", pdf_bytes))
    assert doc.loader == "pdf"
    assert doc.title == "Sample Manual"
    assert [s.page for s in doc.sections] == [1, 3]  # the blank page 2 is skipped
    assert doc.sections[0].text == "Hello from page one\nSecond line (with parens)"
    assert doc.sections[1].text == "Third page text"


def test_pdf_file_name_titles_are_dropped(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path, "a.pdf", build_pdf(["x"], title="debian-tutorial.dvi")))
    assert doc.title is None
    doc = load_file(write(tmp_path, "b.pdf", build_pdf(["x"], title="Microsoft Word - Notes")))
    assert doc.title == "Notes"


def test_pdf_without_text_has_no_sections(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path, "scan.pdf", build_pdf(["", ""])))
    assert doc.sections == [] and doc.title is None


@pytest.mark.parametrize("cut", [0.5, 0.9, 0.99, 40])
def test_truncated_pdf_is_a_loader_error(
    tmp_path: Path, pdf_bytes: bytes, cut: float, capsys: pytest.CaptureFixture[str]
) -> None:
    size = int(len(pdf_bytes) * cut) if cut < 1 else int(cut)
    path = write(tmp_path, "broken.pdf", pdf_bytes[:size])
    with pytest.raises(LoaderError, match=r"broken\.pdf is not a readable PDF .*re-download"):
        load_file(path)
    assert capsys.readouterr() == ("", "")  # nothing printed, even though pypdf complains


def test_garbage_and_empty_pdf(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match="not a readable PDF"):
        load_file(write(tmp_path, "fake.pdf", "this is not a pdf at all\n" * 20))
    with pytest.raises(LoaderError, match="empty file"):
        load_file(write(tmp_path, "zero.pdf", b""))


def test_encrypted_pdf(tmp_path: Path, pdf_bytes: bytes) -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes)))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(LoaderError, match=r"locked\.pdf is an encrypted PDF"):
        load_file(write(tmp_path, "locked.pdf", out.getvalue()))


def test_pdf_encrypted_with_empty_password_opens(tmp_path: Path, pdf_bytes: bytes) -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes)))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    doc = load_file(write(tmp_path, "open.pdf", out.getvalue()))
    assert [s.page for s in doc.sections] == [1, 3]


# -- source code ------------------------------------------------------------------------

PYTHON = '''\
"""Module docstring."""

import os


# A helper comment
def helper(x):
    return x + 1


@decorator
@other(
    arg=1,
)
class Widget:
    def method(self):
        pass


async def fetch():
    return os.sep
'''


def test_python_definitions(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path, "module.py", PYTHON))
    assert doc.loader == "code"
    assert headings(doc) == [(), ("helper",), ("Widget",), ("fetch",)]
    assert [(s.line_start, s.line_end) for s in doc.sections] == [
        (1, 3),
        (6, 8),
        (11, 17),
        (20, 21),
    ]
    assert all(s.kind == "code" for s in doc.sections)
    assert doc.sections[1].text.startswith("# A helper comment\ndef helper")
    assert_line_ranges(doc, PYTHON)


RUST = """\
//! Crate docs.
use std::fmt;

/// A point.
#[derive(Debug)]
pub struct Point {
    x: i32,
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.x)
    }
}

pub(crate) async fn main() {
    println!("hi");
}

#[cfg(test)]
mod tests {
    #[test]
    fn it_works() {}
}
"""


def test_rust_definitions(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path, "lib.rs", RUST))
    assert headings(doc) == [
        (),
        ("Point",),
        ("impl fmt::Display for Point",),
        ("main",),
        ("tests",),
    ]
    assert [(s.line_start, s.line_end) for s in doc.sections] == [
        (1, 2),
        (4, 8),
        (10, 14),
        (16, 18),
        (20, 24),
    ]
    assert_line_ranges(doc, RUST)


def test_other_languages(tmp_path: Path) -> None:
    go = "package main\n\n// Add adds.\nfunc Add(a, b int) int {\n\treturn a + b\n}\n\n"
    go += "func (s *Server) Start() error {\n\treturn nil\n}\n\ntype Config struct {\n}\n"
    doc = load_file(write(tmp_path, "main.go", go))
    assert headings(doc) == [(), ("Add",), ("Start",), ("Config",)]
    assert doc.sections[1].line_start == 3

    ts = "import x from 'y';\n\n/**\n * Docs.\n */\nexport function run() {\n}\n\n"
    ts += "export const handler = async (event) => {\n};\n\nexport class Store {\n}\n"
    doc = load_file(write(tmp_path, "app.ts", ts))
    assert headings(doc) == [(), ("run",), ("handler",), ("Store",)]
    assert doc.sections[1].line_start == 3

    c = "#include <stdio.h>\n\nstruct point;\n\nint\nmain(void)\n{\n  return 0;\n}\n\n"
    c += "static int add(int a, int b) {\n  return a + b;\n}\n"
    doc = load_file(write(tmp_path, "main.c", c))
    assert headings(doc) == [(), ("main",), ("add",)]
    assert doc.sections[1].line_start == 5
    assert_line_ranges(doc, c)


def test_data_formats_are_plain_code(tmp_path: Path) -> None:
    source = "[package]\nname = 'x'\n\n[dependencies]\nserde = '1'\n"
    doc = load_file(write(tmp_path, "Cargo.toml", source))
    assert doc.loader == "code"
    assert headings(doc) == [()]
    assert doc.sections[0].kind == "code"
    assert_line_ranges(doc, source)


# -- docx -------------------------------------------------------------------------------


def test_docx_headings_and_tables(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Doc Title", 0)
    document.add_paragraph("Opening words.")
    document.add_heading("Chapter 1", 1)
    document.add_paragraph("Chapter one text.")
    document.add_heading("Part A", 2)
    table = document.add_table(rows=2, cols=2)
    for row, values in zip(table.rows, [("Name", "Value"), ("speed", "42")], strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_heading("Chapter 2", 1)
    document.add_paragraph("Chapter two text.")
    path = tmp_path / "report.docx"
    document.save(str(path))

    doc = load_file(path)
    assert doc.loader == "docx"
    assert doc.title == "Doc Title"
    assert headings(doc) == [
        ("Doc Title",),
        ("Doc Title", "Chapter 1"),
        ("Doc Title", "Chapter 1", "Part A"),
        ("Doc Title", "Chapter 2"),
    ]
    assert doc.sections[0].text == "Doc Title\n\nOpening words."
    assert doc.sections[2].text == "Part A\n\nName | Value\nspeed | 42"
    assert doc.sections[3].text == "Chapter 2\n\nChapter two text."


def test_docx_custom_heading_styles(tmp_path: Path) -> None:
    import docx
    from docx.enum.style import WD_STYLE_TYPE

    document = docx.Document()
    custom = document.styles.add_style("Fancy Section", WD_STYLE_TYPE.PARAGRAPH)
    custom.base_style = document.styles["Heading 2"]
    document.add_heading("Top", 1)
    document.add_paragraph("Under fancy", style="Fancy Section")
    document.add_paragraph("body")
    path = tmp_path / "custom.docx"
    document.save(str(path))
    doc = load_file(path)
    assert headings(doc) == [("Top",), ("Top", "Under fancy")]


def test_corrupt_docx(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match=r"bad\.docx is not a readable Word document"):
        load_file(write(tmp_path, "bad.docx", b"PK\x03\x04 definitely not a zip"))
    import zipfile

    path = tmp_path / "nodoc.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(LoaderError, match="not a readable Word document"):
        load_file(path)


def test_a_docx_that_unpacks_past_the_size_limit_is_refused_before_parsing(
    tmp_path: Path,
) -> None:
    import docx

    document = docx.Document()
    for _ in range(400):
        document.add_paragraph("zebra " * 500)  # ~1.2 MB of text, ~30 KB packed
    path = tmp_path / "bomb.docx"
    document.save(str(path))
    assert path.stat().st_size < 512 * 1024
    with pytest.raises(
        LoaderError,
        match=r"bomb\.docx unpacks to \d\.\d MiB, over the "
        r"512\.0 KiB limit set by ingest\.max_file_mb",
    ):
        load_file(path, max_bytes=512 * 1024)
    assert "zebra" in load_file(path).sections[0].text  # the default limit reads it


# -- gzip -------------------------------------------------------------------------------


def test_gzipped_html_and_text(tmp_path: Path) -> None:
    doc = load_file(write(tmp_path, "page.html.gz", gzip.compress(HTML.encode())))
    assert doc.loader == "gzip+html"
    assert doc.title == "Sample Page"
    assert headings(doc)[1] == ("Top",)

    doc = load_file(write(tmp_path, "notes.txt.gz", gzip.compress(FRENCH.encode("cp1252"))))
    assert doc.loader == "gzip+text"
    assert doc.sections[0].text == FRENCH.strip()

    doc = load_file(write(tmp_path, "ls.1.gz", gzip.compress(b".TH LS 1\nlist files\n")))
    assert doc.loader == "gzip+text"


def test_gzip_bomb_is_capped(tmp_path: Path) -> None:
    path = write(tmp_path, "bomb.txt.gz", gzip.compress(b"a" * (4 * 1024 * 1024)))
    assert path.stat().st_size < 64 * 1024
    with pytest.raises(LoaderError, match=r"decompresses to more than .*ingest\.max_file_mb"):
        load_file(path, max_bytes=256 * 1024)


def test_corrupt_gzip(tmp_path: Path) -> None:
    with pytest.raises(LoaderError, match=r"bad\.md\.gz is not a valid gzip file"):
        load_file(write(tmp_path, "bad.md.gz", b"\x1f\x8b\x08\x00garbage garbage"))
    truncated = gzip.compress(MARKDOWN.encode() * 20)[:200]
    with pytest.raises(LoaderError, match="not a valid gzip file"):
        load_file(write(tmp_path, "cut.md.gz", truncated))
    with pytest.raises(Unsupported, match="binary file"):
        load_file(write(tmp_path, "blob.txt.gz", gzip.compress(bytes(range(256)))))


# -- file system errors -----------------------------------------------------------------


def test_file_over_size_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "big.txt", "x" * 5000)
    with pytest.raises(LoaderError, match=r"big\.txt is 4\.9 KiB, over the .*ingest\.max_file_mb"):
        load_file(path, max_bytes=1000)
    assert load_file(path, max_bytes=5000).sections


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads anyway")
def test_unreadable_file_chmod(tmp_path: Path) -> None:
    path = write(tmp_path, "secret.txt", "hidden")
    path.chmod(0)
    try:
        with pytest.raises(LoaderError, match="Permission denied reading"):
            load_file(path)
    finally:
        path.chmod(0o644)


def test_permission_error_mapping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "secret.txt", "hidden")

    def deny(self: Path, *args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", deny)
    with pytest.raises(LoaderError) as info:
        load_file(path)
    assert str(info.value) == (
        f"Permission denied reading {path}: check the file's permissions or add it to "
        "ingest.ignore."
    )


def test_vanished_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(LoaderError, match=r"gone\.md vanished while it was being read\."):
        load_file(tmp_path / "gone.md")
    path = write(tmp_path, "racy.txt", "here for now")

    def vanish(self: Path, *args: object, **kwargs: object) -> object:
        raise FileNotFoundError(2, "No such file or directory", str(self))

    monkeypatch.setattr(Path, "open", vanish)
    with pytest.raises(LoaderError) as info:
        load_file(path)
    assert str(info.value) == f"{path} vanished while it was being read."


def test_directory_and_broken_symlink(tmp_path: Path) -> None:
    (tmp_path / "folder.md").mkdir()
    with pytest.raises(LoaderError, match=r"Could not read .*folder\.md: Is a directory\."):
        load_file(tmp_path / "folder.md")
    link = tmp_path / "dangling.txt"
    link.symlink_to(tmp_path / "nowhere.txt")
    with pytest.raises(LoaderError, match="broken symbolic link"):
        load_file(link)


def test_random_bytes_never_escape(tmp_path: Path, pdf_bytes: bytes) -> None:
    """Whatever the bytes, only LoadedDocument, LoaderError or Unsupported come out."""
    rng = random.Random(1234)
    samples = [
        bytes(rng.randrange(256) for _ in range(300)),
        bytes(rng.randrange(1, 256) for _ in range(300)),  # no NUL: passes the binary sniff
        pdf_bytes[: len(pdf_bytes) // 3],
        b"PK\x03\x04" + bytes(rng.randrange(256) for _ in range(100)),
        b"\x1f\x8b" + bytes(rng.randrange(1, 256) for _ in range(100)),
        b"<html><h1>unclosed <pre><table><td>x" * 3,
    ]
    names = sorted({f"sample{suffix}" for suffix in SUPPORTED_SUFFIXES} | {"x.html.gz"})
    for name in names:
        for data in samples:
            try:
                doc = load_file(write(tmp_path, name, data))
            except (LoaderError, Unsupported) as exc:
                message = str(exc)
                assert message and "\n" not in message and "please report" not in message
            else:
                assert isinstance(doc, LoadedDocument)
                assert all(isinstance(s, Section) and s.text for s in doc.sections)


# -- real files from the shared data, read in place ------------------------------------

needs_data = pytest.mark.skipif(
    not PERSONAL_DOCS.is_dir(), reason=f"shared data not found at {PERSONAL_DOCS}"
)


def _first(pattern: str) -> Path:
    found = sorted(PERSONAL_DOCS.glob(pattern))
    if not found:
        pytest.skip(f"no file matches {pattern} under {PERSONAL_DOCS}")
    return found[0]


@needs_data
def test_real_docx() -> None:
    first = _first("**/*.docx")
    assert isinstance(load_file(first), LoadedDocument)
    chapter = _first("**/nostarch/docx/chapter01.docx")  # publisher styles "HeadA".."HeadC"
    doc = load_file(chapter)
    assert len(doc.sections) > 3
    assert any(len(s.heading) >= 2 for s in doc.sections)


@needs_data
def test_real_strict_ooxml_docx() -> None:
    path = _first("**/strict-format.docx")
    with pytest.raises(LoaderError, match="Strict Open XML"):
        load_file(path)


@needs_data
def test_real_tldr_pages() -> None:
    english = load_file(_first("**/tldr-pages/pages/common/tar.md"))
    assert english.title == "tar"
    assert english.sections and "tar" in english.sections[0].text

    german = load_file(_first("**/tldr-pages/pages.de/common/*.md"))
    assert german.sections and german.title

    chinese_path = _first("**/tldr-pages/pages.zh/common/*.md")
    chinese = load_file(chinese_path)
    assert chinese.sections and chinese.encoding == "utf-8"
    assert any(CJK.search(s.text) for s in chinese.sections)
    source = chinese_path.read_text(encoding="utf-8")
    assert_line_ranges(chinese, source)


@needs_data
def test_real_latin1_gutenberg_text() -> None:
    path = _first("gutenberg/**/*-8.txt")
    doc = load_file(path)
    assert doc.encoding not in {None, "utf-8"}
    assert doc.sections and "\ufffd" not in "".join(s.text for s in doc.sections[:20])


@needs_data
def test_real_rust_listing() -> None:
    path = _first("**/rust-lang-book/listings/**/src/main.rs")
    doc = load_file(path)
    assert any(s.heading == ("main",) for s in doc.sections)
    assert_line_ranges(doc, path.read_text(encoding="utf-8"))
