"""Structure-aware chunking: sizes, overlap, heading context and exact line ranges."""

from __future__ import annotations

import itertools
from pathlib import Path

from ragtui.core.ingest.chunking import chunk_document, estimate_tokens
from ragtui.core.ingest.document import LoadedDocument, Section
from ragtui.core.ingest.loaders import parse_bytes


def _lines(n: int) -> str:
    return "\n".join(f"Line {i} says something about topic number {i}." for i in range(1, n + 1))


def test_estimate_counts_cjk_characters_and_words() -> None:
    assert estimate_tokens("hello world") == 2
    assert estimate_tokens("显示文件") == 4
    assert estimate_tokens("a, b.") == 4


def test_long_section_splits_within_budget_with_overlap_and_exact_lines() -> None:
    text = _lines(80)
    doc = LoadedDocument("text", [Section(text, ("Guide", "Setup"), None, 11, 90)])
    chunks = chunk_document(doc, chunk_tokens=100, overlap=20)
    assert len(chunks) > 3
    source = text.splitlines()
    for chunk in chunks:
        assert estimate_tokens(chunk.text) <= 100
        assert chunk.context == "Guide > Setup"
        assert chunk.line_start is not None and chunk.line_end is not None
        span = source[chunk.line_start - 11 : chunk.line_end - 11 + 1]
        assert chunk.text == "\n".join(span)
    for before, after in itertools.pairwise(chunks):
        assert after.line_start is not None and before.line_end is not None
        assert after.line_start <= before.line_end, "consecutive chunks overlap"
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))


def test_small_sibling_sections_merge_under_common_heading() -> None:
    doc = LoadedDocument(
        "markdown",
        [
            Section("## A\nalpha", ("Doc", "A"), None, 1, 2),
            Section("## B\nbeta", ("Doc", "B"), None, 3, 4),
        ],
        title="Doc",
    )
    (chunk,) = chunk_document(doc, chunk_tokens=100, overlap=10)
    assert chunk.context == "Doc"
    assert (chunk.line_start, chunk.line_end) == (1, 4)
    assert "alpha" in chunk.text and "beta" in chunk.text


def test_title_prefixes_context_when_headings_do_not_repeat_it() -> None:
    doc = LoadedDocument("pdf", [Section("Body text.", (), 3)], title="Manual")
    (chunk,) = chunk_document(doc, 100, 10)
    assert chunk.context == "Manual" and chunk.page == 3


def test_markdown_headings_become_chunk_context() -> None:
    md = b"# Car\n\nIntro.\n\n## Service\n\n### Belt\n\nReplace the belt at 45,000 miles.\n"
    doc = parse_bytes(md, Path("car.md"))
    chunks = chunk_document(doc, 12, 2)
    belt = next(c for c in chunks if "45,000" in c.text)
    assert belt.context.startswith("Car")
    assert "Belt" in belt.heading or "Belt" in belt.context


def test_unbreakable_text_is_cut_hard() -> None:
    doc = LoadedDocument("text", [Section("x" * 5000)])
    chunks = chunk_document(doc, 50, 0)
    assert len(chunks) > 1
    assert "".join(c.text for c in chunks) == "x" * 5000
