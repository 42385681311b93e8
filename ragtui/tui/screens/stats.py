"""The Stats screen: latency, throughput, caches, tokens, energy, cost, index, memory and
drift (with an alert line when a drift signal alerts).

Every figure comes from ``engine.stats.figures(since)`` (see :mod:`ragtui.core.stats`).
"""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Static
from textual_plotext import PlotextPlot

from ragtui.core.api import RagtuiError, StatsReport
from ragtui.tui.app import MainScreen
from ragtui.units import format_bytes, format_ms

WINDOWS = ("1h", "24h", "7d", "30d", "all")
# the answer pipeline's stages, in pipeline order (roots and index spans have their own rows)
PIPELINE = (
    "cache.lookup",
    "embed.query",
    "retrieve.bm25",
    "retrieve.dense",
    "retrieve.fusion",
    "retrieve.mmr",
    "context.pack",
    "prompt.render",
    "llm.prefill",
    "llm.decode",
    "citations.check",
    "cache.store",
)


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.0%}"


def _ms(value: float | None) -> str:
    return "—" if value is None else format_ms(value)


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _usd(value: float | None) -> str:
    return "—" if value is None else f"${value:.4f}"


def _lines(rows: list[tuple[str, str]], warn: set[str] | None = None) -> Content:
    parts: list[tuple[str, str] | str] = []
    for label, value in rows:
        style = "bold $warning" if warn and label in warn else "bold"
        parts += [(f"{label:<16}", "$text-muted"), (value, style), "\n"]
    return Content.assemble(*parts).rstrip()


def stage_chart(rows: list[tuple[str, float, float]], width: int) -> Content:
    """Horizontal bars of each stage's p50 (solid) reaching to its p95 (light), linear in ms,
    with both figures at the end of the line."""
    if not rows:
        return Content.styled("No answers in this window yet: ask something (F2).", "$text-muted")
    name_width = max(len(r[0]) for r in rows) + 1
    figures_width = 22
    bar_width = max(8, width - name_width - figures_width)
    top = max(r[2] for r in rows) or 1.0
    lines = []
    for name, p50, p95 in rows:
        solid = max(1, round(p50 / top * bar_width))
        light = max(0, round(p95 / top * bar_width) - solid)
        lines.append(
            Content.assemble(
                (name.ljust(name_width), "$text-muted"),
                ("█" * solid, "$accent"),
                ("░" * light, "$accent"),
                " " * (bar_width - solid - light),
                (f" {_ms(p50):>9} {_ms(p95):>10}", "bold"),
            )
        )
    header = Content.assemble(
        " " * name_width,
        ("█ p50 ", "$accent"),
        ("░ p95", "$accent"),
        " " * max(1, bar_width - 11),
        (f" {'p50':>9} {'p95':>10}", "$text-muted"),
    )
    return Content("\n").join([header, *lines])


def answers_panel(s: StatsReport) -> Content:
    a = s.answers
    return _lines(
        [
            ("answers", f"{a.count} ({a.generated} generated)"),
            ("latency p50", _ms(a.latency_ms.p50)),
            ("latency p95", _ms(a.latency_ms.p95)),
            ("first token p50", _ms(a.ttft_ms.p50)),
            ("first token p95", _ms(a.ttft_ms.p95)),
            ("abstained", _pct(a.abstention_rate)),
            ("fallback", _pct(a.fallback_rate)),
            ("errors", _pct(a.error_rate)),
            *(
                [("routes", " · ".join(f"{name} {n}" for name, n in a.routes.items()))]
                if a.routes
                else []
            ),
            *(
                [("prompts", " · ".join(f"{name} {n}" for name, n in a.prompts.items()))]
                if len(a.prompts) > 1
                else []
            ),
        ]
    )


def cache_panel(s: StatsReport) -> Content:
    c = s.cache
    return _lines(
        [
            ("exact hits", _pct(c.answers.exact_hit_rate)),
            ("semantic hits", _pct(c.answers.semantic_hit_rate)),
            ("lookups", str(c.answers.lookups)),
            ("embedding hits", _pct(c.embeddings.hit_rate)),
            ("", f"{c.embeddings.hits} hits · {c.embeddings.misses} misses"),
        ]
    )


