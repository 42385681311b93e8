"""Jupyter notebook loader: markdown and code cells located by cell number.

Cells are numbered by their position in the notebook (the first cell is cell 1, whatever
its kind) and small neighbouring cells are packed together ("cells 3–5"), under the
heading path of the markdown headings above them. A code cell's plain-text output (what
it printed and the value it returned, ``text/plain``) follows its source, cut at
``OUTPUT_CHARS``: the result is often what a person remembers a notebook for ("what
accuracy did it reach?"), while a training log or a wide table would drown the code.
Error tracebacks, stderr, images and HTML outputs are left out.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ragtui.core.ingest.document import LoadedDocument, LoaderError
from ragtui.core.ingest.loaders._decode import decode_text
from ragtui.core.ingest.loaders._errors import detail
from ragtui.core.ingest.loaders._groups import Unit, pack_units, span
from ragtui.core.ingest.loaders.markdown import find_headings
from ragtui.core.ingest.sections import split_lines

NAME = "notebook"
SUFFIXES = frozenset({".ipynb"})

OUTPUT_CHARS = 1000  # of plain-text output kept per code cell
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_label = span("cell", "cells")


def _text(value: object) -> str:
    """A notebook string: one string or a list of lines."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(part for part in value if isinstance(part, str))
    return ""


def _output_text(outputs: object) -> str:
    """The cell's stdout and ``text/plain`` results, capped at ``OUTPUT_CHARS``."""
    parts: list[str] = []
    for output in outputs if isinstance(outputs, list) else ():
        if not isinstance(output, dict):
            continue
        kind = output.get("output_type")
        if kind == "stream" and output.get("name", "stdout") == "stdout":
            parts.append(_text(output.get("text")))
        elif kind in ("execute_result", "display_data", "pyout"):
            data = output.get("data")
            plain = data.get("text/plain") if isinstance(data, dict) else output.get("text")
            parts.append(_text(plain))
    text = _ANSI.sub("", "\n".join(p.strip("\n") for p in parts if p.strip())).strip()
    if len(text) > OUTPUT_CHARS:
        text = text[:OUTPUT_CHARS].rsplit(None, 1)[0] + " …"
    return text


def _cells(notebook: dict[str, Any]) -> list[dict[str, Any]]:
    """The cells of an nbformat 4 notebook, or of an nbformat 3 one's worksheets."""
    cells = notebook.get("cells")
    if cells is None and isinstance(notebook.get("worksheets"), list):
        cells = [
            cell
            for sheet in notebook["worksheets"]
            if isinstance(sheet, dict)
            for cell in sheet.get("cells") or ()
        ]
    if not isinstance(cells, list):
        raise ValueError("no cells")
    return [cell for cell in cells if isinstance(cell, dict)]


def _units(cells: list[dict[str, Any]]) -> tuple[list[Unit], str | None]:
    units: list[Unit] = []
    path: list[tuple[int, str]] = []
    title: str | None = None
    for number, cell in enumerate(cells, 1):
        kind = cell.get("cell_type")
        source = _text(cell.get("source") if "source" in cell else cell.get("input")).strip()
        prefix = tuple(text for _, text in path)
        if kind == "heading":  # nbformat 3
            level = cell.get("level")
            found = [(0, level if isinstance(level, int) else 1, " ".join(source.split()))]
        elif kind == "markdown":
            found = find_headings(split_lines(source), 0)
        else:
            found = []
        for index, (line, level, heading) in enumerate(found):
            if not heading:
                continue
            while path and path[-1][0] >= level:
                path.pop()
            path.append((level, heading))
            if index == 0 and line == 0:  # a cell that opens with a heading sits under it
                prefix = tuple(text for _, text in path)
            if level == 1 and title is None:
                title = heading
        text = source
        if kind == "code":
            output = _output_text(cell.get("outputs"))
            if output:
                text = f"{source}\n\nOutput:\n{output}" if source else f"Output:\n{output}"
        units.append(Unit(text, str(number), str(number), prefix))
    return units, title


def parse_bytes(data: bytes, name: str) -> LoadedDocument:
    """Read a ``.ipynb`` file's cells (and their plain-text outputs)."""
    text, encoding = decode_text(data, name)
    try:
        notebook = json.loads(text)
        if not isinstance(notebook, dict):
            raise ValueError("not a JSON object")
        cells = _cells(notebook)
    except (ValueError, RecursionError) as exc:
        raise LoaderError(
            f"{name} is not a readable Jupyter notebook ({detail(exc)}): open and re-save it "
            "in Jupyter."
        ) from exc
    units, heading_title = _units(cells)
    metadata = notebook.get("metadata")
    title = metadata.get("title") if isinstance(metadata, dict) else None
    if not isinstance(title, str) or not title.strip():
        title = heading_title
    return LoadedDocument(
        loader=NAME,
        sections=pack_units(units, _label, separator="\n\n"),
        title=title,
        encoding=encoding,
    )
