"""The faithfulness judge: a local model answers "is this statement supported by this
passage?" with yes or no. Its prompt is versioned like any prompt and its verdicts are
cached (judge model, prompt version, passage and statement)."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from ragtui.core import prompts
from ragtui.core.generate import Backend, GenerationError

_PASSAGE_TOKENS = 700  # a passage longer than this is cut (the judge sees the start)


class Judge:
    """Yes/no support verdicts from a model backend, cached on disk."""

    def __init__(self, backend: Backend, cache_dir: Path, prompt: str = "judge") -> None:
        import diskcache

        self.backend = backend
        self.template = prompts.load(prompt)
        self.cache = diskcache.Cache(str(cache_dir), size_limit=256 * 2**20)
        self.calls = 0  # verdicts the model had to produce (not cached)
        self.seconds = 0.0

    def _key(self, passage: str, statement: str) -> str:
        raw = "\x1f".join([self.backend.model_id, self.template.id, passage, statement])
        return "judge:" + hashlib.sha256(raw.encode()).hexdigest()

    def supported(self, statement: str, passage: str) -> bool | None:
        """True/False, or None when the model's reply is neither yes nor no (or it failed)."""
        key = self._key(passage, statement)
        found = self.cache.get(key)
        if found is not None:
            return bool(found) if found != "?" else None
        text = passage
        while self.backend.count_tokens(text) > _PASSAGE_TOKENS and len(text) > 200:
            text = text[: int(len(text) * 0.8)]
        rest = self.template.render_passage(1, "", text) + self.template.render_suffix(statement)
        started = time.perf_counter()
        try:
            reply = (
                self.backend.generate(
                    self.template.prefix,
                    rest,
                    max_tokens=3,
                    temperature=0.0,
                    stop=self.template.stop,
                    on_token=None,
                    deadline=time.perf_counter() + 120,
                )
                .text.strip()
                .lower()
            )
        except GenerationError:
            return None
        finally:
            self.seconds += time.perf_counter() - started
            self.calls += 1
        verdict = True if reply.startswith("yes") else False if reply.startswith("no") else None
        self.cache.set(key, "?" if verdict is None else int(verdict))
        return verdict

    def close(self) -> None:
        """Close the verdict cache."""
        self.cache.close()
