"""Tracing: spans of every stage, through an OpenTelemetry tracer provider to the local store.

Every ask, search, index batch and eval case is one trace; each stage is a child
span. On the answering path a span only notes its name, times and attributes
(``RecordingSpan``). When a trace's root ends, a tail sampler keeps it if anything
failed or it was slow, and otherwise with probability ``sample_rate``. A background
thread turns kept traces into OpenTelemetry SDK ``ReadableSpan``s, passes them to the
tracer provider's span processors (so any OpenTelemetry exporter can be attached),
redacts them (if configured), stores, prunes and optionally sends them to a
user-configured OTLP/HTTP endpoint, off the answering path.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragtui.config import TracingSettings
from ragtui.core.span_records import hex_id, record_of, trace_of
from ragtui.core.trace_store import TraceStore

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import ReadableSpan, SynchronousMultiSpanProcessor, TracerProvider

log = logging.getLogger(__name__)

_PRUNE_EVERY = 200  # stored traces between retention passes
_BATCH = 64  # most traces written in one transaction
_IDLE_S = 0.2  # the writer waits until no trace has been open for this long …
_MAX_DELAY_S = 30.0  # … but no longer than this …
_MAX_WAITING = 2000  # … and not while more traces than this wait (a few MB)
_POLL_S = 0.1  # how often the writer looks for quiet while traces wait …
_REST_S = 1.0  # … and for new traces while none do (fewer wake-ups beside llama.cpp)


class NoSpan:
    """What a span call yields when tracing is off: accepts and forgets everything."""

    def set_attribute(self, key: str, value: Any) -> None:
        """Ignore."""

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        """Ignore."""

    def add_event(
        self, name: str, attributes: Mapping[str, Any] | None = None, timestamp: int | None = None
    ) -> None:
        """Ignore."""

    def set_status(self, status: Any, description: str | None = None) -> None:
        """Ignore."""


_NO_SPAN = NoSpan()


class _Trace:
    """The spans of one trace recorded so far (its root ends last)."""

    __slots__ = ("spans", "trace_id")

    def __init__(self) -> None:
        self.trace_id = _new_id(128)
        self.spans: list[RecordingSpan] = []


class RecordingSpan:
    """One stage being timed: the hot-path half of a span.

    It only notes names, times and attributes (a few microseconds; the SDK's own span
    costs ~25 µs, which a 3 ms search cannot afford five times). When its trace's root
    ends, the writer thread turns the kept spans into OpenTelemetry ``ReadableSpan``s.
    """

    __slots__ = (
        "_token",
        "attributes",
        "end_ns",
        "error",
        "events",
        "extras",
        "name",
        "parent_id",
        "span_id",
        "start_ns",
        "trace",
        "tracing",
    )

    def __init__(
        self,
        tracing: Tracing,
        name: str,
        parent: RecordingSpan | None,
        attributes: Mapping[str, Any] | None,
        start_ns: int | None = None,
    ) -> None:
        self.tracing = tracing
        self.trace: _Trace = parent.trace if parent is not None else _Trace()
        self.name = name
        self.span_id = _new_id(64)
        self.parent_id = parent.span_id if parent is not None else None
        self.start_ns = start_ns if start_ns is not None else time.time_ns()
        self.end_ns = 0
        self.attributes: dict[str, Any] = dict(attributes) if attributes else {}
        self.events: list[tuple[str, int, dict[str, Any]]] = []
        self.error: str | None = None
        self.extras: dict[str, Any] | None = None
        self._token: Any = None

    @property
    def trace_id(self) -> int:
        """The trace's 128-bit id."""
        return self.trace.trace_id

    def set_attribute(self, key: str, value: Any) -> None:
        """Note one attribute."""
        self.attributes[key] = value

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        """Note several attributes."""
        self.attributes.update(attributes)

    def add_event(
        self, name: str, attributes: Mapping[str, Any] | None = None, timestamp: int | None = None
    ) -> None:
        """Note a moment within the span."""
        self.events.append((name, timestamp or time.time_ns(), dict(attributes or {})))

    def __enter__(self) -> RecordingSpan:
        self._token = _CURRENT.set(self)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> None:
        _CURRENT.reset(self._token)
        if exc is not None:
            self.events.append(
                (
                    "exception",
                    time.time_ns(),
                    {
                        "exception.type": kind.__name__ if kind else "",
                        "exception.message": str(exc),
                        "exception.stacktrace": "".join(traceback.format_exception(exc)),
                    },
                )
            )
            self.error = self.error or f"{kind.__name__ if kind else ''}: {exc}"
        self.end()

    def end(self, end_ns: int | None = None) -> None:
        """Close the span; closing the root hands the trace to the sampler."""
        self.end_ns = end_ns if end_ns is not None else time.time_ns()
        self.trace.spans.append(self)
        if self.parent_id is None:
            self.tracing._finished(self)


_CURRENT: ContextVar[RecordingSpan | None] = ContextVar("ragtui_span", default=None)


