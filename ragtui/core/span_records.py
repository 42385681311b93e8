"""Finished OpenTelemetry spans as stored records: the content policy (full, hashed or
redacted), rankings and documents as their documented attributes, and the per-trace
summary that lists and stats read."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from ragtui.core.trace_store import SpanRecord, TraceRecord

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan

_CONTENT_KEYS = ("input.value", "output.value", "ragtui.prompt.text")


# Rankings and documents are handed to the writer as plain Python objects ("extras"):
# 150 values per search turned into attributes on the answering path would cost more than
# the search's own fusion. The writer turns them into the stored attributes.


def _expand(attrs: dict[str, Any], extras: dict[str, Any]) -> dict[str, Any]:
    """Add a span's ranking and documents as their documented attributes."""
    ranking = extras.get("ranking")
    if ranking is not None:
        attrs["ragtui.retrieve.ids"] = [cid for cid, _ in ranking]
        attrs["ragtui.retrieve.scores"] = [round(float(score), 6) for _, score in ranking]
    for i, (doc_id, score, content, path) in enumerate(extras.get("documents", ())):
        prefix = f"retrieval.documents.{i}.document."
        attrs[prefix + "id"] = doc_id
        attrs[prefix + "score"] = float(score)
        attrs[prefix + "content"] = content
        attrs[prefix + "metadata"] = path
    return attrs


def protect(key: str, value: Any, mode: str) -> Any:
    """Apply the content policy to one attribute (questions, prompts, passages, answers)."""
    if mode == "full" or not isinstance(value, str):
        return value
    if key not in _CONTENT_KEYS and not key.endswith(".document.content"):
        return value
    if mode == "hash":
        return "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:16]
    return "[redacted]"


def hex_id(number: int, width: int) -> str:
    """An OpenTelemetry id as lower-case hex of ``width`` digits."""
    return format(number, f"0{width}x")


def record_of(
    span: ReadableSpan,
    mode: str,
    extras: dict[str, Any] | None = None,
) -> SpanRecord:
    """A finished OpenTelemetry span as a store record, content policy applied."""
    context = span.context
    parent = span.parent
    raw = _expand(
        {k: list(v) if isinstance(v, tuple) else v for k, v in (span.attributes or {}).items()},
        extras or {},
    )
    attrs = {k: protect(k, v, mode) for k, v in raw.items()}
    events = [
        {
            "name": e.name,
            "time_ns": e.timestamp,
            "attributes": {k: protect(k, v, mode) for k, v in (e.attributes or {}).items()},
        }
        for e in span.events
    ]
    start = span.start_time or 0
    return SpanRecord(
        trace_id=hex_id(context.trace_id, 32) if context else "",
        span_id=hex_id(context.span_id, 16) if context else "",
        parent_id=hex_id(parent.span_id, 16) if parent else None,
        name=span.name,
        start_ns=start,
        end_ns=span.end_time or start,
        status="ERROR" if not span.status.is_ok else "OK",
        attributes=attrs,
        events=events,
    )


def summarize(root: SpanRecord, spans: list[SpanRecord]) -> dict[str, Any]:
    """The figures stats and lists need, read once from a trace's spans."""
    attrs = root.attributes
    generations = [s.attributes for s in spans if s.name == "llm.generate"]
    first = generations[0] if generations else {}
    errors = [
        s.attributes.get("ragtui.error")
        or next(
            (
                e["attributes"].get("exception.message")
                for e in s.events
                if e["name"] == "exception"
            ),
            None,
        )
        for s in spans
        if s.status == "ERROR"
    ]
    error = attrs.get("ragtui.error") or next((e for e in errors if e), None)
    return {
        "input": attrs.get("input.value"),
        "cached": attrs.get("ragtui.cache.hit"),
        "abstained": attrs.get("ragtui.answer.abstained"),
        "fallback": attrs.get("ragtui.answer.fallback"),
        "error": error or ("failed" if root.status == "ERROR" else None),
        "model": attrs.get("llm.model_name") or first.get("llm.model_name"),
        "prompt_tokens": sum(g.get("llm.token_count.prompt", 0) for g in generations)
        if generations
        else None,
        "completion_tokens": sum(g.get("llm.token_count.completion", 0) for g in generations)
        if generations
        else None,
        "ttft_ms": first.get("ragtui.llm.ttft_ms"),
        "prefill_tps": first.get("ragtui.llm.prefill_tps"),
        "decode_tps": first.get("ragtui.llm.decode_tps"),
        "cpu_s": attrs.get("ragtui.process.cpu_s"),
        "rss_bytes": attrs.get("ragtui.process.rss_bytes"),
        "embed_hits": sum(s.attributes.get("ragtui.embed.cache_hits", 0) for s in spans),
        "embed_misses": sum(s.attributes.get("ragtui.embed.cache_misses", 0) for s in spans),
    }


DRIFT_ROOTS = ("ask", "search")  # the user's questions (eval cases are not their traffic)


def _first(spans: list[SpanRecord], name: str) -> dict[str, Any]:
    return next((s.attributes for s in spans if s.name == name), {})


def signals_of(root: SpanRecord, spans: list[SpanRecord]) -> dict[str, Any] | None:
    """The drift figures of an ask or a search (``trace_store.SIGNAL_COLUMNS`` but the
    question's vector, which the writer adds), or None for other traces."""
    if root.name not in DRIFT_ROOTS:
        return None
    attrs = root.attributes
    dense = _first(spans, "retrieve.dense")
    relevance = _first(spans, "answer.relevance")
    confidence = relevance.get("ragtui.answer.confidence")
    floor = relevance.get("ragtui.answer.min_confidence")
    sentences = attrs.get("ragtui.answer.sentence_count")
    refocused = attrs.get("ragtui.answer.refocused")
    return {
        "top1": dense.get("ragtui.retrieve.top1"),
        "topk": dense.get("ragtui.retrieve.topk"),
        "relevant": None if confidence is None or floor is None else int(confidence >= floor),
        "refocused": None if refocused is None else int(refocused),
        "answer_chars": attrs.get("ragtui.answer.chars"),
        "unsupported": attrs.get("ragtui.answer.unsupported", 0) / sentences if sentences else None,
    }


def trace_of(spans: list[SpanRecord]) -> TraceRecord:
    """Assemble a finished trace (its root is the span without a parent in it)."""
    ids = {s.span_id for s in spans}
    root = next(s for s in reversed(spans) if s.parent_id not in ids)
    spans.sort(key=lambda s: s.start_ns)
    status = "ERROR" if any(s.status == "ERROR" for s in spans) else root.status
    return TraceRecord(
        root.trace_id,
        root.name,
        root.start_ns,
        root.duration_ms,
        status,
        summarize(root, spans),
        spans,
        signals_of(root, spans),
    )
