"""The answer pipeline on the real index and embedding model, with scripted model backends
(the real llama.cpp model has its own tests in test_llm.py)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from ragtui.core.engine import Engine, create_engine
from ragtui.core.errors import ModelMissing
from ragtui.core.followup import Exchange
from ragtui.core.generate import Generation
from tests.conftest import DEMO_CORPUS
from tests.fakes import Scripted

pytestmark = pytest.mark.slow


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    docs = tmp_path / "docs"
    shutil.copytree(DEMO_CORPUS, docs)
    eng = create_engine()
    eng.add_folder(docs)
    eng.index()
    return eng


def _use(engine: Engine, backend: object) -> None:
    engine._backend = backend  # type: ignore[assignment]


def test_answer_with_explicit_and_invalid_citations(engine: Engine) -> None:
    _use(engine, Scripted("The timing belt is replaced at 45,000 miles [1]. See also [9]."))
    streamed: list[str] = []
    answer = engine.ask("At what mileage is the timing belt replaced?", on_token=streamed.append)
    assert "".join(streamed).strip().startswith("The timing belt")
    assert answer.dropped_citations == 1 and "[9]" not in answer.answer
    assert answer.citations[0].n == 1 and not answer.citations[0].inferred
    assert answer.citations[0].path.endswith("car-maintenance.md")
    assert answer.prompt_version == "qa@1" and answer.tokens["completion"] > 0
    assert set(answer.timings_ms) == {"retrieve", "ttft", "generate", "total"}


def test_unmarked_answer_gets_inferred_citations_and_invented_figures_flagged(
    engine: Engine,
) -> None:
    _use(
        engine,
        Scripted("The timing belt is replaced at 45,000 miles. It was done on April 12, 2018."),
    )
    answer = engine.ask("When is the timing belt replaced?")
    assert any(c.inferred and c.path.endswith("car-maintenance.md") for c in answer.citations)
    assert any("2018" in s for s in answer.unsupported)


def test_abstains_when_nothing_relevant(engine: Engine) -> None:
    backend = Scripted("Paris.")
    _use(engine, backend)
    answer = engine.ask("What is the capital of France?")
    assert answer.abstained and answer.answer == "Not in your documents."
    assert backend.calls == 0


def test_abstains_on_topic_when_no_sentence_is_near_the_question(engine: Engine) -> None:
    backend = Scripted("45,000 miles.")
    _use(engine, backend)
    answer = engine.ask("What colour is the Kestrel?")  # the car notes never say
    assert answer.abstained and backend.calls == 0
    assert answer.citations == () and answer.closest
    assert answer.closest[0].path.endswith("car-maintenance.md")
    engine.tracing.flush()
    relevance = next(s for s in engine.traces.last("ask").spans if s.name == "answer.relevance")
    assert relevance.attributes["ragtui.answer.relevance"] < 0.58
    answered = engine.ask("At what mileage is the timing belt replaced?")
    assert not answered.abstained and backend.calls >= 1


def test_passage_margin_leaves_weak_passages_out_of_the_prompt(engine: Engine) -> None:
    from ragtui.config import load_settings

    question = "How often should I change the oil in the Kestrel?"
    backend = Scripted("Every 7,500 miles.")
    _use(engine, backend)
    whole = engine.ask(question)
    assert len(whole.packed) == 3 and whole.weak_chunks == (), "by default all k are packed"
    focused = create_engine(load_settings(answer={"passage_margin": 0.2}), engine.data_dir)
    _use(focused, backend)
    answer = focused.ask(question)
    assert answer.weak_chunks and set(answer.packed) | set(answer.weak_chunks) == set(whole.packed)
    assert answer.citations[0].path.endswith("car-maintenance.md")
    assert "Change the engine oil every 7,500 miles" in backend.prompts[-1]
    assert len(backend.prompts[-1]) < len(backend.prompts[0])
    focused.tracing.flush()
    spans = {s.name: s for s in focused.traces.last("ask").spans}
    scores = spans["answer.relevance"].attributes["ragtui.answer.passage_relevance"]
    assert len(scores) == 3 and max(scores) - min(scores) > 0.2
    assert spans["context.pack"].attributes["ragtui.context.weak"] == list(answer.weak_chunks)


def test_fallback_on_mid_stream_failure_and_breaker(engine: Engine) -> None:
    backend = Scripted("The belt is replaced at 45,000 miles [1].", fail_after=2)
    _use(engine, backend)
    answer = engine.ask("When is the timing belt replaced?")
    assert answer.fallback and "mid-answer" in (answer.error or "")
    assert answer.citations and answer.citations[0].path.endswith("car-maintenance.md")
    again = engine.ask("How often should I change the oil?")
    assert again.fallback and "skipped for now" in (again.error or "")
    assert backend.calls == 1, "the breaker keeps a broken model from being retried"


def test_fallback_when_the_model_cannot_load(engine: Engine, tmp_path: Path) -> None:
    from ragtui.config import load_settings

    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 64)
    settings = load_settings(llm={"model_path": broken})
    eng = create_engine(settings, engine.data_dir)
    answer = eng.ask("When is the timing belt replaced?")
    assert answer.fallback and answer.citations
    assert "broken.gguf" in (answer.error or "")


def test_the_first_question_starts_loading_the_model_and_close_waits_for_it(
    engine: Engine,
) -> None:
    release = threading.Event()
    loads: list[threading.Thread] = []

    class Loading(Scripted):
        def load_ahead(self) -> threading.Thread:
            loads.append(threading.Thread(target=release.wait, args=(60,)))
            loads[-1].start()
            return loads[-1]

    _use(engine, Loading("The timing belt is replaced at 45,000 miles [1]."))
    first = engine.ask("At what mileage is the timing belt replaced?")
    assert "45,000" in first.answer and loads[0].is_alive()  # the answer did not wait here
    engine.ask("What is the router's admin address?")
    assert len(loads) == 1
    closing = threading.Thread(target=engine.close)
    closing.start()
    closing.join(0.5)
    assert closing.is_alive()  # llama.cpp must not be mid-load when the process ends
    release.set()
    closing.join(30)
    assert not closing.is_alive() and not loads[0].is_alive()


def test_missing_model_file_is_one_sentence(engine: Engine, tmp_path: Path) -> None:
    from ragtui.config import load_settings

    eng = create_engine(load_settings(llm={"model_path": tmp_path / "none.gguf"}), engine.data_dir)
    with pytest.raises(ModelMissing, match=r"llm\.model_path"):
        eng.backend()


def test_exact_and_semantic_cache_and_stale_entries(engine: Engine) -> None:
    backend = Scripted("The timing belt is replaced at 45,000 miles [1].")
    _use(engine, backend)
    question = "At what mileage is the timing belt replaced?"
    first = engine.ask(question)
    assert first.cached is False
    hit = engine.ask(question)
    assert hit.cached == "exact" and hit.answer == first.answer and backend.calls == 1
    assert hit.timings_ms["total"] < 1000
    near = engine.ask("At what mileage is the timing belt replaced ?")
    assert near.cached in ("exact", "semantic") and backend.calls == 1
    fresh = engine.ask(question, use_cache=False)
    assert fresh.cached is False and backend.calls == 2
    car = Path(first.citations[0].path)
    car.write_text(car.read_text().replace("45,000", "60,000"))
    os.utime(car, ns=(time.time_ns(), time.time_ns() + 10**9))
    engine.index()
    after = engine.ask(question)
    assert after.cached is False, "an edited document is never answered from a stale entry"
    assert backend.calls >= 3  # asked again (twice: the scripted 45,000 no longer matches)


def test_semantic_cache_never_answers_for_another_model_or_setting(engine: Engine) -> None:
    from ragtui.config import load_settings

    _use(engine, Scripted("The timing belt is replaced at 45,000 miles [1]."))
    engine.ask("At what mileage is the timing belt replaced?")
    reworded = "At what mileage is the timing belt replaced ?"
    assert engine.ask(reworded).cached in ("exact", "semantic")
    other = Scripted("45,000 miles [1].")
    other.model_id = "other"
    _use(engine, other)
    assert engine.ask(reworded).cached is False and other.calls == 1
    longer = create_engine(load_settings(llm={"max_tokens": 50}), engine.data_dir)
    _use(longer, other)
    assert longer.ask(reworded).cached is False and other.calls == 2


def test_answer_from_a_distractor_line_is_asked_again(engine: Engine) -> None:
    backend = Scripted("192.168.8.20.")
    _use(engine, backend)
    answer = engine.ask("What address do I type in to get to the router's admin page?")
    assert answer.refocused and backend.calls == 2
    assert "192.168.8.1" in backend.prompts[1] and "192.168.8.20" not in backend.prompts[1]


def test_cancel_stops_the_stream_without_tripping_the_breaker(engine: Engine) -> None:
    import threading

    from ragtui.core.errors import Cancelled

    backend = Scripted("The belt is replaced at 45,000 miles [1].")
    _use(engine, backend)
    cancel = threading.Event()
    seen: list[str] = []

    def on_token(piece: str) -> None:
        seen.append(piece)
        cancel.set()

    with pytest.raises(Cancelled):
        engine.ask(
            "When is the timing belt replaced?", on_token=on_token, cancel=cancel, use_cache=False
        )
    assert seen == ["The "], "no token after the cancel"
    answer = engine.ask("When is the timing belt replaced?", use_cache=False)
    assert not answer.fallback and "45,000" in answer.answer, "the breaker stayed closed"


class Looping(Scripted):
    """A backend whose pieces go through the real stream function and its loop guard."""

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
        from ragtui.core.generate import _consume

        self.calls += 1
        self.prompts.append(prefix + rest)
        pieces = iter([w + " " for w in self.text.split(" ")])
        return _consume(
            pieces,
            time.perf_counter(),
            on_token,  # type: ignore[arg-type]
            deadline,
            len((prefix + rest).split()),
            0,
            False,
        )


def test_every_answer_carries_located_evidence(engine: Engine) -> None:
    _use(engine, Scripted("45,000 miles [1]."))
    answer = engine.ask("At what mileage is the timing belt replaced?")
    assert answer.evidence and not answer.quoted
    best = answer.evidence[0]
    assert "45,000" in best.text and best.path.endswith("car-maintenance.md")
    lines = Path(best.path).read_text().splitlines()
    assert best.location.line_start is not None and best.location.line_end is not None
    cited = " ".join(lines[best.location.line_start - 1 : best.location.line_end])
    assert "45,000" in cited, "the evidence's lines are where its sentence is"
    assert sum(len(e.text.split()) for e in answer.evidence) <= 60


def test_a_looping_answer_is_quoted_from_the_evidence_and_never_cached(engine: Engine) -> None:
    loop = (
        "A leather mouthed fish, which is a good choice for a fish that is a good choice "
        "for a fish that is a good choice for a fish that is"
    )
    backend = Looping(loop)
    _use(engine, backend)
    question = "At what mileage is the timing belt replaced?"
    answer = engine.ask(question)
    assert answer.quoted and answer.error == "the model started repeating itself"
    assert "45,000" in answer.answer and answer.answer.startswith("“")
    assert answer.citations[0].path.endswith("car-maintenance.md")
    calls = backend.calls
    again = engine.ask(question)
    assert again.cached is False and backend.calls == 2 * calls, "a looping answer is not stored"


def test_an_empty_answer_is_not_cached(engine: Engine) -> None:
    backend = Scripted("[1]")
    _use(engine, backend)
    question = "How often should I change the oil?"
    first = engine.ask(question)
    assert first.quoted and "7,500" in first.answer
    calls = backend.calls
    assert engine.ask(question).cached is False and backend.calls == 2 * calls


def test_a_decline_with_closely_matching_passages_is_overruled_by_the_evidence(
    engine: Engine,
) -> None:
    from ragtui.config import load_settings

    backend = Scripted("Not in your documents.")
    _use(engine, backend)
    question = "At what mileage is the timing belt replaced?"
    answer = engine.ask(question)
    assert answer.quoted and not answer.abstained and "45,000" in answer.answer
    assert answer.error == "the model declined, but retrieval says the passages likely answer"
    strict = create_engine(load_settings(answer={"overrule_decline": 1.0}), engine.data_dir)
    _use(strict, backend)
    assert strict.ask(question, use_cache=False).abstained


def test_evidence_may_come_from_passages_past_the_prompts(engine: Engine) -> None:
    from ragtui.config import load_settings

    question = "At what mileage is the timing belt replaced?"
    searched = [h.chunk_id for h in engine.search(question, k=4).hits]
    for evidence_k, beyond in ((1, False), (4, True)):
        eng = create_engine(
            load_settings(answer={"k": 1, "evidence_k": evidence_k, "abstain": False}),
            engine.data_dir,
        )
        backend = Scripted("45,000 miles [1].")
        _use(eng, backend)
        answer = eng.ask(question, use_cache=False)
        assert answer.packed == (searched[0],), "the prompt holds answer.k passages"
        sources = {e.chunk_id for e in answer.evidence}
        assert answer.evidence and sources <= set(searched[:evidence_k])
        assert bool(sources - {searched[0]}) is beyond, "a second item from another passage"
        eng.close()


def test_a_chat_model_reads_the_earlier_turns_and_a_completion_model_does_not(
    engine: Engine,
) -> None:
    history = [Exchange("How often should I change the oil in the Kestrel?", "Every 7,500 miles")]
    follow = "And the timing belt?"
    chat = Scripted("At 45,000 miles [1].")
    chat.prompt_format = "chat"
    _use(engine, chat)
    engine.ask(follow, history=history)
    assert "Earlier in this conversation:\nQ: How often should I change the oil" in chat.prompts[0]
    engine.ask(follow)
    assert len(chat.prompts) == 2 and "Earlier in this conversation" not in chat.prompts[1], (
        "the answer without the turns is not the cached one with them"
    )
    completion = Scripted("At 45,000 miles [1].")
    _use(engine, completion)
    engine.ask(follow, history=history, use_cache=False)
    assert "Earlier in this conversation" not in completion.prompts[0]


def test_a_completion_model_may_read_a_followups_rewrite(engine: Engine) -> None:
    history = [Exchange("How often should I change the oil in the Kestrel?", "Every 7,500 miles")]
    completion = Scripted("At 45,000 miles [1].")
    _use(engine, completion)
    engine.settings.answer.followup_question = "rewrite"
    answer = engine.ask("And the timing belt?", history=history, use_cache=False)
    assert answer.retrieval_query and answer.question == "And the timing belt?"
    assert f"Question: {answer.retrieval_query}" in completion.prompts[0]
