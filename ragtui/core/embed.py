"""Text embeddings with fastembed (ONNX), loaded from local model directories only."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ragtui.config import EmbeddingSettings
from ragtui.core import model_store
from ragtui.core.arrays import Vectors
from ragtui.core.errors import ModelInvalid, ModelMissing
from ragtui.core.giveway import checkpoint
from ragtui.core.trace import current_span

if TYPE_CHECKING:
    from ragtui.core.cache import EmbeddingCache


_REGISTERED: set[str] = set()
_REGISTER_LOCK = threading.Lock()


def resolve_model_dir(settings: EmbeddingSettings) -> tuple[str, Path, int, str]:
    """(model id, directory, dimension, pooling) for the configured model."""
    if settings.model_dir is not None:
        directory = settings.model_dir.expanduser()
        if not (directory / "model.onnx").is_file():
            raise ModelMissing(
                f"No model.onnx in {directory}: point embedding.model_dir at a fastembed model "
                "directory (model.onnx + tokenizer.json)."
            )
        return settings.model, directory, settings.dim, settings.pooling
    entry = model_store.embedding_entry(settings.model)
    if entry is None:
        raise ModelMissing(
            f"Unknown embedding model {settings.model!r}: use a name from models.toml "
            "or set embedding.model_dir to a local model directory."
        )
    directory = model_store.assemble_embedding(entry, settings.max_tokens)
    return entry.name, directory, entry.dim, entry.pooling


class Embedder:
    """A loaded embedding model; thread-safe, loads lazily on first use."""

    def __init__(self, settings: EmbeddingSettings, cache: EmbeddingCache | None = None) -> None:
        self.settings = settings
        self.model_id, self.model_dir, self.dim, self._pooling = resolve_model_dir(settings)
        self.cache = cache
        self._model: Any = None
        self._lock = threading.Lock()
        self._recent_queries: dict[str, Vectors] = {}
        self.cache_hits = 0  # passages and queries served from the cache, since start
        self.cache_misses = 0

    def load(self) -> Any:
        """The underlying fastembed model, loaded on first call."""
        with self._lock:
            if self._model is None:
                self._model = self._open()
        return self._model

    def _open(self) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from fastembed import TextEmbedding
        from fastembed.common.model_description import ModelSource, PoolingType

        key = f"ragtui/{self.model_id}"
        with _REGISTER_LOCK:
            if key not in _REGISTERED:
                pooling = PoolingType.MEAN if self._pooling == "mean" else PoolingType.CLS
                TextEmbedding.add_custom_model(
                    model=key,
                    pooling=pooling,
                    normalization=True,
                    sources=ModelSource(hf=key),
                    dim=self.dim,
                    model_file="model.onnx",
                )
                _REGISTERED.add(key)
        try:
            return TextEmbedding(
                key,
                specific_model_path=str(self.model_dir),
                local_files_only=True,
                threads=self.settings.threads,
            )
        except Exception as exc:
            raise ModelInvalid(
                f"The embedding model in {self.model_dir} failed to load ({exc}): "
                "re-install it or point embedding.model_dir at a working model."
            ) from None

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        """Unit-length vectors for passages, shape ``(len(texts), dim)``, in input order.

        Cached vectors are reused; the rest are embedded shortest first so each
        model batch pads to a similar length (about 12 % faster on mixed chunks).
        """
        vectors = np.empty((len(texts), self.dim), dtype=np.float32)
        cached = self.cache.get_many(self.model_id, texts) if self.cache else [None] * len(texts)
        missing = [i for i, v in enumerate(cached) if v is None]
        self.cache_hits += len(texts) - len(missing)
        self.cache_misses += len(missing)
        for i, vector in enumerate(cached):
            if vector is not None:
                vectors[i] = vector
        if missing:
            model = self.load()
            order = sorted(missing, key=lambda i: len(texts[i]))
            rows = []
            for row in model.embed([texts[i] for i in order], batch_size=self.settings.batch_size):
                checkpoint()  # background work stops between batches for a question
                rows.append(row)
            fresh = np.asarray(rows, dtype=np.float32)
            vectors[order] = fresh
            if self.cache is not None:
                self.cache.put_many(self.model_id, [texts[i] for i in order], fresh)
        return vectors

    def embed_query(self, text: str) -> Vectors:
        """Unit-length vector for one query, shape ``(dim,)`` (recent queries remembered)."""
        found = self._recent_queries.get(text)
        source = "memory"
        if found is None and self.cache is not None:
            found = self.cache.get_many(self.model_id, ["query:" + text])[0]
            source = "disk"
        if found is None:
            source = "miss"
            model = self.load()
            found = np.asarray(next(iter(model.query_embed(text))), dtype=np.float32)
            if self.cache is not None:
                self.cache.put_many(self.model_id, ["query:" + text], found[None, :])
        hit = source != "miss"
        self.cache_hits += hit
        self.cache_misses += not hit
        current_span().set_attributes(
            {
                "ragtui.embed.cache": source,
                "ragtui.embed.cache_hits": int(hit),
                "ragtui.embed.cache_misses": int(not hit),
            }
        )
        if text not in self._recent_queries:
            if len(self._recent_queries) >= 256:
                self._recent_queries.pop(next(iter(self._recent_queries)))
            self._recent_queries[text] = found
        return found
