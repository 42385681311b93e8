"""Optional cross-encoder reranking (fastembed ``TextCrossEncoder``, local files only)."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ragtui.core.errors import ModelInvalid, ModelMissing

_REGISTERED: set[str] = set()
_LOCK = threading.Lock()


class Reranker:
    """Scores (query, passage) pairs with a cross-encoder loaded from a local directory."""

    def __init__(self, directory: Path, threads: int | None = None) -> None:
        self.directory = directory.expanduser()
        if not (self.directory / "model.onnx").is_file():
            raise ModelMissing(
                f"No cross-encoder at {self.directory} (model.onnx is missing): set "
                "retrieval.reranker_dir to a model directory, or unset it to search without "
                "reranking."
            )
        self.threads = threads
        self._model: Any = None

    def _load(self) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from fastembed.common.model_description import ModelSource
        from fastembed.rerank.cross_encoder import TextCrossEncoder

        key = f"ragtui-rerank/{self.directory.name}"
        with _LOCK:
            if key not in _REGISTERED:
                TextCrossEncoder.add_custom_model(
                    model=key, sources=ModelSource(hf=key), model_file="model.onnx"
                )
                _REGISTERED.add(key)
        try:
            return TextCrossEncoder(
                key,
                specific_model_path=str(self.directory),
                local_files_only=True,
                threads=self.threads,
            )
        except Exception as exc:
            raise ModelInvalid(
                f"The cross-encoder in {self.directory} failed to load ({exc}): import it "
                "again with `ragtui models import`, or unset retrieval.reranker_dir."
            ) from None

    def scores(self, query: str, passages: Sequence[str]) -> list[float]:
        """A relevance score per passage (higher is more relevant)."""
        if self._model is None:
            self._model = self._load()
        return [float(s) for s in self._model.rerank(query, list(passages), batch_size=16)]
