"""The RTF loader: text through groups, escapes and Unicode; the tables a reader never
sees left out; a file that is not RTF, or is cut short, refused with one sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragtui.core.ingest.document import LoaderError
from ragtui.core.ingest.loaders import load_file, loader_for
from tests.unit.office_files import rtf_escape
from tests.unit.reference_text import assert_one_sentence, in_order, paragraphs, recall

HEADER = (
    r"{\rtf1\ansi\ansicpg1252\deff0\uc1"
    r"{\fonttbl{\f0\froman\fcharset0 Times New Roman;}{\f1\fswiss\fcharset204 Arial Cyr;}}"
    r"{\colortbl;\red0\green0\blue0;}"
    r"{\stylesheet{\s0 Normal;}{\s1\b Heading 1;}}"
    r"{\*\generator Riched20 10.0.19041}"
    r"{\info{\title The Compleat Angler}{\author Anon Scrivener}}"
    r"{\header\pard header on every page\par}"
    "\n"
)


def document() -> str:
    t = [rtf_escape(text) for text in paragraphs()]
    return (
        HEADER
        + r"\pard\plain\s1\b Of Fishing\b0\par"
        + "\n"
        + rf"\pard {t[0]}\par"
        + "\n"
        + rf"{{\pard {t[1][:80]}"
        + "\r\n"
        + rf"{t[1][80:]}\par}}"
        + r"{\pict\wmetafile8\picw100\pich100 0102030405060708090a0b0c0d0e0f}"
        + rf"\pard {t[2]}{{\*\bkmkstart middle}}\par"
        + r"\pard Caf\'e9 cr\u232?me, \u8212? a dash, \f1 \'cf\'f0\'e8\'e2\'e5\'f2\f0  and "
        + r"\emdash\~\ldblquote quoted\rdblquote\tab tabbed \{braces\}\line next\par"
        + r"{\field{\*\fldinst HYPERLINK \"https://example.org\"}{\fldrslt the link text}}\par"
        + r"\trowd\cellx1000\cellx2000 fish\cell river\cell\row"
        + r"\trowd\cellx1000\cellx2000 trout\cell Lea\cell\row"
        + rf"\pard {t[3]}\par {t[4]}\par {t[5]}\par"
        + r"{\*\annotation a private comment}"
        + "}\n\0"
    )


def test_rtf_text_escapes_and_skipped_groups(tmp_path: Path) -> None:
    path = tmp_path / "angler.rtf"
    path.write_bytes(document().encode("ascii"))
    doc = load_file(path)
    assert doc.loader == "rtf" == loader_for(path) and doc.title == "The Compleat Angler"
    assert len(doc.sections) == 1 and doc.sections[0].heading == ()
    text = doc.sections[0].text
    reference = " ".join(paragraphs())
    assert recall(reference, text) >= 0.98 and in_order(reference, text) >= 0.98
    assert text.startswith("Of Fishing\n")
    assert "Café crème, — a dash, Привет and —" in text  # \'hh in the font's charset
    assert "\u201cquoted\u201d tabbed {braces}\nnext" in text  # a tab is a space
    assert "the link text" in text and "HYPERLINK" not in text
    assert "fish | river\ntrout | Lea" in text
    assert paragraphs()[1] in text  # a raw line break inside a paragraph is not text
    for hidden in ("Times New", "Normal", "Riched", "Scrivener", "header on", "0102", "middle",
                   "private comment"):  # fmt: skip
        assert hidden not in text, hidden


def test_rtf_surrogate_pairs(tmp_path: Path) -> None:
    path = tmp_path / "emoji.rtf"
    path.write_bytes(("{\\rtf1\\ansi " + rtf_escape("a fish \U0001f41f here") + "\\par}").encode())
    assert load_file(path).sections[0].text == "a fish \U0001f41f here"
    path.write_bytes(b"{\\rtf1 a\\u-9999999983? b\\u99999999? c}")  # out of range: replaced
    assert load_file(path).sections[0].text == "a\ufffd b\ufffd c"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"just some text\n", r"is not an RTF file \(it does not start with \{\\rtf\)"),
        (document().encode()[:2000], r"ends with \d+ group\(s\) still open"),
        (b"{\\rtf1" + b"{" * 600 + b"}" * 600 + b"}", "nests its groups more than 512 deep"),
    ],
)
def test_broken_rtf_fails_with_one_sentence(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "broken.rtf"
    path.write_bytes(data)
    with pytest.raises(LoaderError, match=message) as err:
        load_file(path)
    assert_one_sentence(str(err.value), str(path))