def cost_panel(s: StatsReport) -> Content:
    cost, energy = s.cost, s.energy
    over = {"today"} if cost.over_budget else set()
    return _lines(
        [
            ("cloud price of", cost.reference or "—"),
            ("total", _usd(cost.total_usd)),
            ("per answer", _usd(cost.per_answer_usd)),
            ("today", _usd(cost.today_usd) + (" over budget" if cost.over_budget else "")),
            ("daily budget", f"${cost.daily_budget_usd:.2f}"),
            ("energy", f"{energy.wh_total:.4f} Wh"),
            (
                "per answer",
                "—" if energy.wh_per_answer is None else f"{energy.wh_per_answer:.4f} Wh",
            ),
            ("at", f"{energy.watts:g} W (CPU-s × watts)"),
        ],
        over,
    )


def system_panel(s: StatsReport, serving: str = "standalone") -> Content:
    """The index's size, this process's memory and CPU, and whether the app is attached
    to ``ragtui serve`` (``serving``)."""
    index, process = s.index, s.process
    current = process.current
    return _lines(
        [
            ("serve", serving),
            ("files", f"{index.files} ({index.failed} failed)"),
            ("chunks", f"{index.chunks} ({index.embedded} embedded)"),
            ("on disk", format_bytes(index.bytes_on_disk)),
            ("memory now", format_bytes(current["rss_bytes"]) if current.get("rss_bytes") else "—"),
            ("memory p50", format_bytes(process.rss_bytes_p50) if process.rss_bytes_p50 else "—"),
            ("memory max", format_bytes(process.rss_bytes_max) if process.rss_bytes_max else "—"),
            ("CPU s/answer", _num(process.cpu_s_per_answer.p50)),
            ("traces", f"{s.traces} " + " ".join(f"{k}:{v}" for k, v in sorted(s.by_kind.items()))),
        ]
    )


DRIFT_LABELS = {
    "questions": "questions",
    "top1_similarity": "top-1 similarity",
    "topk_similarity": "top-k similarity",
    "abstention_rate": "abstained",
    "nothing_relevant_rate": "nothing relevant",
    "answer_length": "answer length",
    "unsupported_rate": "unsupported",
    "fallback_rate": "fallback",
    "refocus_rate": "refocused",
    "latency_ms": "latency ms",
    "completion_tokens": "answer tokens",
    "new_topics": "new topics",
}


def _value(name: str, value: float | None) -> str:
    if value is None:
        return "—"
    if name.endswith("_rate") or name == "new_topics":
        return f"{value:.0%}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:,.0f}"


def drift_table(s: StatsReport) -> Content:
    """One line per drift signal: baseline → recent value, adjusted p-value, window sizes
    and whether it alerts."""
    d = s.drift
    if not d.enabled:
        return Content.styled("Drift checks are off (drift.enabled).", "$text-muted")
    header = f"{'signal':<18}{'baseline':>10}{'recent':>10}{'p (adj.)':>10}{'windows':>12}  state"
    lines = [Content.styled(header, "$text-muted")]
    for name, sig in d.signals.items():
        if sig.p_value is None:
            cells, state = (f"{'—':>10}" * 3 + f"{'—':>12}"), ("needs data", "$text-muted")
        else:
            cells = (
                f"{_value(name, sig.baseline_value):>10}{_value(name, sig.recent_value):>10}"
                f"{sig.p_adjusted or 0:>10.3f}{f'{sig.baseline_n}/{sig.recent_n}':>12}"
            )
            state = ("ALERT", "bold $warning") if sig.alert else ("ok", "$success")
        lines.append(
            Content.assemble(
                (f"{DRIFT_LABELS.get(name, name):<18}", "$text-muted"), cells, "  ", state
            )
        )
    return Content("\n").join(lines)


def stage_rows(s: StatsReport) -> list[tuple[str, float, float]]:
    """(stage, p50 ms, p95 ms) of the answer pipeline's stages that ran, in order."""
    stages = s.stages
    return [
        (name, stages[name].p50 or 0.0, stages[name].p95 or 0.0)
        for name in PIPELINE
        if name in stages
    ]


