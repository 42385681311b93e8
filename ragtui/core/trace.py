"""Tracing: an OpenTelemetry tracer provider whose spans go to the local trace store.

Every ask, search, index batch and eval case is one trace; each stage is a child
span. A tail sampler holds a trace's spans until its root ends, then keeps it if
anything failed or it was slow, and otherwise with probability ``sample_rate``.
A background thread redacts (if configured), stores, prunes and optionally sends
kept traces to a user-configured OTLP/HTTP endpoint, off the answering path.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragtui.config import TracingSettings
from ragtui.core.trace_store import SpanRecord, TraceRecord, TraceStore

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan

log = logging.getLogger(__name__)

_CONTENT_KEYS = ("input.value", "output.value", "ragtui.prompt.text")
_PRUNE_EVERY = 200  # stored traces between retention passes
_MAX_OPEN_TRACES = 1000  # unfinished traces held by the sampler before the oldest is dropped
_BATCH = 64  # most traces written in one transaction
_IDLE_S = 0.2  # the writer waits for this much quiet …
_MAX_DELAY_S = 3.0  # … but no longer than this …
_MAX_WAITING = 2000  # … and not while more traces than this wait (a few MB)
# Rankings and documents are handed to the writer as plain Python objects ("extras"):
# OpenTelemetry checks every list element of an attribute, and 150 values per search cost
# more than the search's own fusion. The writer turns them into the stored attributes.


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


class NoSpan:
    """What a span call yields when tracing is off: accepts and forgets everything."""

    def set_attribute(self, key: str, value: Any) -> None:
        """Ignore."""

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        """Ignore."""

    def add_event(self, name: str, attributes: Mapping[str, Any] | None = None,
                  timestamp: int | None = None) -> None:
        """Ignore."""

    def set_status(self, status: Any, description: str | None = None) -> None:
        """Ignore."""


_NO_SPAN = NoSpan()


def protect(key: str, value: Any, mode: str) -> Any:
    """Apply the content policy to one attribute (questions, prompts, passages, answers)."""
    if mode == "full" or not isinstance(value, str):
        return value
    if key not in _CONTENT_KEYS and not key.endswith(".document.content"):
        return value
    if mode == "hash":
        return "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:16]
    return "[redacted]"


def _hex(number: int, width: int) -> str:
    return format(number, f"0{width}x")


def record_of(span: ReadableSpan, mode: str, extras: dict[str, Any] | None = None,
              ) -> SpanRecord:
    """A finished OpenTelemetry span as a store record, content policy applied."""
    context = span.context
    parent = span.parent
    raw = _expand({k: list(v) if isinstance(v, tuple) else v
                   for k, v in (span.attributes or {}).items()}, extras or {})
    attrs = {k: protect(k, v, mode) for k, v in raw.items()}
    events = [{"name": e.name, "time_ns": e.timestamp,
               "attributes": {k: protect(k, v, mode) for k, v in (e.attributes or {}).items()}}
              for e in span.events]
    start = span.start_time or 0
    return SpanRecord(
        trace_id=_hex(context.trace_id, 32) if context else "",
        span_id=_hex(context.span_id, 16) if context else "",
        parent_id=_hex(parent.span_id, 16) if parent else None,
        name=span.name, start_ns=start, end_ns=span.end_time or start,
        status="ERROR" if not span.status.is_ok else "OK", attributes=attrs, events=events,
    )


def summarize(root: SpanRecord, spans: list[SpanRecord]) -> dict[str, Any]:
    """The figures stats and lists need, read once from a trace's spans."""
    attrs = root.attributes
    generations = [s.attributes for s in spans if s.name == "llm.generate"]
    first = generations[0] if generations else {}
    errors = [s.attributes.get("ragtui.error") or next(
        (e["attributes"].get("exception.message") for e in s.events if e["name"] == "exception"),
        None) for s in spans if s.status == "ERROR"]
    error = attrs.get("ragtui.error") or next((e for e in errors if e), None)
    return {
        "input": attrs.get("input.value"),
        "cached": attrs.get("ragtui.cache.hit"),
        "abstained": attrs.get("ragtui.answer.abstained"),
        "fallback": attrs.get("ragtui.answer.fallback"),
        "error": error or ("failed" if root.status == "ERROR" else None),
        "model": attrs.get("llm.model_name") or first.get("llm.model_name"),
        "prompt_tokens": sum(g.get("llm.token_count.prompt", 0) for g in generations)
        if generations else None,
        "completion_tokens": sum(g.get("llm.token_count.completion", 0) for g in generations)
        if generations else None,
        "ttft_ms": first.get("ragtui.llm.ttft_ms"),
        "prefill_tps": first.get("ragtui.llm.prefill_tps"),
        "decode_tps": first.get("ragtui.llm.decode_tps"),
        "cpu_s": attrs.get("ragtui.process.cpu_s"),
        "rss_bytes": attrs.get("ragtui.process.rss_bytes"),
        "embed_hits": sum(s.attributes.get("ragtui.embed.cache_hits", 0) for s in spans),
        "embed_misses": sum(s.attributes.get("ragtui.embed.cache_misses", 0) for s in spans),
    }


