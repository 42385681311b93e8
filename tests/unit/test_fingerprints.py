"""Chunk ids come from content and position; content hashes decide re-embedding."""

from __future__ import annotations

from ragtui.config import IngestSettings
from ragtui.core.index.indexer import chunk_id, parse_chunks
from ragtui.core.ingest.document import LoadedDocument, Section


def _doc(text: str) -> LoadedDocument:
    return LoadedDocument("text", [Section(text, (), None, 1, text.count("\n") + 1)])


def test_chunk_ids_are_stable_and_content_derived() -> None:
    settings = IngestSettings(chunk_tokens=40, chunk_overlap=0)
    text = "\n\n".join(f"Paragraph {i} talks about subject {i} at some length." for i in range(20))
    first = parse_chunks("h1", _doc(text), settings)
    again = parse_chunks("h1", _doc(text), settings)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    assert len({c.chunk_id for c in first}) == len(first) > 1
    other_file = parse_chunks("h2", _doc(text), settings)
    assert not {c.chunk_id for c in first} & {c.chunk_id for c in other_file}


def test_chunk_id_depends_on_position_and_text() -> None:
    assert chunk_id("h", 0, "same") != chunk_id("h", 1, "same")
    assert chunk_id("h", 0, "same") != chunk_id("h", 0, "other")
    assert len(chunk_id("h", 0, "x")) == 32
