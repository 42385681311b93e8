"""The model router with fake backends: fallback order, a breaker per route, timeouts, the
extractive end, rules, and the unchanged single route when ``llm.routes`` is empty."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ragtui.config import ConfigError, LLMSettings, Settings, load_settings
from ragtui.core import router
from ragtui.core.answer import AnswerPipeline
from ragtui.core.breaker import Breaker
from ragtui.core.errors import InvalidRequest, ModelMissing
from ragtui.core.generate import Generation, GenerationError, model_key
from ragtui.core.models import Answer, Hit, Location
from ragtui.core.trace import Tracing

VOCAB = ["belt", "timing", "miles", "oil", "replaced", "change", "tyre", "brake"]
PASSAGES = [
    "The timing belt is replaced every 45,000 miles.",
    "Change the engine oil every 7,500 miles.",
    "Check the tyre pressure every month.",
]
QUESTION = "When is the timing belt replaced?"


def _embed(texts: Sequence[str]) -> np.ndarray:
    rows = []
    for text in texts:
        v = np.array([text.lower().count(w) for w in VOCAB], dtype=np.float32) + 1e-3
        rows.append(v / np.linalg.norm(v))
    return np.stack(rows)


def _hit(n: int, text: str) -> Hit:
    return Hit(
        chunk_id=f"c{n}",
        path=f"/docs/car-{n}.md",
        location=Location(line_start=n, line_end=n),
        score=1.0 / (n + 1),
        scores={"dense": 0.5},
        ranks={},
        snippet=text,
        text=text,
        context="",
    )


HITS = [_hit(n, text) for n, text in enumerate(PASSAGES)]


class Fake:
    """A scripted model: answers, raises (at once or after streaming), or is slow."""

    prompt_format = "completion"
    n_ctx = 4096

    def __init__(
        self,
        name: str,
        *,
        fail: str | None = None,
        after: int = 0,
        token_s: float = 0.0,
        hang: bool = False,
    ) -> None:
        self.model_id = name
        self.fail = fail
        self.after = after
        self.token_s = token_s
        self.hang = hang
        self.calls = 0
        self.took: list[float] = []

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
        on_token: Callable[[str], None] | None,
        deadline: float,
    ) -> Generation:
        self.calls += 1
        started = time.perf_counter()
        try:
            if self.hang:  # no first token: gives up at the deadline, as real backends do
                while time.perf_counter() < deadline:
                    time.sleep(0.01)
                raise GenerationError("The model took longer than llm.timeout_s to answer.")
            words = f"The belt is replaced at 45,000 miles [1] ({self.model_id}).".split()
            for i, word in enumerate(words):
                if self.fail is not None and i >= self.after:
                    raise GenerationError(self.fail)
                time.sleep(self.token_s)
                if time.perf_counter() > deadline:
                    raise GenerationError("The model took longer than llm.timeout_s to answer.")
                if on_token is not None:
                    on_token(word + " ")
            text = " ".join(words)
            return Generation(text, 20, len(words), 1.0, 2.0)
        finally:
            self.took.append(time.perf_counter() - started)


def _settings(routes: list[dict[str, Any]] | None = None, **llm: Any) -> Settings:
    return load_settings(
        answer={"abstain": False, "cache": False},
        llm={"routes": routes or [], **llm},
        tracing={"enabled": False},
    )


def _pipeline(
    tmp_path: Path, settings: Settings, fakes: dict[str, Fake], default: Fake | None = None
) -> AnswerPipeline:
    def backend_for(cfg: LLMSettings) -> Fake:
        if cfg.model not in fakes:
            raise ModelMissing(f"No model {cfg.model!r}: set model to a known name.")
        return fakes[cfg.model]

    fallback = default or Fake("local")
    chain = router.build(settings.llm, tmp_path / "cache", lambda: fallback, backend_for)  # type: ignore[arg-type,return-value]
    return AnswerPipeline(
        settings,
        search=lambda q, k: HITS[:k],
        embed=_embed,
        embed_query=lambda q: _embed([q])[0],
        backend=lambda: fallback,  # type: ignore[arg-type,return-value]
        cache=None,
        router=chain,
        tracing=Tracing(settings.tracing, tmp_path / "traces.sqlite"),
    )


CHAIN = [
    {"name": "down", "model": "raises"},
    {"name": "stuck", "model": "hangs", "timeout_s": 0.3},
    {"name": "slow", "model": "slow", "timeout_s": 1},
]


def _fakes() -> dict[str, Fake]:
    return {
        "raises": Fake("raises", fail="The model server at http://x did not answer."),
        "hangs": Fake("hangs", hang=True),
        "slow": Fake("slow", token_s=0.05),
    }


def test_falls_back_down_the_chain_within_each_timeout(tmp_path: Path) -> None:
    fakes = _fakes()
    pipeline = _pipeline(tmp_path, _settings(CHAIN), fakes)
    streamed: list[str] = []
    started = time.perf_counter()
    answer = pipeline.ask(QUESTION, on_token=streamed.append)
    elapsed = time.perf_counter() - started
    assert answer.route == "slow" and not answer.fallback and answer.model == "slow"
    assert [f.split(":")[0] for f in answer.routes_failed] == ["down", "stuck"]
    assert "did not answer" in answer.routes_failed[0]
    assert "longer than" in answer.routes_failed[1]
    assert 0.3 <= fakes["hangs"].took[0] < 0.5, "the stuck route gives up at its own timeout"
    assert 0.4 < fakes["slow"].took[0] < 1, "slower than the stuck route's timeout, inside its own"
    assert elapsed < 3.0
    assert "".join(streamed).strip().endswith("(slow).")
    assert not answer.stream_discarded


def test_each_route_has_its_own_breaker(tmp_path: Path) -> None:
    fakes = _fakes()
    pipeline = _pipeline(tmp_path, _settings(CHAIN), fakes)
    pipeline.ask(QUESTION)
    started = time.perf_counter()
    again = pipeline.ask(QUESTION)
    skipping = time.perf_counter() - started - fakes["slow"].took[-1]
    assert skipping < 0.2, "open breakers skip the broken routes at once"
    assert again.route == "slow"
    assert [f.split(": ", 1)[1].startswith("skipped for now") for f in again.routes_failed] == [
        True,
        True,
    ]
    assert fakes["raises"].calls == 1 and fakes["hangs"].calls == 1 and fakes["slow"].calls == 2
    breakers = sorted(p.name for p in (tmp_path / "cache").glob("llm-breaker-*.json"))
    assert [b.split("-")[2] for b in breakers] == ["down", "stuck"]


def test_after_the_last_route_the_extractive_answer(tmp_path: Path) -> None:
    fakes = _fakes()
    routes = [{"name": "down", "model": "raises"}, {"name": "missing", "model": "nowhere"}]
    answer = _pipeline(tmp_path, _settings(routes), fakes).ask(QUESTION)
    assert answer.fallback and answer.route == "extractive"
    assert answer.citations and answer.citations[0].path == "/docs/car-0.md"
    assert "down: The model server" in (answer.error or "")
    assert "missing: No model 'nowhere'" in (answer.error or "")


def test_a_route_failing_mid_answer_hands_over_silently(tmp_path: Path) -> None:
    fakes = {"flaky": Fake("flaky", fail="The model failed mid-answer (boom).", after=3)}
    routes = [{"name": "flaky", "model": "flaky"}, {"name": "local"}]
    streamed: list[str] = []
    answer = _pipeline(tmp_path, _settings(routes), fakes).ask(QUESTION, on_token=streamed.append)
    assert answer.route == "local" and answer.stream_discarded
    assert "".join(streamed) == "The belt is ", "the failed route's tokens, then nothing more"
    assert answer.answer.endswith("(local).")


def test_rules_pick_the_routes_a_question_may_take(tmp_path: Path) -> None:
    fakes = {"big": Fake("big"), "tiny": Fake("tiny")}
    routes = [
        {"name": "big", "model": "big", "when": "context_tokens >= 100"},
        {"name": "tiny", "model": "tiny", "when": "question_words <= 3"},
        {"name": "manual", "model": "big", "when": "user"},
        {"name": "local"},
    ]
    pipeline = _pipeline(tmp_path, _settings(routes), fakes)
    assert pipeline.ask(QUESTION).route == "local"  # 6 words; 3 short passages
    assert pipeline.ask("Timing belt?").route == "tiny"
    assert pipeline.ask(QUESTION, route="manual").route == "manual"
    assert pipeline.ask(QUESTION, route="big").route == "big"  # chosen, though it does not match
    with pytest.raises(InvalidRequest, match=r"no route 'nope'.*big, tiny, manual, local"):
        pipeline.ask(QUESTION, route="nope")
    chain = pipeline.router
    assert [r.name for r in chain.plan(router.Facts(10, 500))] == ["big", "local"]
    sure = router.Rule.parse("relevance >= 0.8")
    breaker = Breaker(tmp_path / "b.json", 60)
    relevance = router.Router(
        [router.Route("sure", LLMSettings(), sure, breaker, lambda: fakes["big"])], True
    )
    assert relevance.needs == {"relevance"}
    assert [r.name for r in relevance.plan(router.Facts(relevance=0.9))] == ["sure"]
    assert relevance.plan(router.Facts(relevance=0.5)) == []


def test_without_routes_the_one_route_is_llm_as_before(tmp_path: Path) -> None:
    settings = _settings()
    local = Fake("local", fail="The model failed mid-answer (scripted).", after=2)
    pipeline = _pipeline(tmp_path, settings, {}, default=local)
    (only,) = pipeline.router.routes
    assert only.name == "llm" and only.settings is settings.llm and not pipeline.router.configured
    assert only.breaker.path.name == f"llm-breaker-{model_key(settings.llm)}.json"
    answer = pipeline.ask(QUESTION)
    assert answer.fallback and answer.error == "The model failed mid-answer (scripted)."
    again = pipeline.ask(QUESTION)
    assert again.error is not None and again.error.startswith("skipped for now: The model")
    assert local.calls == 1
    only.breaker.reset()
    local.fail = None
    fine: Answer = pipeline.ask(QUESTION)
    assert fine.route == "llm" and fine.routes_failed == () and fine.model == "local"


def test_routes_inherit_llm_and_are_validated() -> None:
    settings = load_settings(
        llm={
            "model_path": "/models/small.gguf",
            "timeout_s": 30,
            "routes": [
                {"name": "big", "model_path": "/models/big.gguf", "timeout_s": 5},
                {"name": "server", "backend": "openai", "model": "qwen"},
                {"name": "local"},
            ],
        }
    )
    big, server, local = (router.route_settings(settings.llm, r) for r in settings.llm.routes)
    assert big.model_path == Path("/models/big.gguf") and big.timeout_s == 5
    assert server.backend == "openai" and server.model == "qwen" and server.model_path is None
    assert router.same_model(local, settings.llm) and local.timeout_s == 30
    for bad, word in (
        ({"name": "x", "when": "words > 3"}, "when"),
        ({"name": "bad name"}, "name"),
        ({"name": "extractive"}, "routes"),
    ):
        with pytest.raises(ConfigError, match=word):
            load_settings(llm={"routes": [bad]})
    with pytest.raises(ConfigError, match="two routes are named 'a'"):
        load_settings(llm={"routes": [{"name": "a"}, {"name": "a"}]})
