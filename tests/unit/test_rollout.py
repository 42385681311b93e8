"""Prompt rollouts: deterministic assignment, shares, config checks, user prompt files and
the pipeline recording each answer's version and arm (fake model, real traces)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from ragtui import paths
from ragtui.config import ConfigError, Settings, load_settings
from ragtui.core import prompts, rollout, router
from ragtui.core.answer import AnswerPipeline
from ragtui.core.models import Hit, Location
from ragtui.core.trace import Tracing
from tests.fakes import Scripted

QA = Path(prompts.__file__).parent / "qa@1.toml"
MARK = "Read the question, then the passages, then the question again."


def write_candidate(version: int = 2) -> Path:
    """A user candidate ``qa@<version>``: qa@1 with the question also before the passages."""
    text = QA.read_text(encoding="utf-8").replace(
        'prefix = """Answer the question', f'prefix = """{MARK} Answer the question'
    )
    folder = paths.layout().prompts
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"qa@{version}.toml"
    target.write_text(text.replace("version = 1", f"version = {version}"), encoding="utf-8")
    return target


def test_a_question_always_falls_to_the_same_arm_whatever_its_case_and_spacing() -> None:
    shares = {"qa-kinds@1": 0.5}
    for n in range(50):
        question = f"When is service number {n} due?"
        first = rollout.assign(question, shares)
        assert rollout.assign(f"  {question.upper()} ", shares) == first
        assert rollout.bucket(question) == rollout.bucket(question.lower())


def test_shares_hold_over_many_questions() -> None:
    shares = {"qa-kinds@1": 0.2, "qa-chat@1": 0.1}
    counts: dict[str | None, int] = {}
    total = 5000
    for n in range(total):
        arm = rollout.assign(f"question {n} about the boiler?", shares)
        counts[arm] = counts.get(arm, 0) + 1
    assert abs(counts["qa-kinds@1"] / total - 0.2) < 0.02
    assert abs(counts["qa-chat@1"] / total - 0.1) < 0.015
    assert abs(counts[None] / total - 0.7) < 0.02
    assert rollout.assign("anything", {}) is None


@pytest.mark.parametrize(
    ("candidates", "words"),
    [
        ({"qa@7": 0.2}, "no version 7"),
        ({"nope@1": 0.2}, "Unknown prompt template 'nope'"),
        ({"qa-kinds": 0.2}, "write it as name@N"),
        ({"qa-kinds@1": 0.7, "qa-chat@1": 0.4}, "add up to 1.1, over 1"),
        ({"qa-kinds@1": 0}, "above 0"),
        ({"qa@1": 0.2}, "qa@1 is the default prompt"),
    ],
)
def test_candidates_are_checked_when_the_config_loads(
    candidates: dict[str, float], words: str
) -> None:
    with pytest.raises(ConfigError, match=r"Invalid setting") as caught:
        load_settings(answer={"prompt_candidates": candidates})
    assert words in str(caught.value)


def test_a_user_prompt_file_is_a_version_but_never_the_silent_default() -> None:
    target = write_candidate()
    assert prompts.available()["qa"] == [1, 2]
    assert prompts.load("qa").id == "qa@1"  # no version: the newest bundled one
    user = prompts.load("qa", 2)
    assert user.origin == "user" and MARK in user.prefix and user.digest
    settings = load_settings(answer={"prompt_candidates": {"qa@2": 0.2}})
    assert settings.answer.prompt_candidates == {"qa@2": 0.2}
    target.write_text(target.read_text().replace(MARK, "Changed."), encoding="utf-8")
    changed = prompts.load("qa", 2)
    assert "Changed." in changed.prefix and changed.digest != user.digest


def _embed(texts: Sequence[str]) -> np.ndarray:
    vocab = ["belt", "timing", "miles", "replaced", "oil"]
    rows = [np.array([t.lower().count(w) for w in vocab], dtype=np.float32) + 1e-3 for t in texts]
    return np.stack([r / np.linalg.norm(r) for r in rows])


HIT = Hit(
    chunk_id="c1",
    path="/docs/car.md",
    location=Location(line_start=1, line_end=1),
    score=1.0,
    scores={"dense": 0.5},
    ranks={},
    snippet="The timing belt is replaced every 45,000 miles.",
    text="The timing belt is replaced every 45,000 miles.",
    context="",
)


def _pipeline(tmp_path: Path, settings: Settings, model: Scripted) -> AnswerPipeline:
    chain = router.build(settings.llm, tmp_path / "cache", lambda: model, lambda cfg: model)  # type: ignore[arg-type,return-value]
    return AnswerPipeline(
        settings,
        search=lambda q, k: [HIT],
        embed=_embed,
        embed_query=lambda q: _embed([q])[0],
        backend=lambda: model,  # type: ignore[arg-type,return-value]
        cache=None,
        router=chain,
        tracing=Tracing(settings.tracing, tmp_path / "traces.sqlite"),
    )


def test_each_answer_and_its_trace_record_the_version_and_arm(tmp_path: Path) -> None:
    write_candidate()
    settings = load_settings(
        answer={"abstain": False, "cache": False, "prompt_candidates": {"qa@2": 0.5}}
    )
    model = Scripted("The belt is replaced every 45,000 miles [1].")
    pipeline = _pipeline(tmp_path, settings, model)
    questions = [f"When is the timing belt of car {n} replaced?" for n in range(12)]
    answers = [pipeline.ask(q) for q in questions]
    versions = {a.prompt_version for a in answers}
    assert versions == {"qa@1", "qa@2"}
    for question, answer, prefix in zip(questions, answers, model.prompts, strict=True):
        expected = rollout.assign(question, {"qa@2": 0.5})
        assert answer.prompt_version == (expected or "qa@1")
        assert answer.prompt_candidate == (expected is not None)
        assert (MARK in prefix) == answer.prompt_candidate
    again = pipeline.ask(questions[0].upper())
    assert again.prompt_version == answers[0].prompt_version
    pipeline.tracing.flush()
    store = pipeline.tracing.store
    for answer in answers:
        assert answer.trace_id is not None
        trace = store.get(answer.trace_id)
        assert trace is not None
        root = next(s for s in trace.spans if s.name == "ask")
        arm = "candidate" if answer.prompt_candidate else "default"
        assert root.attributes["ragtui.prompt.arm"] == arm
        assert f"qa@{root.attributes['ragtui.prompt.version']}" == answer.prompt_version
        check = next(s for s in trace.spans if s.name == "citations.check")
        assert check.attributes["ragtui.answer.faithfulness_embedding"] == 1.0
    pipeline.tracing.close()
