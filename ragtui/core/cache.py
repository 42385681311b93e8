"""diskcache stores in the data dir: embeddings, answers (exact and semantic), LLM states."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import diskcache
import numpy as np

from ragtui.core import stores
from ragtui.core.arrays import Vectors

_SEMANTIC_INDEX = "__semantic_index__"


class DisposableCache:
    """A diskcache store that SQLite finds damaged is deleted and recreated empty, on open
    or on any read or write (a cache only saves time; the event goes to the log)."""

    def __init__(self, directory: Path, size_mb: int) -> None:
        self.directory = directory
        self.size_mb = size_mb
        try:
            self._cache = self._open()
        except stores.SQLITE_DAMAGE as exc:
            self._recreate(exc)

    def _open(self) -> diskcache.Cache:
        return diskcache.Cache(
            str(self.directory),
            size_limit=self.size_mb * 2**20,
            eviction_policy="least-recently-used",
        )

    def _recreate(self, damage: Exception) -> None:
        cache = getattr(self, "_cache", None)
        if cache is not None:
            cache.close()
        stores.record(
            self.directory.parent.parent,
            f"recreated the damaged cache {self.directory} ({stores.brief(damage)})",
        )
        stores.wipe(self.directory)
        self._cache = self._open()

    def get(self, key: str) -> Any:
        """The stored value, or None (also when the store had to be recreated)."""
        try:
            return self._cache.get(key)
        except stores.SQLITE_DAMAGE as exc:
            self._recreate(exc)
            return None

    def set(self, key: str, value: Any) -> None:
        """Store a value (dropped if the store had to be recreated)."""
        try:
            self._cache.set(key, value)
        except stores.SQLITE_DAMAGE as exc:
            self._recreate(exc)

    @contextmanager
    def transact(self) -> Iterator[None]:
        """Group reads and writes; a damaged store ends the group and is recreated."""
        try:
            with self._cache.transact():
                yield
        except stores.SQLITE_DAMAGE as exc:
            self._recreate(exc)

    def close(self) -> None:
        """Close the store."""
        self._cache.close()


def text_key(model_id: str, text: str) -> str:
    """Cache key of one text under one embedding model."""
    return f"{model_id}:{hashlib.sha256(text.encode()).hexdigest()}"


class EmbeddingCache:
    """Vectors by (model id, text hash); re-embedding the same passage or query is free."""

    def __init__(self, directory: Path, size_mb: int) -> None:
        self._cache = DisposableCache(directory, size_mb)
        self.hits = 0
        self.misses = 0

    def get_many(self, model_id: str, texts: Sequence[str]) -> list[Vectors | None]:
        """Cached vectors (None where missing)."""
        found: list[Vectors | None] = []
        for text in texts:
            raw = self._cache.get(text_key(model_id, text))
            if raw is None:
                self.misses += 1
                found.append(None)
            else:
                self.hits += 1
                found.append(np.frombuffer(raw, dtype=np.float32))
        return found

    def put_many(self, model_id: str, texts: Sequence[str], vectors: Vectors) -> None:
        """Store vectors for texts."""
        with self._cache.transact():
            for text, vector in zip(texts, vectors, strict=True):
                self._cache.set(text_key(model_id, text), np.asarray(vector, np.float32).tobytes())

    def close(self) -> None:
        """Close the store."""
        self._cache.close()


def normal_question(question: str) -> str:
    """A question as the exact cache keys it: lower case, whitespace collapsed."""
    return " ".join(question.lower().split())


def answer_key(
    question: str, model: str, prompt_id: str, params: dict[str, Any], chunk_ids: Sequence[str]
) -> str:
    """Exact answer key: normalised question, model, prompt, generation params and the ids of
    the retrieved chunks (ids derive from file content, so an edited file changes the key)."""
    blob = json.dumps(
        [normal_question(question), model, prompt_id, params, list(chunk_ids)], sort_keys=True
    )
    return "answer:" + hashlib.sha256(blob.encode()).hexdigest()


def semantic_scope(
    model: str, prompt_id: str, params: dict[str, Any], chunk_ids: Sequence[str]
) -> str:
    """What a semantic hit must share with the stored answer: model, prompt, generation
    params and the retrieved chunk set (order-free); only the wording may differ."""
    blob = json.dumps([model, prompt_id, params, sorted(chunk_ids)], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


class AnswerCache:
    """Exact answers by key, plus a semantic index of (question vector, chunk set) → key."""

    def __init__(self, directory: Path, size_mb: int, semantic_entries: int = 2000) -> None:
        self._cache = DisposableCache(directory, size_mb)
        self.semantic_entries = semantic_entries
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        """A stored answer record."""
        value = self._cache.get(key)
        return value if isinstance(value, dict) else None

    def put(
        self, key: str, record: dict[str, Any], question_vector: Vectors | None, chunk_set: str
    ) -> None:
        """Store an answer and index it for semantic lookups."""
        self._cache.set(key, record)
        if question_vector is None:
            return
        with self._lock, self._cache.transact():
            index = self._cache.get(_SEMANTIC_INDEX) or []
            index = [e for e in index if e[0] != key]
            index.append(
                (key, chunk_set, np.asarray(question_vector, np.float32).tobytes(), time.time())
            )
            self._cache.set(_SEMANTIC_INDEX, index[-self.semantic_entries :])

    def semantic(
        self, question_vector: Vectors, chunk_set: str, threshold: float
    ) -> tuple[dict[str, Any], float] | None:
        """The stored answer whose question is within ``threshold`` cosine and whose retrieval
        returned the same chunk set (most similar first)."""
        best: tuple[str, float] | None = None
        for key, chunks, raw, _when in self._cache.get(_SEMANTIC_INDEX) or []:
            if chunks != chunk_set:
                continue
            similarity = float(np.frombuffer(raw, dtype=np.float32) @ question_vector)
            if similarity >= threshold and (best is None or similarity > best[1]):
                best = (key, similarity)
        if best is None:
            return None
        record = self.get(best[0])
        return None if record is None else (record, best[1])

    def close(self) -> None:
        """Close the store."""
        self._cache.close()
