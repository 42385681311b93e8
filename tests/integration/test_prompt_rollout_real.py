"""A prompt rollout with two live versions on the bundled GGUF: each answer records the
version that made it, the candidate's prompt reaches the model, the exact cache keeps each
question's version, and the per-version stats show both."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragtui.config import load_settings
from ragtui.core import rollout
from ragtui.core.engine import create_engine
from tests.conftest import install_bundled
from tests.unit.test_rollout import MARK, write_candidate

pytestmark = pytest.mark.slow

QUESTIONS = [
    "At what mileage is the timing belt replaced?",
    "How often is the engine oil changed?",
    "What is the Wi-Fi password of the guest network?",
    "Which hotel did we stay at in Lisbon?",
]
SHARES = {"qa@2": 0.5}


def test_two_live_versions_are_recorded_and_compared(
    ragtui_home: Path, demo_docs: Path, bundled_models: dict[str, Path]
) -> None:
    install_bundled(bundled_models, ragtui_home)
    write_candidate()
    arms = [rollout.assign(q, SHARES) for q in QUESTIONS]
    assert arms.count("qa@2") == 2 and arms.count(None) == 2  # both arms get questions
    settings = load_settings(
        llm={"max_tokens": 24},
        answer={"prompt_candidates": SHARES, "min_confidence": 0.0},
    )
    engine = create_engine(settings)
    try:
        engine.add_folder(demo_docs)
        engine.index()
        answers = [engine.ask(q) for q in QUESTIONS]
        for arm, answer in zip(arms, answers, strict=True):
            assert not answer.fallback, answer.error
            assert answer.prompt_version == (arm or "qa@1")
            assert answer.prompt_candidate == (arm is not None)
        cached = 0
        for answer in answers:  # the same question, as typed differently: the same version
            again = engine.ask(f"  {answer.question.lower()} ")
            assert (again.prompt_version, again.prompt_candidate) == (
                answer.prompt_version,
                answer.prompt_candidate,
            )
            if not answer.quoted and not answer.abstained:  # answers that failed a check
                assert again.cached == "exact"  # are not cached
                cached += 1
        assert cached, "no answer passed its checks, so the cache went untested"
        engine.tracing.flush()
        for answer in answers:
            assert answer.trace_id is not None
            trace = engine.traces.get(answer.trace_id)
            rendered = next(s for s in trace.spans if s.name == "prompt.render")
            assert (MARK in rendered.attributes["ragtui.prompt.text"]) == answer.prompt_candidate
        engine.traces.rate(answers[1].trace_id or "", True)
        report = engine.prompts.stats("24h")
        versions = {v.prompt: v for v in report.versions}
        assert (versions["qa@1"].answers, versions["qa@2"].answers) == (4, 4)
        assert versions["qa@1"].generated >= 2 and versions["qa@2"].generated >= 2
        assert versions["qa@2"].thumbs_up == 1
        assert versions["qa@1"].latency_ms.p50 is not None
        (comparison,) = report.comparisons
        assert {d.metric for d in comparison.metrics} >= {"abstention_rate", "latency_ms"}
        assert engine.stats.figures("24h").answers.prompts == {"qa@1": 4, "qa@2": 4}
    finally:
        engine.close()
