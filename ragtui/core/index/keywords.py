"""The Tantivy BM25 index of chunks (English stemming; CJK searchable through bigrams)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import tantivy

from ragtui.core.ingest.chunking import Chunk

_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
_QUERY_SYNTAX = re.compile(r'[+\-!(){}\[\]^"~*?:\\/<>=]|\b(?:AND|OR|NOT|IN)\b')


def cjk_bigrams(text: str) -> str:
    """Rewrite runs of CJK characters as overlapping bigrams so the word tokenizer splits them."""

    def bigrams(match: re.Match[str]) -> str:
        run = match.group(0)
        if len(run) == 1:
            return f" {run} "
        return " " + " ".join(run[i : i + 2] for i in range(len(run) - 1)) + " "

    return _CJK_RUN.sub(bigrams, text)


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("chunk_id", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("hash", stored=False, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("body", stored=False, tokenizer_name="en_stem")
    return builder.build()


class KeywordsDamaged(Exception):
    """Tantivy cannot open the index (``meta.json`` or a segment file is corrupt or gone)."""


class KeywordIndex:
    """BM25 over chunk text; ids map back to the catalog."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        try:
            self._index = tantivy.Index(_schema(), path=str(directory), reuse=True)
            self._index.searcher()
        except ValueError as exc:
            raise KeywordsDamaged(str(exc)) from exc
        self._writer: tantivy.IndexWriter | None = None

    def _w(self) -> tantivy.IndexWriter:
        if self._writer is None:
            self._writer = self._index.writer(heap_size=64_000_000, num_threads=1)
        return self._writer

    def add(self, chunks: Iterable[Chunk]) -> None:
        """Queue chunks for the next commit."""
        writer = self._w()
        for chunk in chunks:
            writer.add_document(
                tantivy.Document(
                    chunk_id=chunk.chunk_id, hash=chunk.hash, body=cjk_bigrams(chunk.index_text())
                )
            )

    def delete_hash(self, content_hash: str) -> None:
        """Queue deletion of every chunk of one content hash."""
        self._w().delete_documents_by_term("hash", content_hash)

    def clear(self) -> None:
        """Queue deletion of everything."""
        self._w().delete_all_documents()

    def commit(self) -> None:
        """Make queued changes durable and visible."""
        if self._writer is not None:
            self._writer.commit()
            self._writer.wait_merging_threads()
            self._writer = None
        self._index.reload()

    def compact(self) -> None:
        """Delete segment files no commit refers to any more."""
        self._w().garbage_collect_files()
        self.commit()

    def rollback(self) -> None:
        """Drop queued changes."""
        if self._writer is not None:
            self._writer.rollback()
            self._writer = None

    def count(self) -> int:
        """Chunks in the index."""
        self._index.reload()
        return int(self._index.searcher().num_docs)

    def doc_freq(self, word: str) -> int:
        """Chunks holding ``word`` (stemmed as the index stems it)."""
        cleaned = _QUERY_SYNTAX.sub(" ", word).strip()
        if not cleaned:
            return 0
        parsed, _errors = self._index.parse_query_lenient(cleaned, ["body"])
        found = self._index.searcher().search(parsed, 1, count=True)
        return int(found.count)  # type: ignore[attr-defined]  # not in the stubs

    def rarity(self) -> Callable[[str], tuple[float, float]]:
        """A word's inverse document frequency ``log((N + 1) / (df + 1))`` over the chunks
        now in the index, with the largest it can have (a word no chunk holds)."""
        total = self.count()
        most = math.log(total + 1)

        def of(word: str) -> tuple[float, float]:
            return math.log((total + 1) / (self.doc_freq(word) + 1)), most

        return of

    def search(self, query: str, limit: int) -> list[tuple[str, float]]:
        """Top ``limit`` (chunk_id, BM25 score) for free text; query syntax is treated as text."""
        cleaned = _QUERY_SYNTAX.sub(" ", cjk_bigrams(query)).strip()
        if not cleaned:
            return []
        parsed, _errors = self._index.parse_query_lenient(cleaned, ["body"])
        searcher = self._index.searcher()
        result = searcher.search(parsed, limit)
        return [(searcher.doc(addr)["chunk_id"][0], float(score)) for score, addr in result.hits]
