"""The Traces screen: recent traces, the selected one's waterfall, a span's details."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from ragtui.core.api import Passage, RagtuiError, SpanRecord, TraceRecord, printable
from ragtui.tui.app import MainScreen
from ragtui.tui.widgets.waterfall import Waterfall
from ragtui.units import format_ms

log = logging.getLogger(__name__)

STAGES = (
    ("retrieve.bm25", "bm25"),
    ("retrieve.dense", "dense"),
    ("retrieve.fusion", "fusion"),
    ("retrieve.mmr", "mmr"),
)
_HIDDEN = ("retrieval.documents.", "ragtui.prompt.text")
MAX_CHUNK_ROWS = 30


def attributes_content(span: SpanRecord) -> Content:
    """A span's attributes and events (documents and the prompt have their own tabs)."""
    parts: list[tuple[str, str] | str] = [
        (span.name, "bold $accent"),
        f"  {format_ms(span.duration_ms)}  ",
        (span.status.lower(), "$error" if span.status == "ERROR" else "$text-muted"),
        "\n",
    ]
    for key in sorted(span.attributes):
        if key.startswith(_HIDDEN):
            continue
        value = span.attributes[key]
        if isinstance(value, float):
            text = f"{value:.4g}"
        elif isinstance(value, list):
            text = ", ".join(
                str(v)[:12]
                if isinstance(v, str)
                else f"{v:.4g}"
                if isinstance(v, float)
                else str(v)
                for v in value
            )
            text = f"[{len(value)}] {text}"
        else:
            text = str(value)
        if len(text) > 400:
            text = text[:399] + "…"
        parts += [(key, "$text-muted"), " = ", text, "\n"]
    hidden = [k for k in span.attributes if k.startswith(_HIDDEN)]
    if hidden:
        parts.append(
            (f"({len(hidden)} more in the Prompt and Chunks tabs)\n", "italic $text-muted")
        )
    for event in span.events:
        attrs = event.get("attributes") or {}
        parts.append((f"event {event.get('name', '')} {json.dumps(attrs)}\n", "$text-muted"))
    return Content.assemble(*parts)


def prompt_text(spans: list[SpanRecord], selected: SpanRecord | None) -> str | None:
    """The rendered prompt: of the selected ``prompt.render`` span, else the first one."""
    if selected is not None and "ragtui.prompt.text" in selected.attributes:
        return str(selected.attributes["ragtui.prompt.text"])
    for span in spans:
        if span.name == "prompt.render" and "ragtui.prompt.text" in span.attributes:
            return str(span.attributes["ragtui.prompt.text"])
    return None


def chunk_rows(spans: list[SpanRecord]) -> list[dict[str, Any]]:
    """Every chunk the retrieval stages saw, with each stage's rank and score, the final
    order, and whether the answer's context packed, truncated or dropped it."""
    rows: dict[str, dict[str, Any]] = {}

    def row(cid: str) -> dict[str, Any]:
        return rows.setdefault(
            cid, {"id": cid, "path": None, "final": None, "stages": {}, "context": ""}
        )

    for span in spans:
        for name, label in STAGES:
            if span.name != name:
                continue
            ids = span.attributes.get("ragtui.retrieve.ids") or []
            scores = span.attributes.get("ragtui.retrieve.scores") or []
            for rank, (cid, score) in enumerate(zip(ids, scores, strict=False), 1):
                row(cid)["stages"][label] = (rank, float(score))
        if span.name == "search":
            n = 0
            while f"retrieval.documents.{n}.document.id" in span.attributes:
                prefix = f"retrieval.documents.{n}.document."
                item = row(str(span.attributes[prefix + "id"]))
                if item["final"] is None:
                    item["final"] = (n + 1, float(span.attributes.get(prefix + "score", 0.0)))
                item["path"] = item["path"] or span.attributes.get(prefix + "metadata")
                n += 1
        if span.name == "ask":
            marks = (
                ("ragtui.context.packed", "packed"),
                ("ragtui.context.dropped", "dropped"),
                ("ragtui.context.truncated", "truncated"),
            )
            for key, mark in marks:
                for cid in span.attributes.get(key) or []:
                    row(cid)["context"] = mark  # truncated comes last: it wins over packed

    def order(item: dict[str, Any]) -> tuple[int, int]:
        final = item["final"][0] if item["final"] else 10**6
        fusion = item["stages"].get("fusion", (10**6, 0))[0]
        return (final, fusion)

    return sorted(rows.values(), key=order)[:MAX_CHUNK_ROWS]


def _stage_cell(value: tuple[int, float] | None) -> str:
    return f"#{value[0]} {value[1]:.3f}" if value else "—"


_CONTEXT_STYLE = {"packed": "bold $success", "truncated": "bold $warning", "dropped": "$error"}


