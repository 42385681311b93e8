"""Synthetic eval cases from the user's own index: the local model writes a question each
sampled chunk answers; that chunk's file becomes the expected source."""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from ragtui.core import prompts
from ragtui.core.errors import Cancelled
from ragtui.core.eval.dataset import EvalCase
from ragtui.core.eval.pace import Pace
from ragtui.core.generate import Backend, GenerationError
from ragtui.core.giveway import giving_way
from ragtui.core.prompts import PromptTemplate

_WORD = re.compile(r"\w+")
_PASSAGE_CHARS = 1500
_STOP = frozenset(
    {
        "what",
        "which",
        "who",
        "when",
        "where",
        "why",
        "how",
        "is",
        "are",
        "the",
        "a",
        "an",
        "of",
        "in",
        "to",
        "do",
        "does",
        "did",
        "for",
        "on",
        "and",
        "or",
    }
)


def degenerate(question: str, passage: str, seen: set[str]) -> str | None:
    """Why a generated question is unusable, or None when it is fine."""
    words = _WORD.findall(question.lower())
    if not question.endswith("?"):
        return "not a question"
    if not 4 <= len(words) <= 40:
        return "too short or too long"
    content = [w for w in words if w not in _STOP]
    passage_words = set(_WORD.findall(passage.lower()))
    if not content or not any(w in passage_words for w in content):
        return "shares no words with its passage"
    if question.lower().rstrip("?") in passage.lower():
        return "copies the passage"
    key = " ".join(words)
    if key in seen:
        return "duplicate"
    return None


def generate_cases(
    chunks: list[tuple[str, str, str]],
    backend: Backend,
    count: int,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    pace: Pace | None = None,
) -> tuple[list[EvalCase], dict[str, Any]]:
    """Up to ``count`` cases from (chunk id, path, text) samples; returns the cases and what
    was dropped and why. With a ``pace`` every question waits for its turn, and one being
    written when a user's question comes in is written again later; a cancel ends early."""
    template = prompts.load("question")
    rng = random.Random(seed)
    order = rng.sample(chunks, len(chunks))
    cases: list[EvalCase] = []
    dropped: dict[str, int] = {}
    seen: set[str] = set()
    tried = 0
    for chunk_id, path, text in order:
        if len(cases) >= count or tried >= count * 3:
            break
        if len(_WORD.findall(text)) < 12:
            dropped["passage too short"] = dropped.get("passage too short", 0) + 1
            continue
        tried += 1
        try:
            question = _paced(backend, template, text, pace)
        except GenerationError:
            dropped["model failed"] = dropped.get("model failed", 0) + 1
            continue
        if question is None:
            break
        reason = degenerate(question, text, seen)
        if reason is not None:
            dropped[reason] = dropped.get(reason, 0) + 1
            continue
        seen.add(" ".join(_WORD.findall(question.lower())))
        cases.append(
            EvalCase(
                id=f"gen-{chunk_id[:12]}",
                question=question,
                expected_sources=[path],
                tags=["generated", chunk_id],
            )
        )
        if progress is not None:
            progress(len(cases), count)
    return cases, {"written": len(cases), "tried": tried, "dropped": dropped, "prompt": template.id}


def _paced(backend: Backend, template: PromptTemplate, text: str, pace: Pace | None) -> str | None:
    """The question the model writes for one passage (None: the pace was cancelled)."""
    rest = template.render_passage(1, "", text[:_PASSAGE_CHARS]) + template.render_suffix("")
    while pace is None or pace.wait_turn():
        if pace is None:
            return _question(backend, template, rest, None)
        with pace.step() as stop, giving_way(stop):
            try:
                return _question(backend, template, rest, stop)
            except Cancelled:
                if pace.cancelled:
                    return None
    return None


def _question(
    backend: Backend, template: PromptTemplate, rest: str, stop: threading.Event | None
) -> str:
    def on_token(_piece: str) -> None:
        if stop is not None and stop.is_set():
            raise Cancelled("Stopped for a question.")

    return backend.generate(
        template.prefix,
        rest,
        max_tokens=48,
        temperature=0.0,
        stop=template.stop,
        on_token=on_token if stop is not None else None,
        deadline=time.perf_counter() + 120,
    ).text.strip()
