"""Prompt rollouts: a candidate prompt version answers a fixed share of live questions.

A question's arm follows from a hash of its normalised text (the exact answer cache's
normalisation), so the same question always gets the same version and its cached answer
stays the one that version made. Shares are stacked in the candidates' sorted order:
with ``{"qa@2": 0.2, "qa@3": 0.1}`` buckets [0, 0.2) go to qa@2, [0.2, 0.3) to qa@3 and
the rest to the default.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from ragtui.core.cache import normal_question

DEFAULT = "default"
CANDIDATE = "candidate"


def bucket(question: str) -> float:
    """Where ``question`` falls in [0, 1), the same on every run and machine."""
    digest = hashlib.sha256(normal_question(question).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign(question: str, candidates: Mapping[str, float]) -> str | None:
    """The candidate prompt id that answers ``question``, or None for the default."""
    point = bucket(question)
    edge = 0.0
    for prompt_id in sorted(candidates):
        edge += candidates[prompt_id]
        if point < edge:
            return prompt_id
    return None