def trace_of(spans: list[SpanRecord]) -> TraceRecord:
    """Assemble a finished trace (its root is the span without a parent in it)."""
    ids = {s.span_id for s in spans}
    root = next(s for s in reversed(spans) if s.parent_id not in ids)
    spans.sort(key=lambda s: s.start_ns)
    status = "ERROR" if any(s.status == "ERROR" for s in spans) else root.status
    return TraceRecord(root.trace_id, root.name, root.start_ns, root.duration_ms, status,
                       summarize(root, spans), spans)


def retain(settings: TracingSettings, store: TraceStore) -> int:
    """Prune traces beyond ``max_traces`` or older than ``max_age_days``."""
    cutoff = time.time_ns() - int(settings.max_age_days * 86400e9)
    return store.prune(settings.max_traces, cutoff)


class _Sink:
    """Background writer: store, prune now and then, optionally forward over OTLP/HTTP.

    It writes when the process has been idle for a moment (no span started for
    ``_IDLE_S``), or when ``_MAX_DELAY_S`` passed or ``_MAX_WAITING`` traces wait, so its
    work falls between questions rather than on them.
    """

    def __init__(self, settings: TracingSettings, store: TraceStore,
                 idle_for: Callable[[], float]) -> None:
        self.settings = settings
        self.store = store
        self.idle_for = idle_for
        self.extras: dict[int, dict[str, Any]] = {}  # span id → objects for the writer
        self.queue: queue.Queue[list[ReadableSpan] | None] = queue.Queue()
        self.urgent = threading.Event()
        self._written = 0
        self._thread = threading.Thread(target=self._run, name="ragtui-traces", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            first = self.queue.get()
            waited = time.monotonic() + _MAX_DELAY_S
            while (first is not None and not self.urgent.is_set()
                   and self.queue.qsize() < _MAX_WAITING and time.monotonic() < waited
                   and self.idle_for() < _IDLE_S):
                self.urgent.wait(_IDLE_S / 2)
            batch = [first]
            while len(batch) < _BATCH:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            stop = None in batch
            try:
                self._store([spans for spans in batch if spans is not None])
            except Exception as exc:  # a trace must never take the app down
                log.warning("could not store traces: %s", exc)
            finally:
                for _ in batch:
                    self.queue.task_done()
            if stop:
                self.store.close()
                return

    def forget(self, spans: list[ReadableSpan]) -> None:
        """Drop the extras of a trace the sampler did not keep."""
        for span in spans:
            if span.context is not None:
                self.extras.pop(span.context.span_id, None)

    def _store(self, batch: list[list[ReadableSpan]]) -> None:
        if not batch:
            return
        mode = self.settings.content
        traces = [trace_of([record_of(s, mode, self.extras.pop(s.context.span_id, None)
                                      if s.context else None) for s in spans])
                  for spans in batch]
        self.store.write(traces)
        before = self._written
        self._written += len(traces)
        if before // _PRUNE_EVERY != self._written // _PRUNE_EVERY or before == 0:
            self.prune()
        if self.settings.otlp_endpoint:
            from ragtui.core import otlp

            try:
                otlp.post(self.settings.otlp_endpoint, traces)
            except OSError as exc:
                log.warning("could not send traces to %s: %s", self.settings.otlp_endpoint, exc)

    def prune(self) -> int:
        """Apply retention by count and age."""
        return retain(self.settings, self.store)

    def flush(self) -> None:
        """Store every queued trace now and wait for it."""
        self.urgent.set()
        try:
            self.queue.join()
        finally:
            self.urgent.clear()

    def stop(self) -> None:
        """Store what is queued, then end the thread."""
        self.urgent.set()
        self.queue.put(None)
        self._thread.join(timeout=10)


def _keep(settings: TracingSettings, root: ReadableSpan, spans: list[ReadableSpan]) -> bool:
    if any(not s.status.is_ok for s in spans):
        return True
    duration_ms = ((root.end_time or 0) - (root.start_time or 0)) / 1e6
    slow = settings.slow_ms.get(root.name)
    if slow is not None and duration_ms >= slow:
        return True
    return settings.sample_rate >= 1.0 or random.random() < settings.sample_rate


def _processor(settings: TracingSettings, sink: _Sink) -> Any:
    from opentelemetry.sdk.trace import SpanProcessor

    class TailSampler(SpanProcessor):
        """Hold spans until their root ends, then keep or drop the whole trace."""

        def __init__(self) -> None:
            self.open: dict[int, list[ReadableSpan]] = {}
            self.lock = threading.Lock()

        def on_end(self, span: ReadableSpan) -> None:
            trace_id = span.context.trace_id if span.context else 0
            with self.lock:
                spans = self.open.setdefault(trace_id, [])
                spans.append(span)
                if span.parent is not None and not span.parent.is_remote:
                    if len(self.open) > _MAX_OPEN_TRACES:
                        self.open.pop(next(iter(self.open)))
                    return
                del self.open[trace_id]
            if _keep(settings, span, spans):
                sink.queue.put(spans)
            else:
                sink.forget(spans)

        def force_flush(self, timeout_millis: int = 30000) -> bool:
            sink.flush()
            return True

    return TailSampler()


class Tracing:
    """The core's tracer: ``with tracing.span("retrieve.dense") as span: ...``.

    OpenTelemetry loads on the first span; with tracing off, spans cost a no-op.
    """

    def __init__(self, settings: TracingSettings, path: Path) -> None:
        self.settings = settings
        self.store = TraceStore(path)
        self.enabled = settings.enabled
        self._tracer: Any = None
        self._sink: _Sink | None = None
        self._last_span = 0.0  # monotonic time the newest span started
        self._lock = threading.Lock()

    def _setup(self) -> Any:
        with self._lock:
            if self._tracer is None:
                from opentelemetry.sdk.resources import Resource
                from opentelemetry.sdk.trace import TracerProvider
                from opentelemetry.sdk.trace.sampling import ALWAYS_ON

                from ragtui import __version__

                self._sink = _Sink(self.settings, self.store,
                                   lambda: time.monotonic() - self._last_span)
                provider = TracerProvider(
                    sampler=ALWAYS_ON,
                    resource=Resource({"service.name": "ragtui", "service.version": __version__}),
                    shutdown_on_exit=False,
                )
                provider.add_span_processor(_processor(self.settings, self._sink))
                self._tracer = provider.get_tracer("ragtui", __version__)
            return self._tracer

    def span(self, name: str, attributes: Mapping[str, Any] | None = None) -> Any:
        """A context manager opening a child of the current span (a new trace at the top)."""
        if not self.enabled:
            return nullcontext(_NO_SPAN)
        tracer = self._tracer or self._setup()
        self._last_span = time.monotonic()
        return tracer.start_as_current_span(name, attributes=attributes)

    def extra(self, span: Any, key: str, value: Any) -> None:
        """Hand the writer a Python object for this span (``ranking``: (id, score) pairs;
        ``documents``: (id, score, content, path) tuples), stored as attributes."""
        if self._sink is not None and not isinstance(span, NoSpan):
            self._sink.extras.setdefault(span.get_span_context().span_id, {})[key] = value

    def child(self, name: str, start_ns: int, end_ns: int,
              attributes: Mapping[str, Any] | None = None) -> None:
        """Record a child of the current span that already happened (e.g. prefill)."""
        if self.enabled:
            tracer = self._tracer or self._setup()
            tracer.start_span(name, start_time=start_ns, attributes=attributes).end(end_ns)

    def flush(self) -> None:
        """Wait until every finished trace is stored."""
        if self._sink is not None:
            self._sink.flush()

    def prune(self) -> int:
        """Apply retention now; returns how many traces went."""
        return retain(self.settings, self.store)

    def close(self) -> None:
        """Store what is pending and stop the writer."""
        if self._sink is not None:
            self._sink.stop()
            self._sink = None
            self._tracer = None
        self.store.close()


def mark_error(span: Any, reason: str) -> None:
    """Flag a span as failed (kept by the sampler, counted by stats) with its reason."""
    span.set_attribute("ragtui.error", reason)
    if not isinstance(span, NoSpan):
        from opentelemetry.trace import Status, StatusCode

        span.set_status(Status(StatusCode.ERROR, reason))


def trace_id_of(span: Any) -> str | None:
    """The hex trace id of a recording span (None when tracing is off)."""
    if isinstance(span, NoSpan):
        return None
    return _hex(span.get_span_context().trace_id, 32)


def current_span() -> Any:
    """The active span, or a no-op one when tracing is off or nothing is active."""
    import sys

    if "opentelemetry.trace" not in sys.modules:
        return _NO_SPAN
    from opentelemetry import trace

    return trace.get_current_span()
