"""What decides an answer, as a flat record: the models, the prompt and the retrieval and
answer settings; and the corpus as indexed files with their content hashes. Continuous
evaluation re-runs when either moved."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ragtui.config import Settings

#: Answer settings that change no answer (caching only).
_NOT_ANSWERS = {"cache", "semantic_cache", "semantic_threshold", "cache_mb"}


def answer_fingerprint(settings: Settings, prompt_id: str) -> dict[str, Any]:
    """``{"llm.model": …, "retrieval.mode": …}``: every setting an answer depends on, with
    the answer prompt resolved to its name and version (``qa@1``)."""
    llm = settings.llm
    found: dict[str, Any] = {
        "llm.backend": llm.backend,
        "llm.model": str(llm.model_path) if llm.model_path is not None else llm.model,
        "llm.routes": [r.model_dump(mode="json", exclude={"api_key"}) for r in llm.routes],
        "llm.n_ctx": llm.n_ctx,
        "llm.max_tokens": llm.max_tokens,
        "llm.temperature": llm.temperature,
        "prompt": prompt_id,
        "embedding.model": str(settings.embedding.model_dir or settings.embedding.model),
    }
    if llm.backend == "openai":
        found["llm.base_url"] = llm.base_url
    for key, value in settings.retrieval.model_dump(mode="json").items():
        found[f"retrieval.{key}"] = value
    for key, value in settings.answer.model_dump(mode="json", exclude=_NOT_ANSWERS).items():
        found[f"answer.{key}"] = value
    return found


def changed_keys(before: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """Keys whose value differs (or that only one side has), in order."""
    return sorted(k for k in {*before, *now} if before.get(k) != now.get(k))


def describe_change(before: Mapping[str, Any], now: Mapping[str, Any], most: int = 3) -> str:
    """``llm.model gemma → qwen, retrieval.mode hybrid → bm25`` (at most ``most`` keys)."""
    keys = changed_keys(before, now)
    shown = [f"{k} {_short(before.get(k))} → {_short(now.get(k))}" for k in keys[:most]]
    more = f" and {len(keys) - most} more" if len(keys) > most else ""
    return ", ".join(shown) + more


def _short(value: Any) -> str:
    text = "unset" if value is None else json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "…"


def corpus_digest(files: Mapping[str, str]) -> str:
    """A short digest of indexed files (path → content hash)."""
    blob = json.dumps(sorted(files.items()), separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def changed_share(before: Mapping[str, str], now: Mapping[str, str]) -> float:
    """Files added, removed or with other content, over the files there were (1.0 from
    nothing to something)."""
    if not before:
        return 1.0 if now else 0.0
    moved = sum(1 for p in {*before, *now} if before.get(p) != now.get(p))
    return moved / len(before)