class TracesScreen(MainScreen):
    """Recent traces; the selected one as a waterfall with each span's details."""

    TITLE_TEXT = "Traces"
    MODE = "traces"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "reload", "Reload"),
        Binding("w", "focus_waterfall", "Spans", show=False),
        Binding("t", "focus_traces", "Trace list", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.traces: list[TraceRecord] = []
        self.current: TraceRecord | None = None
        self.wanted: str | None = None  # a trace to show once the list is loaded

    def body(self) -> ComposeResult:
        yield DataTable(id="trace-list", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="trace-detail"):
            with VerticalScroll(id="waterfall-box", can_focus=False):
                yield Waterfall(id="waterfall")
            with TabbedContent(id="span-tabs"):
                with TabPane("Span", id="tab-span"), VerticalScroll():
                    yield Static("", id="span-attributes")
                with TabPane("Prompt", id="tab-prompt"), VerticalScroll():
                    yield Static("", id="span-prompt")
                with TabPane("Chunks", id="tab-chunks"):
                    yield DataTable(id="chunk-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#trace-list", DataTable)
        table.border_title = "Traces"
        table.add_column("Started", key="start", width=19)
        table.add_column("Kind", key="kind", width=6)
        table.add_column("Took", key="took", width=9)
        table.add_column("Status", key="status", width=6)
        table.add_column("Note", key="note", width=12)
        table.add_column("Input", key="input")
        chunks = self.query_one("#chunk-table", DataTable)
        for label in ("#", "Context", "File", "bm25", "dense", "fusion", "Chunk"):
            chunks.add_column(label, key=label)
        self.query_one("#waterfall-box").border_title = "Spans"
        self.load_traces()
        table.focus()

    def on_screen_resume(self) -> None:
        self.load_traces()

    def action_reload(self) -> None:
        self.load_traces()

    def open_trace(self, trace_id: str) -> None:
        """Show the trace ``trace_id`` (selected in the list when it is among the newest)."""
        self.wanted = trace_id
        self.load_traces()

    def action_focus_waterfall(self) -> None:
        self.query_one(Waterfall).focus()

    def action_focus_traces(self) -> None:
        self.query_one("#trace-list", DataTable).focus()

    # the list ----------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="traces", exit_on_error=False)
    def load_traces(self) -> None:
        """Read recent traces (off the UI thread)."""
        try:
            self.engine.tracing.flush()
            traces = self.engine.traces.recent(100)
        except (RagtuiError, OSError) as exc:
            self.from_thread(self.notify, str(exc), severity="error")
            return
        self.from_thread(self._show_traces, traces)

    def _show_traces(self, traces: list[TraceRecord]) -> None:
        table = self.query_one("#trace-list", DataTable)
        wanted, self.wanted = self.wanted, None
        if [t.trace_id for t in traces] == [t.trace_id for t in self.traces]:
            if wanted is not None:
                self._select(wanted)
            return
        self.traces = traces
        table.clear()
        for t in traces:
            text = Text(printable(t.summary.get("input") or "").replace("\n", " "))
            status = Content.styled(t.status.lower(), "$error" if t.status == "ERROR" else "")
            table.add_row(
                time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t.start_ns / 1e9)),
                t.name,
                format_ms(t.duration_ms),
                status,
                Content.styled(t.note(), "$warning"),
                text,
                key=t.trace_id,
            )
        table.border_subtitle = f"{len(traces)} newest · r reload"
        if not traces:
            self.query_one("#span-attributes", Static).update(
                Content.styled(
                    "No traces yet: ask a question (F2) and its trace appears here.", "$text-muted"
                )
            )
        else:
            self._select(wanted or traces[0].trace_id)

    def _select(self, trace_id: str) -> None:
        table = self.query_one("#trace-list", DataTable)
        for row, trace in enumerate(self.traces):
            if trace.trace_id == trace_id:
                table.move_cursor(row=row)
                break
        self.load_trace(trace_id)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        if (
            event.data_table.id == "trace-list"
            and key is not None
            and (self.current is None or self.current.trace_id != key)
        ):
            self.load_trace(str(key))

    # one trace -----------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="trace", exit_on_error=False)
    def load_trace(self, trace_id: str) -> None:
        """Read one trace's spans and the chunks they name (off the UI thread)."""
        try:
            trace = self.engine.traces.get(trace_id)
        except RagtuiError as exc:
            self.from_thread(self.notify, str(exc), severity="error")
            return
        rows = chunk_rows(trace.spans)
        missing = [r["id"] for r in rows if not r["path"]]
        try:
            passages = self.engine.retriever.passages(missing) if missing else {}
        except Exception:  # the catalog may be busy: names are a nicety
            passages = {}
        self.from_thread(self._show_trace, trace, rows, passages)

    def _show_trace(
        self, trace: TraceRecord, rows: list[dict[str, Any]], passages: dict[str, Passage]
    ) -> None:
        self.current = trace
        self.query_one(Waterfall).show(trace.spans)
        box = self.query_one("#waterfall-box")
        box.border_title = f"Spans · {trace.name} · {format_ms(trace.duration_ms)}"
        table = self.query_one("#chunk-table", DataTable)
        table.clear()
        for item in rows:
            path = item["path"] or (
                passages[item["id"]].path if item["id"] in passages else "(no longer indexed)"
            )
            final = f"{item['final'][0]}" if item["final"] else ""
            mark = item["context"]
            table.add_row(
                final,
                Content.styled(mark or "—", _CONTEXT_STYLE.get(mark, "$text-muted")),
                Text(printable(Path(path).name)),
                _stage_cell(item["stages"].get("bm25")),
                _stage_cell(item["stages"].get("dense")),
                _stage_cell(item["stages"].get("fusion")),
                item["id"][:10],
            )
        prompt = prompt_text(trace.spans, None)
        self.query_one("#span-prompt", Static).update(
            Content(printable(prompt))
            if prompt is not None
            else Content.styled("This trace rendered no prompt.", "$text-muted")
        )

    def on_waterfall_span_selected(self, event: Waterfall.SpanSelected) -> None:
        self.query_one("#span-attributes", Static).update(attributes_content(event.span))
        if self.current is not None and event.span.name == "prompt.render":
            prompt = prompt_text(self.current.spans, event.span)
            if prompt is not None:
                self.query_one("#span-prompt", Static).update(Content(printable(prompt)))