def _new_id(bits: int) -> int:
    return random.getrandbits(bits) or 1


def retain(settings: TracingSettings, store: TraceStore) -> int:
    """Prune traces beyond ``max_traces`` or older than ``max_age_days``."""
    cutoff = time.time_ns() - int(settings.max_age_days * 86400e9)
    return store.prune(settings.max_traces, cutoff)


class _Sink:
    """Background writer: SDK spans, store, prune now and then, optionally OTLP/HTTP.

    It writes when the process has been idle for a moment (no trace open for ``_IDLE_S``),
    or when ``_MAX_DELAY_S`` passed or ``_MAX_WAITING`` traces wait, so its work falls
    between questions rather than on them: during an answer llama.cpp's threads spin on
    every core, and a writer thread taking one would slow the whole answer down.
    """

    def __init__(
        self,
        settings: TracingSettings,
        store: TraceStore,
        idle_for: Callable[[], float],
        pipeline: _Pipeline,
    ) -> None:
        self.settings = settings
        self.store = store
        self.idle_for = idle_for
        self.pipeline = pipeline
        # finished traces; appending wakes nobody (a wake-up would land on the answering
        # path): the writer looks every _POLL_S or _REST_S
        self.pending: deque[list[RecordingSpan]] = deque()
        self.urgent = threading.Event()
        self._drained = threading.Condition()
        self._busy = False
        self._stopping = False
        self._written = 0
        self._thread = threading.Thread(target=self._run, name="ragtui-traces", daemon=True)
        self._thread.start()

    def _due(self, since: float) -> bool:
        return (
            self.urgent.is_set()
            or len(self.pending) >= _MAX_WAITING
            or time.monotonic() - since >= _MAX_DELAY_S
            or self.idle_for() >= _IDLE_S
        )

    def _run(self) -> None:
        since: float | None = None  # when the oldest waiting trace arrived (about)
        while True:
            if self.pending:
                since = since or time.monotonic()
                if self._due(since):
                    self._write_batch()
                    if not self.pending:
                        since = None
                    continue
            else:
                since = None
                with self._drained:
                    self._drained.notify_all()
                if self._stopping:
                    self.store.close()
                    return
            self.urgent.wait(_POLL_S if self.pending else _REST_S)

    def _write_batch(self) -> None:
        self._busy = True
        try:
            batch = [self.pending.popleft() for _ in range(min(_BATCH, len(self.pending)))]
            self._store(batch)
        except Exception as exc:  # a trace must never take the app down
            log.warning("could not store traces: %s", exc)
        finally:
            self._busy = False

    def put(self, spans: list[RecordingSpan]) -> None:
        """Queue a finished trace for storing."""
        self.pending.append(spans)

    def _store(self, batch: list[list[RecordingSpan]]) -> None:
        if not batch:
            return
        mode = self.settings.content
        traces = []
        for spans in batch:
            readables = self.pipeline.export(spans)
            trace = trace_of(
                [
                    record_of(readable, mode, span.extras)
                    for readable, span in zip(readables, spans, strict=True)
                ]
            )
            if trace.signals is not None and mode == "full":
                trace.signals["query_vec"] = _query_vector(spans)
            traces.append(trace)
            spans.clear()  # the spans' trace holds this list: let reference counting free it
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
            with self._drained:
                self._drained.wait_for(lambda: not self.pending and not self._busy, timeout=60)
        finally:
            self.urgent.clear()

    def stop(self) -> None:
        """Store what is queued, then end the thread."""
        self._stopping = True
        self.urgent.set()
        self._thread.join(timeout=10)


def _query_vector(spans: list[RecordingSpan]) -> bytes | None:
    """The first query embedding of a trace as float16 bytes (kept only with content "full":
    an embedding tells roughly what was asked)."""
    import numpy as np

    for span in spans:
        if span.name == "embed.query" and span.extras and "query_vector" in span.extras:
            return np.asarray(span.extras["query_vector"], dtype=np.float16).tobytes()
    return None


