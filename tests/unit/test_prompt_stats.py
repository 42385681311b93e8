"""Thumbs up/down kept with traces, per-version figures of live answers, the unpaired
comparison, and promote/rollback through the config file (synthetic ask traces, no model)."""

from __future__ import annotations

import time
import tomllib
import uuid

import pytest

from ragtui import paths
from ragtui.config import load_settings
from ragtui.core.engine import Engine, create_engine
from ragtui.core.errors import InvalidRequest, NotFound, RagtuiError
from ragtui.core.eval.metrics import unpaired_bootstrap
from ragtui.core.trace_store import SpanRecord, TraceRecord, TraceStore
from tests.unit.test_rollout import write_candidate


def ask_trace(
    prompt: str,
    *,
    faithful: float | None = 1.0,
    ms: float = 1000.0,
    abstained: bool = False,
    cached: str = "none",
    name: str = "ask",
) -> TraceRecord:
    """A finished ask trace as the pipeline records it (root and citations.check spans)."""
    trace_id = uuid.uuid4().hex
    start = time.time_ns()
    end = start + int(ms * 1e6)
    prompt_name, version = prompt.split("@")
    root = SpanRecord(
        trace_id,
        "1" * 16,
        None,
        name,
        start,
        end,
        "OK",
        {
            "ragtui.prompt.name": prompt_name,
            "ragtui.prompt.version": version,
            "ragtui.prompt.arm": "default",
        },
    )
    spans = [root]
    if faithful is not None:
        check = {"ragtui.answer.faithfulness_embedding": faithful}
        spans.append(
            SpanRecord(trace_id, "2" * 16, "1" * 16, "citations.check", start, end, "OK", check)
        )
    summary = {"cached": cached, "abstained": abstained, "fallback": False}
    return TraceRecord(trace_id, name, start, ms, "OK", summary, spans)


def _store(engine: Engine) -> TraceStore:
    return engine.tracing.store


def test_ratings_are_kept_with_their_trace_and_go_with_it() -> None:
    engine = create_engine()
    try:
        answer, search = ask_trace("qa@1"), ask_trace("qa@1", name="search")
        _store(engine).write([answer, search])
        assert engine.traces.rate(answer.trace_id[:10], True) == answer.trace_id
        assert engine.traces.rating(answer.trace_id) is True
        engine.traces.rate(answer.trace_id, False)  # the latest counts
        assert engine.traces.rating(answer.trace_id) is False
        with pytest.raises(InvalidRequest, match="is a search, not an answer"):
            engine.traces.rate(search.trace_id, True)
        with pytest.raises(NotFound, match="ragtui traces list"):
            engine.traces.rate("ffffffff", True)
        assert _store(engine).purge() == 2
        assert engine.traces.rating(answer.trace_id) is None
    finally:
        engine.close()


def test_figures_per_version_and_the_candidate_against_the_default() -> None:
    write_candidate()
    engine = create_engine(load_settings(answer={"prompt_candidates": {"qa@2": 0.5}}))
    try:
        default = [ask_trace("qa@1", faithful=1.0, ms=1000) for _ in range(30)]
        candidate = [ask_trace("qa@2", faithful=0.5, ms=2000) for _ in range(30)]
        declined = ask_trace("qa@2", faithful=None, abstained=True)
        cached = ask_trace("qa@1", cached="exact", ms=5)
        _store(engine).write([*default, *candidate, declined, cached])
        for trace in default[:4]:
            engine.traces.rate(trace.trace_id, True)
        engine.traces.rate(candidate[0].trace_id, False)
        report = engine.prompts.stats("24h")
        rows = {v.prompt: v for v in report.versions}
        assert report.default == "qa@1" and report.candidates == {"qa@2": 0.5}
        assert (rows["qa@1"].answers, rows["qa@1"].generated) == (31, 30)
        assert rows["qa@1"].latency_ms.p50 == pytest.approx(1000, abs=1)  # cached left out
        assert rows["qa@2"].role == "candidate" and rows["qa@2"].share == 0.5
        assert rows["qa@2"].faithfulness_embedding == 0.5
        assert rows["qa@2"].abstention_rate == pytest.approx(1 / 31, abs=1e-4)
        assert (rows["qa@1"].thumbs_up, rows["qa@2"].thumbs_down) == (4, 1)
        (comparison,) = report.comparisons
        assert comparison.method.startswith("unpaired bootstrap")
        deltas = {d.metric: d for d in comparison.metrics}
        assert deltas["faithfulness_embedding"].delta == -0.5
        assert deltas["faithfulness_embedding"].regression
        assert deltas["latency_ms"].delta == pytest.approx(61000 / 31 - 1000, abs=0.1)
        assert not deltas["latency_ms"].regression  # cost: reported, never gated
        assert deltas["thumbs_up_rate"].delta == -1 and deltas["thumbs_up_rate"].n_candidate == 1
        assert comparison.regressions == ["faithfulness_embedding"]  # one rating proves nothing
        assert engine.stats.figures("24h").answers.prompts == {"qa@1": 31, "qa@2": 31}
    finally:
        engine.close()


def test_unpaired_bootstrap_finds_a_real_difference_and_not_a_false_one() -> None:
    same = unpaired_bootstrap([0.0, 1.0] * 20, [1.0, 0.0] * 25)
    assert same[0] == 0 and same[3] > 0.5
    better = unpaired_bootstrap([0.0, 0.0, 1.0] * 15, [1.0, 1.0, 0.0] * 15)
    assert better[0] == pytest.approx(1 / 3) and better[3] < 0.05 and better[1] > 0


def _config() -> dict[str, object]:
    with paths.config_file().open("rb") as fh:
        return tomllib.load(fh)["answer"]


def test_promote_and_rollback_round_trip_through_the_config_file() -> None:
    write_candidate()
    config = paths.config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        '# my settings\n[answer]\nk = 4\nprompt_candidates = {"qa@2" = 0.2, "qa-kinds@1" = 0.1}\n'
    )
    engine = create_engine()
    try:
        change = engine.prompts.promote("qa@2")
    finally:
        engine.close()
    assert (change.default, change.previous) == ("qa@2", "qa@1")
    assert _config() == {
        "k": 4,
        "prompt_candidates": {"qa-kinds@1": 0.1},
        "prompt": "qa",
        "prompt_version": 2,
    }
    assert config.read_text().startswith("# my settings")
    engine = create_engine()
    try:
        assert engine.prompts.default == "qa@2"
        with pytest.raises(InvalidRequest, match="qa@2 is already the default prompt"):
            engine.prompts.promote("qa@2")
        with pytest.raises(RagtuiError, match="Prompt qa has no version 9"):
            engine.prompts.promote("qa@9")
        back = engine.prompts.rollback()
    finally:
        engine.close()
    assert (back.default, back.previous) == ("qa@1", "qa@2")
    assert _config()["prompt_candidates"] == {"qa@2": 0.2, "qa-kinds@1": 0.1}
    assert load_settings().answer.prompt_version == 1
    engine = create_engine()
    try:
        with pytest.raises(NotFound, match="Nothing to roll back"):
            engine.prompts.rollback()
    finally:
        engine.close()
