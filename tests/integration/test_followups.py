"""A follow-up from the demo dialogs on the real index and embedder: the carry-over
rewrite finds its source where the question as asked does not, and the model still gets
the question as asked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ragtui.core.engine import Engine, create_engine
from ragtui.core.followup import Exchange, rewrite
from tests.conftest import DEMO_CORPUS, REPO
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


def _case(case_id: str) -> dict:
    for line in (REPO / "assets/followups/demo.jsonl").read_text().splitlines():
        case = json.loads(line)
        if case["id"] == case_id:
            return case
    raise KeyError(case_id)


@pytest.mark.parametrize("case_id", ["spare-2", "loadtest-2"])
def test_a_followup_finds_its_source_only_with_carry_over(engine: Engine, case_id: str) -> None:
    case = _case(case_id)
    history = [Exchange(t["question"], t["answer"]) for t in case["history"]]
    source = case["expected_sources"][0]

    def top3(query: str) -> list[str]:
        return [h.path for h in engine.search(query, k=3).hits]

    query = rewrite(case["question"], history).query
    assert not any(p.endswith(source) for p in top3(case["question"]))
    assert any(p.endswith(source) for p in top3(query))


def test_ask_searches_the_rewrite_and_traces_it(engine: Engine) -> None:
    case = _case("spare-2")
    history = [Exchange(t["question"], t["answer"]) for t in case["history"]]
    backend = Scripted("No faster than 50 mph [1].")
    engine._backend = backend  # type: ignore[assignment]
    answer = engine.ask(case["question"], history=history, use_cache=False)
    query = rewrite(case["question"], history).query
    assert answer.retrieval_query == query and answer.question == case["question"]
    if backend.prompts:  # the model gets the question as asked
        assert case["question"] in backend.prompts[0] and query not in backend.prompts[0]
    alone = engine.ask(
        "How fast can I drive on the Kestrel's spare wheel?", history=history, use_cache=False
    )
    assert alone.retrieval_query is None
    engine.tracing.flush()
    traces = [engine.traces.get(t.trace_id) for t in engine.traces.recent(5, name="ask")]
    spans = [s for t in traces for s in t.spans if s.name == "query.rewrite"]
    methods = sorted(s.attributes["ragtui.rewrite.method"] for s in spans)
    assert methods == ["carry", "none"]
    carried = next(s for s in spans if s.attributes["ragtui.rewrite.method"] == "carry")
    assert carried.attributes["output.value"] == query
    assert carried.attributes["input.value"] == case["question"]
    judged = next(t for t in traces if carried in t.spans)
    confidence = next(
        s.attributes["ragtui.answer.confidence"]
        for s in judged.spans
        if s.name == "answer.relevance"
    )
    assert confidence > 0.1, "relevance is judged on the rewrite (the question alone: 0.004)"
    engine.close()