class _Pipeline:
    """The OpenTelemetry SDK side: a tracer provider whose span processors see every kept
    span as a ``ReadableSpan`` (add one with ``Tracing.provider.add_span_processor``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._provider: TracerProvider | None = None
        self._processors: SynchronousMultiSpanProcessor | None = None
        self._resource: Any = None
        self._scope: Any = None

    def provider(self) -> TracerProvider:
        """The tracer provider (the SDK loads on first use)."""
        with self._lock:
            if self._provider is None:
                from opentelemetry.sdk.resources import Resource
                from opentelemetry.sdk.trace import SynchronousMultiSpanProcessor, TracerProvider
                from opentelemetry.sdk.util.instrumentation import InstrumentationScope

                from ragtui import __version__

                self._resource = Resource(
                    {"service.name": "ragtui", "service.version": __version__}
                )
                self._scope = InstrumentationScope("ragtui", __version__)
                self._processors = SynchronousMultiSpanProcessor()  # type: ignore[no-untyped-call]
                self._provider = TracerProvider(
                    resource=self._resource,
                    shutdown_on_exit=False,
                    active_span_processor=self._processors,
                )
            return self._provider

    def export(self, spans: list[RecordingSpan]) -> list[ReadableSpan]:
        """One trace's spans as SDK spans, handed to the provider's span processors."""
        from opentelemetry.sdk.trace import Event, ReadableSpan
        from opentelemetry.trace import SpanContext, Status, StatusCode, TraceFlags

        self.provider()
        processors = self._processors
        assert processors is not None  # made by provider()
        sampled = TraceFlags(TraceFlags.SAMPLED)
        readables = []
        for span in spans:
            context = SpanContext(span.trace_id, span.span_id, False, sampled)
            parent = (
                SpanContext(span.trace_id, span.parent_id, False, sampled)
                if span.parent_id is not None
                else None
            )
            status = (
                Status(StatusCode.ERROR, span.error)
                if span.error is not None
                else Status(StatusCode.UNSET)
            )
            readable = ReadableSpan(
                name=span.name,
                context=context,
                parent=parent,
                resource=self._resource,
                attributes=span.attributes,
                events=[Event(name, attrs, at) for name, at, attrs in span.events],
                status=status,
                start_time=span.start_ns,
                end_time=span.end_ns,
                instrumentation_scope=self._scope,
            )
            processors.on_end(readable)
            readables.append(readable)
        return readables


def _keep(settings: TracingSettings, root: RecordingSpan, spans: list[RecordingSpan]) -> bool:
    if any(s.error is not None for s in spans):
        return True
    duration_ms = (root.end_ns - root.start_ns) / 1e6
    slow = settings.slow_ms.get(root.name)
    if slow is not None and duration_ms >= slow:
        return True
    return settings.sample_rate >= 1.0 or random.random() < settings.sample_rate


class Tracing:
    """The core's tracer: ``with tracing.span("retrieve.dense") as span: ...``.

    With tracing off, spans cost a no-op.
    """

    def __init__(self, settings: TracingSettings, path: Path) -> None:
        self.settings = settings
        self.store = TraceStore(path)
        self.enabled = settings.enabled
        self._pipeline = _Pipeline()
        self._sink: _Sink | None = None
        self._open: set[int] = set()  # span ids of the roots now running
        self._last_end = 0.0  # monotonic time the newest root ended
        self._lock = threading.Lock()

    @property
    def provider(self) -> TracerProvider:
        """The OpenTelemetry tracer provider every kept span passes through."""
        return self._pipeline.provider()

    def _start_sink(self) -> _Sink:
        with self._lock:
            if self._sink is None:
                self._sink = _Sink(self.settings, self.store, self._idle_for, self._pipeline)
            return self._sink

    def span(self, name: str, attributes: Mapping[str, Any] | None = None) -> Any:
        """A context manager opening a child of the current span (a new trace at the top)."""
        if not self.enabled:
            return nullcontext(_NO_SPAN)
        if self._sink is None:
            self._start_sink()
        parent = _CURRENT.get()
        span = RecordingSpan(self, name, parent, attributes)
        if parent is None:
            self._open.add(span.span_id)
        return span

    def _idle_for(self) -> float:
        """Seconds since the last trace ended (0 while one is open)."""
        return 0.0 if self._open else time.monotonic() - self._last_end

    def _finished(self, root: RecordingSpan) -> None:
        """A root span ended: keep or drop its whole trace."""
        self._open.discard(root.span_id)
        self._last_end = time.monotonic()
        sink = self._sink
        spans = root.trace.spans
        if sink is not None and _keep(self.settings, root, spans):
            sink.put(spans)
        else:
            spans.clear()

    def extra(self, span: Any, key: str, value: Any) -> None:
        """Hand the writer a Python object for this span (``ranking``: (id, score) pairs;
        ``documents``: (id, score, content, path) tuples), stored as attributes."""
        if isinstance(span, RecordingSpan):
            if span.extras is None:
                span.extras = {}
            span.extras[key] = value

    def child(
        self, name: str, start_ns: int, end_ns: int, attributes: Mapping[str, Any] | None = None
    ) -> None:
        """Record a child of the current span that already happened (e.g. prefill)."""
        if self.enabled:
            if self._sink is None:
                self._start_sink()
            RecordingSpan(self, name, _CURRENT.get(), attributes, start_ns).end(end_ns)

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
        self.store.close()


def mark_error(span: Any, reason: str) -> None:
    """Flag a span as failed (kept by the sampler, counted by stats) with its reason."""
    span.set_attribute("ragtui.error", reason)
    if isinstance(span, RecordingSpan):
        span.error = reason


def trace_id_of(span: Any) -> str | None:
    """The hex trace id of a recording span (None when tracing is off)."""
    if isinstance(span, RecordingSpan):
        return hex_id(span.trace_id, 32)
    return None


def current_span() -> Any:
    """The active span, or a no-op one when tracing is off or nothing is active."""
    return _CURRENT.get() or _NO_SPAN
