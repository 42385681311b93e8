"""Fake model backends for tests of the answer pipeline (the real llama.cpp model has its
own tests in tests/integration/test_llm.py)."""

from __future__ import annotations

from collections.abc import Sequence

from ragtui.core.generate import Generation, GenerationError


class Scripted:
    """A backend that answers with a fixed text, token by token (or fails)."""

    model_id = "scripted"
    prompt_format = "completion"
    n_ctx = 4096

    def __init__(self, text: str = "", fail_after: int | None = None) -> None:
        self.text = text
        self.fail_after = fail_after
        self.calls = 0
        self.prompts: list[str] = []

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def generate(
        self,
        prefix: str,
        rest: str,
        *,
        max_tokens: int,
        temperature: float,
        stop: Sequence[str],
        on_token: object,
        deadline: float,
    ) -> Generation:
        self.calls += 1
        self.prompts.append(prefix + rest)
        for i, word in enumerate(self.text.split(" ")):
            if self.fail_after is not None and i >= self.fail_after:
                raise GenerationError("The model failed mid-answer (scripted).")
            if on_token is not None:
                on_token(word + " ")  # type: ignore[operator]
        return Generation(
            self.text, len((prefix + rest).split()), len(self.text.split()), 5.0, 10.0
        )