class StatsScreen(MainScreen):
    """Figures of the chosen window (w cycles 1h, 24h, 7d, 30d, all)."""

    TITLE_TEXT = "Stats"
    MODE = "stats"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("w", "window", "Window"),
        Binding("r", "reload", "Reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.window = "24h"
        self.figures: StatsReport | None = None

    def body(self) -> ComposeResult:
        with VerticalScroll(id="stats-body"):
            yield Static("", id="stats-drift-alerts")
            yield Static("", id="stats-warnings")
            with Grid(id="stats-panels"):
                yield Static("", id="panel-answers", classes="panel")
                yield Static("", id="panel-cache", classes="panel")
                yield Static("", id="panel-cost", classes="panel")
                yield Static("", id="panel-system", classes="panel")
            yield Static("", id="chart-stages")
            yield Static("", id="table-drift")
            with Horizontal(id="stats-charts"):
                yield PlotextPlot(id="chart-throughput", classes="chart")
                yield PlotextPlot(id="chart-tokens", classes="chart")

    def on_mount(self) -> None:
        super().on_mount()
        titles = {
            "panel-answers": "Answers",
            "panel-cache": "Caches",
            "panel-cost": "Cost and energy",
            "panel-system": "Index and process",
            "chart-stages": "Answer stages: latency",
            "table-drift": "Drift: recent window against the baseline",
        }
        for panel_id, title in titles.items():
            self.query_one(f"#{panel_id}").border_title = title
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    def action_window(self) -> None:
        """Next time window."""
        self.window = WINDOWS[(WINDOWS.index(self.window) + 1) % len(WINDOWS)]
        self.load()

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="stats", exit_on_error=False)
    def load(self) -> None:
        """Compute the figures (off the UI thread)."""
        try:
            self.engine.tracing.flush()
            figures = self.engine.stats.figures(self.window)
        except RagtuiError as exc:
            self.from_thread(self.notify, str(exc), severity="error")
            return
        self.from_thread(self.show, figures)

    def show(self, s: StatsReport) -> None:
        """Fill the panels and charts from the stats figures."""
        self.figures = s
        self.query_one("#stats-body").border_title = (
            f"Last {s.since}" if s.since != "all" else "All time"
        ) + " · w changes"
        warnings = self.query_one("#stats-warnings", Static)
        warnings.update(Content.styled("\n".join(s.warnings), "bold $warning"))
        warnings.display = bool(s.warnings)
        alerts = self.query_one("#stats-drift-alerts", Static)
        alerts.update(Content.styled("\n".join(s.drift.alerts), "bold $error"))
        alerts.display = bool(s.drift.alerts)
        self.query_one("#table-drift", Static).update(drift_table(s))
        self.query_one("#panel-answers", Static).update(answers_panel(s))
        self.query_one("#panel-cache", Static).update(cache_panel(s))
        self.query_one("#panel-cost", Static).update(cost_panel(s))
        link = self.ragtui.link
        serving = link.label() if link is not None else "standalone"
        self.query_one("#panel-system", Static).update(system_panel(s, serving))
        self._stage_chart(s)
        self.call_after_refresh(self._stage_chart, s)
        self._throughput_chart(s)
        self._tokens_chart(s)

    def _stage_chart(self, s: StatsReport) -> None:
        chart = self.query_one("#chart-stages", Static)
        body = self.query_one("#stats-body", VerticalScroll)
        width = body.scrollable_content_region.width - 6  # borders, padding, scrollbar
        chart.update(stage_chart(stage_rows(s), max(width, 40)))

    def on_resize(self) -> None:
        if self.figures is not None:
            self._stage_chart(self.figures)

    def _throughput_chart(self, s: StatsReport) -> None:
        plot = self.query_one("#chart-throughput", PlotextPlot)
        plt = plot.plt
        plt.clear_figure()
        plt.title("Tokens/s: p50 and p95")
        a = s.answers
        names = ["prefill", "decode"]
        p50 = [a.prefill_tokens_per_s.p50 or 0, a.decode_tokens_per_s.p50 or 0]
        p95 = [a.prefill_tokens_per_s.p95 or 0, a.decode_tokens_per_s.p95 or 0]
        if any(p50):
            plt.multiple_bar(names, [p50, p95], labels=["p50", "p95"])  # type: ignore[call-arg]
        plot.refresh()

    def _tokens_chart(self, s: StatsReport) -> None:
        plot = self.query_one("#chart-tokens", PlotextPlot)
        plt = plot.plt
        plt.clear_figure()
        plt.title("Tokens per day")
        days = s.tokens_per_day[-14:]
        if days:
            plt.stacked_bar(
                [d.day[5:] for d in days],
                [[d.prompt_tokens for d in days], [d.completion_tokens for d in days]],
                labels=["prompt", "completion"],
            )  # type: ignore[call-arg]
        plot.refresh()
