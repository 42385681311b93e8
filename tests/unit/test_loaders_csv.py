"""The CSV/TSV loader: rows carry their column names and are located by row range."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from ragtui.core.ingest.chunking import chunk_document
from ragtui.core.ingest.document import LoadedDocument, LoaderError
from ragtui.core.ingest.loaders import load_file, loader_for
from tests.unit.reference_text import assert_one_sentence, in_order, paragraphs, recall

_ROWS = re.compile(r"^rows? (\d+)(?:–(\d+))?$")


def table(delimiter: str = ",") -> tuple[str, list[list[str]]]:
    """A catalogue of passages from the reference book, one row each, plus short rows."""
    rows = [["id", "chapter", "passage", "notes"]]
    for n, text in enumerate(paragraphs(), 1):
        rows.append([str(n), f"Introduction {n}", text, 'quoted, with "marks"; and commas'])
    for n in range(7, 40):
        rows.append([str(n), "Index", f"entry {n} of the index", ""])
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue(), rows


def rows_of(heading: tuple[str, ...]) -> tuple[int, int]:
    match = _ROWS.match(heading[-1])
    assert match, heading
    first = int(match.group(1))
    return first, int(match.group(2) or first)


def section_with(doc: LoadedDocument, needle: str) -> tuple[int, int]:
    found = [s for s in doc.sections if needle in s.text]
    assert found, needle
    return rows_of(found[0].heading)


def test_rows_carry_their_header_and_row_range(tmp_path: Path) -> None:
    source, rows = table()
    path = tmp_path / "passages.csv"
    path.write_text(source, encoding="utf-8")
    doc = load_file(path)
    assert doc.loader == "csv" and loader_for(path) == "csv"
    text = "\n".join(s.text for s in doc.sections)
    reference = " ".join(" ".join(row) for row in rows[1:])
    assert recall(reference, text) >= 0.98 and in_order(reference, text) >= 0.98
    for section in doc.sections:
        assert section.kind == "entry"
        for line in section.text.split("\n"):
            assert line.startswith("id: "), line  # every row names its columns
    third = paragraphs()[2]
    assert section_with(doc, third[:60]) == (4, 4)  # header row 1, third passage row 4
    first, last = section_with(doc, "entry 20 of the index")
    assert first <= 21 <= last and last - first >= 3  # short rows share a group
    assert "chapter: Index; passage: entry 20 of the index" in text
    assert 'notes: quoted, with "marks"; and commas' in text
    for chunk in chunk_document(doc, 160, 24):
        assert _ROWS.match(chunk.heading[-1]), chunk.heading


@pytest.mark.parametrize(
    ("name", "delimiter"), [("a.tsv", "\t"), ("b.csv", ";"), ("c.csv", "|"), ("d.csv", "\t")]
)
def test_delimiters_are_sniffed(tmp_path: Path, name: str, delimiter: str) -> None:
    source, _ = table(delimiter)
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    doc = load_file(path)
    assert "passage: entry 12 of the index" in "\n".join(s.text for s in doc.sections)


def test_headerless_single_column_and_blank_rows(tmp_path: Path) -> None:
    path = tmp_path / "numbers.csv"
    path.write_text("1,2.5,2024-01-31\n\n3,4.5,2024-02-29\n", encoding="utf-8")
    doc = load_file(path)
    assert [s.text for s in doc.sections] == ["1; 2.5; 2024-01-31\n3; 4.5; 2024-02-29"]
    assert doc.sections[0].heading == ("rows 1–3",)
    single = tmp_path / "words.csv"
    single.write_text("word\nangler\nriver\n", encoding="utf-8")
    assert load_file(single).sections[0].text == "word: angler\nword: river"


def test_huge_cells_and_ragged_rows(tmp_path: Path) -> None:
    big = "trout " * 60_000  # 360 KB, over csv's default 128 KiB field limit
    path = tmp_path / "big.csv"
    path.write_text(f'name,body\nbig,"{big}"\nshort,x,extra\n', encoding="utf-8")
    doc = load_file(path)
    assert doc.sections[0].heading == ("row 2",) and doc.sections[0].text.count("trout") == 60_000
    assert doc.sections[1].text == "name: short; body: x; column 3: extra"
    assert len(chunk_document(doc, 160, 24)) > 100


def test_gzipped_csv(tmp_path: Path) -> None:
    import gzip

    source, _ = table()
    path = tmp_path / "passages.csv.gz"
    path.write_bytes(gzip.compress(source.encode()))
    doc = load_file(path)
    assert doc.loader == "gzip+csv" and doc.sections[0].text.startswith("id: 1;")


def test_unclosed_quote_fails_with_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text('id,text\n1,fine\n2,"never closed\n3,lost\n', encoding="utf-8")
    with pytest.raises(LoaderError, match=r"quote opened on line 3 that is never closed") as err:
        load_file(path)
    assert_one_sentence(str(err.value), str(path))
