"""A folder with one file of each format added for issue 18, indexed on the real stack
(catalog, Tantivy and, in the slow variant, LanceDB and the default embedding model):
a phrase from each file is found in that file, at the right location, and `--type`
narrows to it."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from ragtui.core.engine import create_engine
from tests.unit.office_files import odf, pptx, pptx_slide, rtf_escape, xlsx
from tests.unit.reference_text import paragraphs

# phrase searched for → (file name, the hit's location label or a part of it)
EXPECTED = {
    "grayling caught on a small red fly at dusk below the weir": ("catch-log.csv", "rows 2–4"),
    "logistic regression accuracy on the held-out trout photographs": (
        "trout.ipynb",
        "Trout classifier > cells 1–3",
    ),
    "two dozen mayfly nymphs and a spool of silk line": (
        "order.eml",
        "Tackle order for the spring — Charles Cotton, 2024-03-05",
    ),
    "the thatched house has a room free for the Whitsun week": (
        "letters.mbox",
        "Lodging at Ware — Piscator, 2024-05-02",
    ),
    "the otter is the greater thief of fish in our stretch": ("film.srt", "00:02:08–00:02:14"),
    "herons stand motionless in the shallows at first light": (
        "birds.epub",
        "The Heron and the Otter",
    ),
    "the bees swarmed in the old pear tree on the ninth of June": ("garden.org", "Garden > Bees"),
    "spring tides at the estuary come two days after the full moon": (
        "tides.tex",
        "Coasts > Tides",
    ),
    "the fly box holds forty wet flies and a dozen dry ones": ("tackle.xlsx", "Tackle · rows 2–3"),
    "practise the roll cast on still water before breakfast": ("casting.pptx", "slide 2 · Casting"),
    "bake the trout with sorrel and a little fresh butter": ("recipes.odt", "Kitchen > Trout"),
    "the Dove runs clear and cold over limestone": ("rivers.ods", "Rivers · rows 2–3"),
    "the blood knot joins two lengths of nylon": ("knots.odp", "slide 1 · Knots"),
    "the carp in the mill pond grow fat on the miller's bread": ("letter.rtf", ""),
}


def _mail(subject: str, sender: str, date: str, body: str) -> str:
    return f"From: {sender}\nTo: izaak@example.org\nDate: {date}\nSubject: {subject}\n\n{body}\n"


def _epub() -> bytes:
    chapter = (
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Birds</title></head><body>'
        "<h1>The Heron and the Otter</h1><p>Herons stand motionless in the shallows at first "
        "light, and the otter hunts the pool at night.</p></body></html>"
    )
    opf = (
        '<package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Birds of the River</dc:title>'
        '</metadata><manifest><item id="c1" href="c1.xhtml" '
        'media-type="application/xhtml+xml"/></manifest><spine><itemref idref="c1"/></spine>'
        "</package>"
    )
    container = (
        '<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
        '<rootfile full-path="book.opf" media-type="application/oebps-package+xml"/>'
        "</rootfiles></container>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
        archive.writestr("META-INF/container.xml", container)
        archive.writestr("book.opf", opf)
        archive.writestr("c1.xhtml", chapter)
    return out.getvalue()


def _office(root: Path, filler: tuple[str, ...]) -> None:
    tackle = [
        ["item", "note"],
        ["rod", "eleven feet of split cane"],
        ["fly box", "holds forty wet flies and a dozen dry ones"],
    ]
    (root / "tackle.xlsx").write_bytes(xlsx([("Tackle", tackle, "")]))
    slides = [
        (pptx_slide("Knots and lines", [filler[0]]), None),
        (pptx_slide("Casting", ["Keep the elbow low."]),
         "Practise the roll cast on still water before breakfast."),
    ]  # fmt: skip
    (root / "casting.pptx").write_bytes(pptx(slides))
    (root / "recipes.odt").write_bytes(
        odf(
            "text",
            f'<text:h text:outline-level="1">Kitchen</text:h><text:p>{escape(filler[1])}</text:p>'
            '<text:h text:outline-level="2">Trout</text:h><text:p>Bake the trout with sorrel '
            f"and a little fresh butter.</text:p><text:p>{escape(filler[2])}</text:p>",
        )
    )
    cells = "".join(
        "<table:table-row>"
        + "".join(f"<table:table-cell><text:p>{c}</text:p></table:table-cell>" for c in row)
        + "</table:table-row>"
        for row in (["river", "note"], ["Lea", "slow and weedy"],
                    ["Dove", "runs clear and cold over limestone"])
    )  # fmt: skip
    (root / "rivers.ods").write_bytes(
        odf("spreadsheet", f'<table:table table:name="Rivers">{cells}</table:table>')
    )
    frame = '<draw:frame presentation:class="{}"><draw:text-box><text:p>{}</text:p>'
    (root / "knots.odp").write_bytes(
        odf(
            "presentation",
            '<draw:page draw:name="page1">'
            + frame.format("title", "Knots")
            + "</draw:text-box></draw:frame>"
            + frame.format("outline", "The blood knot joins two lengths of nylon.")
            + "</draw:text-box></draw:frame></draw:page>",
        )
    )
    (root / "letter.rtf").write_text(
        r"{\rtf1\ansi{\fonttbl{\f0 Times;}}\pard Dear brother,\par "
        + rtf_escape("The carp in the mill pond grow fat on the miller’s bread. ")
        + rtf_escape(filler[3])
        + r"\par}"
    )


def _corpus(root: Path) -> Path:
    root.mkdir()
    (root / "catch-log.csv").write_text(
        "date,fish,where,note\n2024-04-01,trout,Lea,a brace on a March brown\n"
        "2024-04-02,chub,Lea,under the willows\n"
        "2024-04-09,grayling,Dove,caught on a small red fly at dusk below the weir\n",
        encoding="utf-8",
    )
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Trout classifier"]},
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": ["model.fit(X, y)"]},
        {
            "cell_type": "code",
            "metadata": {},
            "source": ["# logistic regression accuracy on the held-out trout photographs\n",
                       "model.score(X_test, y_test)"],
            "outputs": [{"output_type": "execute_result", "data": {"text/plain": ["0.9375"]}}],
        },
    ]  # fmt: skip
    (root / "trout.ipynb").write_text(json.dumps({"cells": cells, "nbformat": 4}))
    (root / "order.eml").write_text(
        _mail(
            "Tackle order for the spring",
            "Charles Cotton <charles@example.org>",
            "Tue, 05 Mar 2024 09:30:00 +0000",
            "Please send two dozen mayfly nymphs and a spool of silk line before Easter.",
        )
    )
    (root / "letters.mbox").write_text(
        "From piscator@example.org Wed May  1 10:00:00 2024\n"
        + _mail("Meeting at Tottenham", "Piscator <p@example.org>",
                "Wed, 01 May 2024 10:00:00 +0000", "We meet at the cross at five.")
        + "\nFrom piscator@example.org Thu May  2 10:00:00 2024\n"
        + _mail("Lodging at Ware", "Piscator <p@example.org>", "Thu, 02 May 2024 10:00:00 +0000",
                "Good news: the Thatched House has a room free for the Whitsun week.")
    )  # fmt: skip
    (root / "film.srt").write_text(
        "1\n00:02:08,000 --> 00:02:10,500\nMy brother says\n\n"
        "2\n00:02:10,500 --> 00:02:14,000\n"
        "the otter is the greater thief\nof fish in our stretch.\n"
    )
    (root / "birds.epub").write_bytes(_epub())
    filler = paragraphs()  # sections big enough not to be merged with their neighbours
    (root / "garden.org").write_text(
        f"#+TITLE: Notes\n* Garden\n{filler[0]}\n** Bees\nThe bees swarmed in the old pear tree "
        f"on the ninth of June.\n{filler[1]}\n* Kitchen\n{filler[2]}\n"
    )
    (root / "tides.tex").write_text(
        f"\\documentclass{{article}}\n\\begin{{document}}\n\\section{{Coasts}}\n{filler[3]}\n"
        "\\subsection{Tides}\nSpring tides at the estuary come two days after the full moon.% a "
        f"note\n{filler[4]}\n\\end{{document}}\n"
    )
    _office(root, filler)
    return root


def _check(engine: object, mode: str) -> None:
    for phrase, (name, where) in EXPECTED.items():
        hits = engine.search(phrase, mode=mode, k=3).hits  # type: ignore[attr-defined]
        assert hits, phrase
        assert hits[0].path.endswith(name), (phrase, hits[0].path)
        assert where in hits[0].location.label(), (phrase, hits[0].location.label())
        suffix = name.rsplit(".", 1)[1]
        narrowed = engine.search(phrase, mode=mode, k=3, file_types=[suffix])  # type: ignore[attr-defined]
        assert {Path(h.path).name for h in narrowed.hits} == {name}


def test_each_new_format_is_found_at_its_location_by_keywords(tmp_path: Path) -> None:
    root = _corpus(tmp_path / "docs")
    engine = create_engine()
    report = engine.index([root], embed=False)
    assert report.failed == 0 and report.added == len(EXPECTED)
    _check(engine, "bm25")


@pytest.mark.slow
def test_each_new_format_is_found_at_its_location_by_hybrid_search(tmp_path: Path) -> None:
    root = _corpus(tmp_path / "docs")
    engine = create_engine()
    engine.add_folder(root)
    report = engine.index()
    assert report.failed == 0 and report.added == len(EXPECTED)
    assert report.embedded == report.chunks > 0
    _check(engine, "hybrid")


def test_files_an_older_version_skipped_are_read_without_a_rebuild(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ragtui.core.ingest import loaders

    root = _corpus(tmp_path / "docs")
    real = loaders.loader_for
    monkeypatch.setattr(
        loaders, "loader_for", lambda path: None if path.suffix == ".org" else real(path)
    )
    engine = create_engine()
    first = engine.index([root], embed=False)
    assert first.added == len(EXPECTED) - 1 and any(
        p.endswith("garden.org") for p, _ in first.skips
    )
    monkeypatch.setattr(loaders, "loader_for", real)  # the version that reads Org files
    again = engine.index([root], embed=False)
    assert (again.added, again.unchanged) == (1, len(EXPECTED) - 1)
    hit = engine.search("bees swarmed in the old pear tree", mode="bm25", k=1).hits[0]
    assert hit.path.endswith("garden.org")


BROKEN = {
    "broken.csv": b'id,text\n1,"never closed\n2,lost\n',
    "broken.ipynb": b'{"cells": [',
    "broken.eml": b"\x00\x01 no headers at all \xff" * 20,
    "broken.mbox": b"Subject: no From line\n\nbody\n",
    "broken.srt": b"1\n00:00:01 -> 00:00:02\nnot a cue\n",
    "broken.epub": b"PK\x03\x04 not a zip",
    "broken.org": bytes(range(128, 256)) * 3,
    "broken.tex": bytes(range(128, 256)) * 3,
    "broken.xlsx": b"PK\x03\x04 not a zip",
    "broken.pptx": pptx([(pptx_slide("A", ["b"]), None)])[:300],
    "broken.odt": odf("text", "", drop=["content.xml"]),
    "broken.ods": odf("spreadsheet", "", content="<office:document-content>"),
    "broken.odp": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512,
    "broken.rtf": b"{\\rtf1 cut short {\\b bold",
    "broken.png": b"\x89PNG\r\n\x1a\n cut short",
}


def test_a_broken_file_of_each_format_fails_alone_with_one_sentence(tmp_path: Path) -> None:
    root = _corpus(tmp_path / "docs")
    for name, data in BROKEN.items():
        (root / name).write_bytes(data)
    report = create_engine().index([root], embed=False)
    assert report.added == len(EXPECTED)
    assert report.failed == len(BROKEN), report.errors
    for path, message in report.errors:
        assert Path(path).name in BROKEN
        assert path in message and message.endswith(".") and "\n" not in message
        assert ": " in message.replace(path, "")  # what to do
