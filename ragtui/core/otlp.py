"""OTLP JSON (the OpenTelemetry protocol's JSON encoding) for stored traces.

The shape is ``resourceSpans → scopeSpans → spans`` with hex trace and span ids
and nanosecond times as decimal strings, which Arize Phoenix and any OTLP/HTTP
collector accept.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Sequence
from typing import Any

from ragtui import __version__
from ragtui.core.trace_store import SpanRecord, TraceRecord

_STATUS = {"UNSET": 0, "OK": 1, "ERROR": 2}
_KIND_INTERNAL = 1


def value(item: Any) -> dict[str, Any]:
    """One attribute value as an OTLP ``AnyValue``."""
    if isinstance(item, bool):
        return {"boolValue": item}
    if isinstance(item, int):
        return {"intValue": str(item)}
    if isinstance(item, float):
        return {"doubleValue": item}
    if isinstance(item, list | tuple):
        return {"arrayValue": {"values": [value(v) for v in item]}}
    return {"stringValue": str(item)}


def attributes(items: dict[str, Any]) -> list[dict[str, Any]]:
    """Attributes as OTLP ``KeyValue`` pairs."""
    return [{"key": k, "value": value(v)} for k, v in items.items()]


def span(record: SpanRecord) -> dict[str, Any]:
    """One span in OTLP JSON."""
    encoded: dict[str, Any] = {
        "traceId": record.trace_id,
        "spanId": record.span_id,
        "name": record.name,
        "kind": _KIND_INTERNAL,
        "startTimeUnixNano": str(record.start_ns),
        "endTimeUnixNano": str(record.end_ns),
        "attributes": attributes(record.attributes),
        "events": [
            {
                "timeUnixNano": str(e["time_ns"]),
                "name": e["name"],
                "attributes": attributes(e.get("attributes", {})),
            }
            for e in record.events
        ],
        "status": {"code": _STATUS.get(record.status, 0)},
    }
    if record.parent_id:
        encoded["parentSpanId"] = record.parent_id
    return encoded


def document(traces: Sequence[TraceRecord]) -> dict[str, Any]:
    """An OTLP ``ExportTraceServiceRequest`` holding every span of ``traces``."""
    return {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": attributes(
                        {"service.name": "ragtui", "service.version": __version__}
                    )
                },
                "scopeSpans": [
                    {
                        "scope": {"name": "ragtui", "version": __version__},
                        "spans": [span(s) for trace in traces for s in trace.spans],
                    }
                ],
            }
        ]
    }


def post(endpoint: str, traces: Sequence[TraceRecord], timeout: float = 5.0) -> None:
    """Send traces to an OTLP/HTTP endpoint the user configured (JSON encoding)."""
    body = json.dumps(document(traces)).encode()
    request = urllib.request.Request(
        endpoint, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()
