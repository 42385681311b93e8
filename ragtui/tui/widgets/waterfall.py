"""A trace's spans as a waterfall: one line per span, bars offset by start, sized by duration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.events import Click
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from ragtui.core.api import SpanRecord
from ragtui.units import format_ms

_MIN_BAR = 8  # cells the bars keep however long the span names are
_BAR_STYLE = {"OK": "$accent", "UNSET": "$accent", "ERROR": "$error"}


@dataclass(frozen=True)
class Row:
    """A span placed in the tree."""

    span: SpanRecord
    depth: int


def span_rows(spans: Sequence[SpanRecord]) -> list[Row]:
    """Spans in tree order (children under their parent, by start time) with their depth."""
    ids = {s.span_id for s in spans}
    children: dict[str | None, list[SpanRecord]] = {}
    for span in spans:
        parent = span.parent_id if span.parent_id in ids else None
        children.setdefault(parent, []).append(span)
    for group in children.values():
        group.sort(key=lambda s: (s.start_ns, -s.end_ns))
    rows: list[Row] = []

    def walk(parent: str | None, depth: int) -> None:
        for span in children.get(parent, []):
            rows.append(Row(span, depth))
            walk(span.span_id, depth + 1)

    walk(None, 0)
    return rows


def bar(start: int, end: int, t0: int, total: int, width: int) -> tuple[int, int]:
    """Offset and length (cells) of a span's bar in ``width`` cells; at least one cell."""
    if total <= 0 or width <= 0:
        return 0, max(1, min(width, 1))
    offset = int((start - t0) / total * width)
    offset = min(max(offset, 0), width - 1)
    length = max(1, round((end - start) / total * width))
    return offset, min(length, width - offset)


class Waterfall(Widget, can_focus=True):
    """Spans of one trace; up/down or a click selects one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "move(-1)", "Previous span", show=False),
        Binding("down,j", "move(1)", "Next span", show=False),
        Binding("home", "first", "First span", show=False),
        Binding("end", "last", "Last span", show=False),
    ]

    selected: reactive[int] = reactive(0)

    class SpanSelected(Message):
        """A span was selected."""

        def __init__(self, span: SpanRecord) -> None:
            super().__init__()
            self.span = span

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rows: list[Row] = []

    def show(self, spans: Sequence[SpanRecord]) -> None:
        """Replace the spans shown (selects the first)."""
        self.rows = span_rows(spans)
        self.selected = 0
        self.refresh(layout=True)
        if self.rows:
            self.post_message(self.SpanSelected(self.rows[0].span))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(1, len(self.rows))

    def render(self) -> Content:
        if not self.rows:
            return Content.styled("Pick a trace to see its spans.", "$text-muted")
        width = self.size.width or 80
        t0 = min(r.span.start_ns for r in self.rows)
        total = max(r.span.end_ns for r in self.rows) - t0
        time_width = 9
        name_width = min(
            max(len(r.span.name) + 2 * r.depth for r in self.rows) + 1,
            max(16, width - time_width - 1 - _MIN_BAR),
        )
        bar_width = max(4, width - name_width - time_width - 1)
        lines = []
        for index, row in enumerate(self.rows):
            span = row.span
            name = ("  " * row.depth + span.name)[: name_width - 1].ljust(name_width)
            offset, length = bar(span.start_ns, span.end_ns, t0, total, bar_width)
            style = _BAR_STYLE.get(span.status, "$accent")
            line = Content.assemble(
                (name, "bold" if index == self.selected else ""),
                " " * offset,
                ("█" * length, style),
                " " * (bar_width - offset - length),
                (format_ms(span.duration_ms).rjust(time_width), "$text-muted"),
            )
            if index == self.selected:
                line = line.stylize("reverse" if self.has_focus else "on $boost")
            lines.append(line)
        return Content("\n").join(lines)

    def watch_selected(self, old: int, new: int) -> None:
        if 0 <= new < len(self.rows):
            self.scroll_visible_row(new)
            self.post_message(self.SpanSelected(self.rows[new].span))
        self.refresh()

    def scroll_visible_row(self, row: int) -> None:
        """Keep the selected line on screen inside a scrolling parent."""
        parent = self.parent
        if isinstance(parent, Widget) and parent.is_scrollable:
            parent.scroll_to_region(Region(0, self.virtual_region.y + row, 1, 1), animate=False)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def on_click(self, event: Click) -> None:
        if 0 <= event.y < len(self.rows):
            self.selected = event.y

    def action_move(self, step: int) -> None:
        if self.rows:
            self.selected = min(max(self.selected + step, 0), len(self.rows) - 1)

    def action_first(self) -> None:
        self.selected = 0

    def action_last(self) -> None:
        self.selected = max(0, len(self.rows) - 1)
