"""The Jupyter notebook loader: cells located by number, under their markdown headings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragtui.core.ingest.document import LoaderError
from ragtui.core.ingest.loaders import load_file, loader_for
from ragtui.core.ingest.loaders.notebook import OUTPUT_CHARS
from tests.unit.reference_text import assert_one_sentence, in_order, paragraphs, recall


def cell(kind: str, source: str, outputs: list[dict[str, object]] | None = None) -> dict:
    made: dict[str, object] = {"cell_type": kind, "metadata": {}, "source": source.splitlines(True)}
    if kind == "code":
        made["outputs"] = outputs or []
        made["execution_count"] = 1
    return made


def notebook() -> dict:
    texts = paragraphs()
    cells = [
        cell("markdown", "# Reading the Angler\n\n" + texts[0]),  # 1
        cell("code", "import collections\nwords = open('angler.txt').read().split()"),  # 2
        cell(
            "code",
            "len(words)",
            [{"output_type": "execute_result", "data": {"text/plain": ["48213"]}}],
        ),  # 3
        cell("markdown", "## First editions\n\n" + texts[1]),  # 4
        cell("markdown", texts[2]),  # 5
        cell(
            "code",
            "print(prices)",
            [
                {"output_type": "stream", "name": "stdout", "text": "L4 4s in 1816\n"},
                {"output_type": "stream", "name": "stderr", "text": "DeprecationWarning\n"},
                {"output_type": "error", "ename": "E", "evalue": "v", "traceback": ["\x1b[0mTB"]},
                {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo="}},
            ],
        ),  # 6
        cell("markdown", "## Advertisements\n\n" + texts[3]),  # 7
        cell("raw", texts[4]),  # 8
        cell("markdown", texts[5]),  # 9
        cell("code", "log()", [{"output_type": "stream", "name": "stdout", "text": "x " * 5000}]),
    ]
    return {"cells": cells, "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4}


def test_cells_by_number_under_headings(tmp_path: Path) -> None:
    path = tmp_path / "angler.ipynb"
    path.write_text(json.dumps(notebook(), indent=1), encoding="utf-8")
    doc = load_file(path)
    assert doc.loader == "notebook" == loader_for(path) and doc.title == "Reading the Angler"
    text = "\n".join(s.text for s in doc.sections)
    reference = " ".join(paragraphs())
    assert recall(reference, text) >= 0.98 and in_order(reference, text) >= 0.98

    def where(needle: str) -> tuple[str, ...]:
        return next(s.heading for s in doc.sections if needle in s.text)

    assert where(paragraphs()[0][:50]) == ("Reading the Angler", "cell 1")
    assert where("48213") == ("Reading the Angler", "cells 2–3")
    assert where(paragraphs()[1][:50]) == ("Reading the Angler", "First editions", "cell 4")
    assert where(paragraphs()[3][:50]) == ("Reading the Angler", "Advertisements", "cell 7")
    assert where(paragraphs()[4][:50])[-1] in ("cell 8", "cells 8–9", "cells 7–8")
    assert "Output:\n48213" in text and "L4 4s in 1816" in text
    assert "DeprecationWarning" not in text and "TB" not in text and "iVBOR" not in text
    log = where("log()")
    assert log[-1] == "cell 10"
    assert len(next(s.text for s in doc.sections if "log()" in s.text)) < OUTPUT_CHARS + 40


def test_nbformat_3(tmp_path: Path) -> None:
    old = {
        "nbformat": 3,
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "heading", "level": 1, "source": ["Old notebook"]},
                    {"cell_type": "code", "input": ["1 + 1"], "outputs": [
                        {"output_type": "pyout", "text": ["2"]}
                    ]},
                ]
            }
        ],
    }  # fmt: skip
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(old), encoding="utf-8")
    doc = load_file(path)
    assert doc.title == "Old notebook"
    assert doc.sections[0].heading == ("Old notebook", "cells 1–2")
    assert "1 + 1\n\nOutput:\n2" in doc.sections[0].text


@pytest.mark.parametrize(
    ("content", "reason"),
    [('{"cells": [{"cell_type": "code",\n', "Expecting"), ('{"metadata": {}}', "no cells")],
)
def test_broken_notebook_fails_with_one_sentence(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LoaderError, match="not a readable Jupyter notebook") as err:
        load_file(path)
    assert reason in str(err.value)
    assert_one_sentence(str(err.value), str(path))
