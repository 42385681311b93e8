"""Traces: spans of real searches and answers, stored, redacted, pruned, sampled, exported."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from ragtui.config import load_settings
from ragtui.core.engine import Engine, create_engine
from ragtui.core.trace_store import TraceRecord
from tests.conftest import DEMO_CORPUS
from tests.fakes import Scripted

SEARCH_STAGES = {"retrieve.bm25", "embed.query", "retrieve.dense", "retrieve.fusion"}


def _engine(tmp_path: Path, **tracing: Any) -> Engine:
    settings = load_settings(tracing=tracing) if tracing else None
    engine = create_engine(settings)
    docs = tmp_path / "docs"
    if not docs.exists():
        shutil.copytree(DEMO_CORPUS, docs)
    engine.add_folder(docs)
    engine.index()
    return engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = _engine(tmp_path)
    yield eng
    eng.close()


def _check_tree(trace: TraceRecord) -> dict[str, Any]:
    """Every span but the root has its parent in the trace and lies within it in time."""
    by_id = {s.span_id: s for s in trace.spans}
    roots = [s for s in trace.spans if s.parent_id is None]
    assert len(roots) == 1 and roots[0].name == trace.name
    for span in trace.spans:
        if span.parent_id is None:
            continue
        parent = by_id[span.parent_id]
        assert parent.start_ns <= span.start_ns and span.end_ns <= parent.end_ns, span.name
    return {s.name: s for s in trace.spans}


def test_search_trace_has_one_span_per_stage_with_ranked_ids(engine: Engine) -> None:
    result = engine.search("timing belt replacement mileage", k=5)
    engine.tracing.flush()
    trace = engine.traces.last("search")
    spans = _check_tree(trace)
    assert set(spans) >= SEARCH_STAGES
    for stage in ("retrieve.bm25", "retrieve.dense", "retrieve.fusion"):
        attrs = spans[stage].attributes
        assert spans[stage].parent_id == spans["search"].span_id
        assert len(attrs["ragtui.retrieve.ids"]) == len(attrs["ragtui.retrieve.scores"]) > 0
    fused = spans["retrieve.fusion"].attributes["ragtui.retrieve.ids"]
    root = spans["search"].attributes
    assert root["input.value"] == "timing belt replacement mileage"
    assert [root[f"retrieval.documents.{i}.document.id"] for i in range(5)] == [
        h.chunk_id for h in result.hits
    ]
    assert result.hits[0].chunk_id == fused[0]
    assert spans["embed.query"].attributes["ragtui.embed.cache"] == "miss"


def test_an_opentelemetry_exporter_added_to_the_provider_receives_the_spans(
    engine: Engine,
) -> None:
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    engine.tracing.provider.add_span_processor(SimpleSpanProcessor(exporter))
    engine.search("timing belt replacement mileage", k=5)
    engine.tracing.flush()
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert set(spans) >= SEARCH_STAGES | {"search"}
    root = spans["search"]
    assert root.parent is None and root.resource.attributes["service.name"] == "ragtui"
    for stage in SEARCH_STAGES:
        assert spans[stage].parent.span_id == root.context.span_id
        assert spans[stage].context.trace_id == root.context.trace_id
    stored = engine.traces.last("search")
    assert stored.trace_id == format(root.context.trace_id, "032x")


def test_answer_trace_records_every_stage_and_what_was_packed(engine: Engine) -> None:
    engine._backend = Scripted("The timing belt is replaced at 45,000 miles [1].")  # type: ignore[assignment]
    answer = engine.ask("At what mileage is the timing belt replaced?")
    engine.tracing.flush()
    trace = engine.traces.last("ask")
    spans = _check_tree(trace)
    for name in (
        "search",
        "cache.lookup",
        "context.pack",
        "prompt.render",
        "llm.generate",
        "llm.prefill",
        "llm.decode",
        "citations.check",
        "cache.store",
    ):
        assert name in spans, name
    assert set(spans) >= SEARCH_STAGES
    root = spans["ask"].attributes
    assert root["output.value"] == answer.answer
    assert root["ragtui.prompt.name"] == "qa" and root["ragtui.prompt.version"] == "1"
    assert root["ragtui.context.packed"] == list(answer.packed)
    assert root["ragtui.cache.hit"] == "none"
    assert root["ragtui.process.cpu_s"] > 0 and root["ragtui.process.rss_bytes"] > 0
    llm = spans["llm.generate"].attributes
    assert llm["llm.model_name"] == "scripted"
    assert llm["llm.token_count.prompt"] == answer.tokens["prompt"]
    assert llm["llm.token_count.completion"] == answer.tokens["completion"]
    assert spans["llm.prefill"].parent_id == spans["llm.generate"].span_id
    assert "45,000 miles" in spans["prompt.render"].attributes["ragtui.prompt.text"]
    assert trace.summary["prompt_tokens"] == answer.tokens["prompt"]
    assert trace.status == "OK"

    engine.ask("At what mileage is the timing belt replaced?")
    engine.tracing.flush()
    cached = engine.traces.last("ask")
    assert cached.summary["cached"] == "exact"
    assert "llm.generate" not in {s.name for s in cached.spans}


def test_fallback_is_an_error_trace_and_kept_when_sampling_drops_the_rest(
    tmp_path: Path,
) -> None:
    engine = _engine(tmp_path, sample_rate=0.0)
    try:
        engine._backend = Scripted("fine")  # type: ignore[assignment]
        engine.ask("At what mileage is the timing belt replaced?", use_cache=False)
        engine.search("oil change")
        engine._backend = Scripted("The timing belt is", fail_after=2)  # type: ignore[assignment]
        failed = engine.ask("How often is the oil changed?", use_cache=False)
        engine.tracing.flush()
        assert failed.fallback
        kept = engine.traces.recent(50)
        assert [t.name for t in kept] == ["ask"]
        trace = engine.traces.get(kept[0].trace_id)
        assert trace.status == "ERROR" and trace.summary["fallback"] is True
        assert "mid-answer" in trace.summary["error"]
        generate = next(s for s in trace.spans if s.name == "llm.generate")
        assert generate.status == "ERROR"
    finally:
        engine.close()


def test_slow_traces_are_kept_whatever_the_sample_rate(tmp_path: Path) -> None:
    engine = _engine(tmp_path, sample_rate=0.0, slow_ms={"search": 0.0})
    try:
        engine.search("oil change")
        engine.tracing.flush()
        assert [t.name for t in engine.traces.recent()] == ["search"]
    finally:
        engine.close()


@pytest.mark.parametrize("mode", ["hash", "redact"])
def test_content_policy_hides_questions_prompts_passages_and_answers(
    tmp_path: Path,
    mode: str,
) -> None:
    engine = _engine(tmp_path, content=mode)
    try:
        engine._backend = Scripted("The timing belt is replaced at 45,000 miles.")  # type: ignore[assignment]
        engine.ask("At what mileage is the timing belt replaced?")
        engine.tracing.flush()
        stored = json.dumps(engine.traces.last("ask").as_json())
    finally:
        engine.close()
    for secret in ("timing belt", "45,000"):
        assert secret not in stored
    assert ("sha256:" in stored) == (mode == "hash")
    assert ("[redacted]" in stored) == (mode == "redact")


def test_retention_by_count_and_age_and_purge(tmp_path: Path) -> None:
    engine = _engine(tmp_path, max_traces=3)
    try:
        for query in ("oil", "belt", "pump", "garden", "budget"):
            engine.search(query)
        engine.tracing.flush()
        engine.tracing.prune()  # the writer may already have pruned on its first write
        kept = engine.traces.recent(10)
        assert [t.summary["input"] for t in kept] == ["budget", "garden", "pump"]
        assert engine.traces.purge("1h") == 0  # none older than an hour
        assert engine.traces.purge() == 3
        assert engine.traces.recent() == []
    finally:
        engine.close()


def test_otlp_json_export_has_the_protocol_shape_and_round_trips_ids(
    engine: Engine,
    tmp_path: Path,
) -> None:
    engine.search("timing belt")
    engine.search("oil change")
    engine.tracing.flush()
    stored = {t.trace_id: engine.traces.get(t.trace_id) for t in engine.traces.recent()}
    out = tmp_path / "traces.json"
    assert engine.traces.export(out) == len(stored) == 3  # index, and two searches
    document = json.loads(out.read_text())
    (resource,) = document["resourceSpans"]
    assert {"key": "service.name", "value": {"stringValue": "ragtui"}} in resource["resource"][
        "attributes"
    ]
    (scope,) = resource["scopeSpans"]
    assert scope["scope"]["name"] == "ragtui"
    exported = scope["spans"]
    assert {(s["traceId"], s["spanId"]) for s in exported} == {
        (t.trace_id, s.span_id) for t in stored.values() for s in t.spans
    }
    for span in exported:
        assert len(span["traceId"]) == 32 and len(span["spanId"]) == 16
        int(span["traceId"], 16), int(span["spanId"], 16)
        assert int(span["endTimeUnixNano"]) >= int(span["startTimeUnixNano"]) > 0
        assert span["status"]["code"] in (0, 1, 2)
        for attribute in span["attributes"]:
            (kind,) = attribute["value"]
            assert kind in ("stringValue", "intValue", "doubleValue", "boolValue", "arrayValue")
    parents = {s["spanId"]: s.get("parentSpanId") for s in exported}
    assert sum(p is None for p in parents.values()) == len(stored)
    assert all(p in parents for p in parents.values() if p is not None)


def test_live_export_posts_otlp_json_to_a_configured_endpoint(tmp_path: Path) -> None:
    received: list[dict[str, Any]] = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_port}/v1/traces"
        engine = _engine(tmp_path, otlp_endpoint=endpoint)
        engine.search("timing belt")
        engine.close()
    finally:
        server.shutdown()
    names = [
        s["name"] for doc in received for s in doc["resourceSpans"][0]["scopeSpans"][0]["spans"]
    ]
    assert "search" in names and "retrieve.dense" in names


def test_tracing_off_stores_nothing(tmp_path: Path) -> None:
    engine = _engine(tmp_path, enabled=False)
    try:
        engine.search("timing belt")
        engine.tracing.flush()
        assert engine.traces.recent() == []
    finally:
        engine.close()


@pytest.mark.slow
def test_real_model_answer_trace(engine: Engine) -> None:
    answer = engine.ask("At what mileage is the timing belt replaced?", use_cache=False)
    assert not answer.fallback, answer.error
    engine.tracing.flush()
    trace = engine.traces.last("ask")
    spans = _check_tree(trace)
    llm = spans["llm.generate"].attributes
    assert llm["llm.model_name"] == answer.model
    assert llm["llm.token_count.prompt"] == answer.tokens["prompt"] > 100
    assert llm["llm.token_count.completion"] == answer.tokens["completion"] > 0
    assert llm["ragtui.llm.decode_tps"] > 0 and llm["ragtui.llm.prefill_tps"] > 0
    prefill, decode = spans["llm.prefill"], spans["llm.decode"]
    assert prefill.end_ns <= decode.start_ns + 1000
    assert abs(prefill.duration_ms - answer.timings_ms["ttft"]) < 1
    assert trace.summary["ttft_ms"] == pytest.approx(answer.timings_ms["ttft"])
    stats = engine.stats.figures("1h")
    assert stats.answers.count >= 1
    assert stats.stages["llm.generate"].count >= 1
