"""Org-mode and LaTeX: headings become the heading path, lines keep their numbers, and
what a reader never sees (comments, the preamble, drawers) is left out."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from ragtui.core.ingest.document import LoadedDocument, LoaderError
from ragtui.core.ingest.loaders import load_file, loader_for
from tests.unit.reference_text import (
    PERSONAL_DOCS,
    assert_one_sentence,
    in_order,
    paragraphs,
    recall,
)

_LATEX_SPECIAL = re.compile(r"([&%$#_{}])")


def wrap(text: str, width: int = 72) -> str:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join([*lines, line])


def where(doc: LoadedDocument, needle: str) -> tuple[tuple[str, ...], int, int]:
    for section in doc.sections:
        if needle in section.text:
            assert section.line_start is not None and section.line_end is not None
            return section.heading, section.line_start, section.line_end
    raise AssertionError(needle)


def org_source() -> str:
    texts = paragraphs()
    return "\n".join(
        [
            "#+TITLE: Notes on the Angler",
            "#+AUTHOR: a reader",
            "",
            wrap(texts[0]),
            "",
            "* TODO [#A] The first edition                                   :books:walton:",
            ":PROPERTIES:",
            ":CUSTOM_ID: first-edition-drawer",
            ":END:",
            "SCHEDULED: <2024-03-05 Tue>",
            wrap(texts[1]),
            "# a private comment nobody exports",
            "** Price",
            wrap(texts[2]),
            "#+BEGIN_COMMENT",
            "hidden paragraph in a comment block",
            "#+END_COMMENT",
            "#+BEGIN_SRC python",
            "* not_a_heading = 1  # inside a source block",
            "#+END_SRC",
            "* DONE Advertisements",
            wrap(texts[3]),
            "See [[https://www.gutenberg.org/ebooks/9198][the Gutenberg edition]].",
            "** In the Mercurius Politicus",
            wrap(texts[4]),
            "*** Later prices",
            wrap(texts[5]),
            "",
        ]
    )


def test_org_headlines_and_lines(tmp_path: Path) -> None:
    source = org_source()
    path = tmp_path / "angler.org"
    path.write_text(source, encoding="utf-8")
    doc = load_file(path)
    assert doc.loader == "org" == loader_for(path) and doc.title == "Notes on the Angler"
    text = "\n".join(s.text for s in doc.sections)
    reference = " ".join(paragraphs())
    assert recall(reference, text) >= 0.98 and in_order(reference, text) >= 0.98
    for hidden in ("private comment", "hidden paragraph", "CUSTOM_ID", "drawer", "SCHEDULED"):
        assert hidden not in text
    assert "not_a_heading = 1" in text and "the Gutenberg edition" in text
    lines = source.split("\n")
    heading, start, end = where(doc, paragraphs()[2][:40])
    assert heading == ("The first edition", "Price")
    assert lines[start - 1] == "** Price" and lines[end - 1].startswith("* not_a_heading")
    assert where(doc, paragraphs()[5][:40])[0] == (
        "Advertisements",
        "In the Mercurius Politicus",
        "Later prices",
    )
    assert where(doc, paragraphs()[0][:40])[0] == ()


def latex_source() -> str:
    texts = [_LATEX_SPECIAL.sub(r"\\\1", t) for t in paragraphs()]
    return "\n".join(
        [
            r"\documentclass{book}",
            r"\usepackage[utf8]{inputenc}",
            r"\newcommand{\angler}{Walton}",
            r"\title{Notes on \emph{The Compleat Angler}}",
            r"\begin{document}",
            r"\maketitle",
            r"\chapter{The First Edition\label{ch:first}}",
            wrap(texts[0]),
            "",
            r"% a comment the reader never sees",
            r"\section[Price]{Its Price\index{price} in",
            r"  the Nineteenth Century}",
            wrap(texts[1]) + r"\footnote{As Westwood reckoned it.}",
            r"\iffalse",
            r"an old draft paragraph that was switched off",
            r"\fi",
            r"\begin{itemize}",
            r"\item " + texts[2],
            r"\end{itemize}",
            r"\begin{verbatim}",
            r"raw_text = 50% {kept}  % as typed",
            r"\end{verbatim}",
            r"\chapter*{Advertisements}",
            wrap(texts[3]) + r" (see Section~\ref{ch:first}).",
            r"\subsection{In the \textit{Mercurius Politicus}}",
            r"\begin{quote}",
            wrap(texts[4]),
            r"\end{quote}",
            r"\begin{comment}",
            r"a comment environment nobody reads",
            r"\end{comment}",
            "``Quoted'' --- \\emph{with} caf\\'e and na\\\"ive and Fran\\c{c}ais \\& more.",
            wrap(texts[5]),
            r"\end{document}",
            r"text after the end",
        ]
    )


def test_latex_sections_text_and_lines(tmp_path: Path) -> None:
    source = latex_source()
    path = tmp_path / "angler.tex"
    path.write_text(source, encoding="utf-8")
    doc = load_file(path)
    assert doc.loader == "latex" == loader_for(path)
    assert doc.title == "Notes on The Compleat Angler"
    text = "\n".join(s.text for s in doc.sections)
    reference = " ".join(paragraphs())
    assert recall(reference, text) >= 0.98 and in_order(reference, text) >= 0.98
    for hidden in ("comment the reader", "old draft", "nobody reads", "after the end", "inputenc"):
        assert hidden not in text
    assert "\\" not in text.replace("raw_text", "")
    assert "raw_text = 50% {kept}  % as typed" in text  # verbatim stays verbatim
    assert "“Quoted” — with café and naïve and Français & more." in text
    assert "As Westwood reckoned it." in text and "ch:first" not in text
    lines = source.split("\n")
    heading, start, end = where(doc, "As Westwood reckoned it.")
    assert heading == ("The First Edition", "Its Price in the Nineteenth Century")
    assert lines[start - 1].startswith(r"\section[Price]") and lines[end - 1].startswith("raw_")
    heading, start, _ = where(doc, paragraphs()[4][:40])
    assert heading == ("Advertisements", "In the Mercurius Politicus")
    assert lines[start - 1].startswith(r"\subsection")


@pytest.mark.parametrize("name", ["broken.org", "broken.tex"])
def test_undecodable_text_fails_with_one_sentence(tmp_path: Path, name: str) -> None:
    rng = random.Random(1)
    path = tmp_path / name
    path.write_bytes(bytes(rng.randrange(128, 256) for _ in range(400)))
    with pytest.raises(LoaderError, match="could not be decoded as text") as err:
        load_file(path)
    assert_one_sentence(str(err.value), str(path))


REAL_TEX = (
    PERSONAL_DOCS / "gutenberg" / "Debian-GNULinux-Guide-to-Installation-and-Usage_6527"
    / "6527-t" / "6527-t.tex"
)  # fmt: skip


@pytest.mark.skipif(not REAL_TEX.is_file(), reason=f"shared data not found at {REAL_TEX}")
def test_real_latex_book() -> None:
    """Project Gutenberg's LaTeX edition of the Debian guide (e-book 6527, GPL)."""
    doc = load_file(REAL_TEX)
    assert doc.title == "Debian GNU/Linux: Guide to Installation and Usage"
    headings = {s.heading[-2:] for s in doc.sections if s.heading}
    assert ("Introduction", "What Is Debian?") in headings
    assert ("Getting Started", "Partitioning Your Hard Drive") in headings  # \index dropped
    text = "\n".join(s.text for s in doc.sections)
    assert "Debian is a free operating system (OS) for your computer." in text
    assert not re.search(r"\\[A-Za-z]+", text.replace("\\\\", ""))
    lines = REAL_TEX.read_text(encoding="utf-8", errors="replace").split("\n")
    _, start, _ = where(doc, "Debian is a free operating system (OS)")
    assert lines[start - 1].startswith(r"\section{What Is Debian?")
