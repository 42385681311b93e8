"""The Evals screen: stored eval runs, a new run with progress, run comparison, case detail.

Every figure comes from the Engine's eval service (``engine.evals``: ``runs``, ``get``,
``compare``, ``run``); the runs and comparisons are read, and a new run is made, in
worker threads.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DataTable, Input, Label, ProgressBar, Static

from ragtui.core.api import ContinuousTrend, EvalComparison, EvalRun, RagtuiError
from ragtui.tui.app import MainScreen
from ragtui.tui.widgets.trend import trend_content
from ragtui.units import format_ms

#: The runs table's metric columns: (metric, column title).
HEADLINE = (
    ("ndcg@10", "nDCG@10"),
    ("token_f1", "F1"),
    ("faithfulness", "Faith"),
    ("abstention_accuracy", "Abst"),
    ("latency_ms", "Latency"),
)
#: The cases table's metric columns.
CASE_METRICS = (("ndcg@10", "nDCG"), ("token_f1", "F1"), ("faithfulness", "Faith"))
_STATUS_STYLE = {"complete": "$success", "running": "bold $accent", "interrupted": "$warning"}


def metric_text(name: str, value: float | None) -> str:
    """A metric value as the tables show it (latency in ms or s, the rest to 3 places)."""
    if value is None:
        return "—"
    if name == "latency_ms":
        return format_ms(float(value))
    if name.endswith("_tokens"):
        return f"{value:.0f}"
    return f"{value:.3f}"


def _mean(run: EvalRun, name: str) -> float | None:
    found = run.metrics.get(name)
    return None if found is None else found.mean


def _when(seconds: float | None) -> str:
    return "—" if seconds is None else time.strftime("%m-%d %H:%M", time.localtime(seconds))


def cell(app: App[Any], text: str, style: str) -> Text:
    """A table cell in a theme style ("bold $error"): DataTable measures Rich text, not
    Content, so auto-width columns stay right."""
    colors = app.get_css_variables()
    words = [colors.get(w[1:], "") if w.startswith("$") else w for w in style.split()]
    return Text(text, style=" ".join(w for w in words if w))


def summary_content(run: EvalRun) -> Content:
    """A run's every metric (mean, 95 % interval; n when fewer cases had it), its timing
    and what it ran with."""
    parts: list[tuple[str, str] | str] = [(f"{run.name}\n", "bold $accent")]
    config = run.config
    mode = (
        "retrieval only"
        if config.get("retrieval_only")
        else ("answers + judge" if config.get("judge") else "answers")
    )
    parts += [
        (f"{run.status} · {mode}\n", "$text-muted"),
        (f"{Path(run.dataset).name}\n", "$text-muted"),
    ]
    metrics = run.metrics
    if not metrics:
        parts.append(("No metrics yet.\n", "$text-muted"))
    width = max((len(name) for name in metrics), default=0) + 1
    for name in sorted(metrics):
        m = metrics[name]
        low, high = m.ci95
        span = (
            f"{low / 1000:.2f}–{high / 1000:.2f} s"
            if name == "latency_ms"
            else f"{low:.2f}–{high:.2f}"
        )
        subset = f" n={m.n}" if m.n < run.total else ""  # fewer cases
        parts += [
            (f"{name:<{width}}", "$text-muted"),
            (f"{metric_text(name, m.mean):>7}", "bold"),
            (f"  {span}{subset}\n", "$text-muted"),
        ]
    timing = run.timing
    if timing.get("wall_s") is not None:
        line = f"\nwall {timing['wall_s']:.1f} s · judge {timing.get('judge_s') or 0:.1f} s"
        if timing.get("fallback_cases"):
            line += f" · {timing['fallback_cases']} fell back"
        parts.append((line, "$text-muted"))
    return Content.assemble(*parts).rstrip()


def case_content(case: dict[str, Any]) -> Content:
    """One case: question, what was expected, the answer, contexts and every metric."""
    parts: list[tuple[str, str] | str] = []

    def section(title: str) -> None:
        parts.append((f"\n{title}\n", "bold $accent"))

    parts += [("Question  ", "bold $accent"), f"{case['question']}\n"]
    if not case.get("answerable", True):
        parts.append(("(not answerable from the corpus: abstaining is right)\n", "$text-muted"))
    section("Expected")
    parts.append(f"{case.get('expected_answer') or '—'}\n")
    if case.get("expected_sources"):
        parts.append((f"sources: {', '.join(case['expected_sources'])}\n", "$text-muted"))
    section("Answer")
    if "answer" not in case:
        parts.append(("(retrieval-only run: no answer)\n", "$text-muted"))
    else:
        flags = [f for f in ("abstained", "fallback") if case.get(f)]
        if flags:
            parts.append((f"[{', '.join(flags)}] ", "bold $warning"))
        parts.append(f"{case.get('answer') or ''}\n")
        for cite in case.get("citations") or []:
            parts.append((f"  [{cite['n']}] {cite['path']}\n", "$text-muted"))
    section("Metrics")
    for name, value in sorted((case.get("metrics") or {}).items()):
        parts += [(f"  {name:<24}", "$text-muted"), (metric_text(name, value), "bold"), "\n"]
    retrieved = case.get("retrieved") or []
    if retrieved:
        section(f"Retrieved ({len(retrieved)})")
        expected = set(case.get("expected_sources") or [])
        for n, source in enumerate(retrieved, 1):
            parts.append((f"  {n:>2}. {source}\n", "bold $success" if source in expected else ""))
    contexts = case.get("contexts") or []
    if contexts and "answer" in case:
        section(f"Contexts ({len(contexts)})")
        for n, text in enumerate(contexts, 1):
            text = " ".join(str(text).split())
            parts += [(f"[{n}] ", "bold"), (text[:600] + ("…" if len(text) > 600 else "")), "\n"]
    return Content.assemble(*parts).rstrip()


class RunDialog(ModalScreen[dict[str, Any] | None]):
    """Start an eval run: the dataset path, a name, a case limit and the options."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, dataset: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.dataset = dataset

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="run-dialog"):
            yield Label("New eval run", classes="dialog-title")
            yield Input(self.dataset, placeholder="dataset JSONL path", id="run-dataset")
            yield Input(placeholder="name (optional)", id="run-name")
            yield Input(placeholder="at most N cases (optional)", id="run-limit", type="integer")
            with Horizontal(classes="dialog-buttons"):
                yield Checkbox("Retrieval only", id="run-retrieval-only")
                yield Checkbox("Judge", True, id="run-judge")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Start", variant="primary", id="run-start")
                yield Button("Cancel", id="run-cancel")
            yield Label("Enter starts · Escape cancels", classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._start()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "run-start":
            self._start()
        else:
            self.dismiss(None)

    def _start(self) -> None:
        dataset = self.query_one("#run-dataset", Input).value.strip()
        if not dataset:
            self.notify("Give the path of a JSONL dataset.", severity="warning")
            return
        limit = self.query_one("#run-limit", Input).value.strip()
        self.dismiss(
            {
                "dataset": dataset,
                "name": self.query_one("#run-name", Input).value.strip() or None,
                "limit": int(limit) if limit else None,
                "retrieval_only": self.query_one("#run-retrieval-only", Checkbox).value,
                "judge": self.query_one("#run-judge", Checkbox).value,
            }
        )

    def action_cancel(self) -> None:
        self.dismiss(None)


class CaseScreen(ModalScreen[None]):
    """One case of a run; t opens its trace."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss(None)", "Close"),
        Binding("t", "trace", "Trace"),
    ]

    def __init__(self, run_name: str, case: dict[str, Any]) -> None:
        super().__init__(classes="dialog-screen")
        self.run_name = run_name
        self.case = case

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="eval-case"):
            yield Label(f"{self.run_name} · case {self.case['case_id']}", classes="dialog-title")
            with VerticalScroll():
                yield Static(case_content(self.case), id="case-text")
            yield Label("t opens its trace · Esc closes", classes="dialog-hint")

    async def action_trace(self) -> None:
        """Show this case's trace on the Traces screen."""
        trace_id = self.case.get("trace_id")
        if not trace_id:
            self.notify("This case has no trace.", severity="warning")
            return
        from ragtui.tui.app import RagtuiApp

        app = self.app
        self.dismiss(None)
        if isinstance(app, RagtuiApp):
            await app.open_trace(str(trace_id))


class CompareScreen(ModalScreen[None]):
    """Two runs side by side: per-metric deltas, interval, p and regressions; the cases
    that changed most."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "dismiss(None)", "Close")]

    def __init__(self, report: EvalComparison) -> None:
        super().__init__(classes="dialog-screen")
        self.report = report

    def compose(self) -> ComposeResult:
        r = self.report
        with Vertical(classes="dialog wide", id="eval-compare"):
            yield Label(f"{r.b.name} against {r.a.name}", classes="dialog-title")
            yield Static(self._verdict(), id="compare-verdict")
            yield DataTable(id="compare-metrics", cursor_type="row", zebra_stripes=True)
            yield Label("Cases that changed most", classes="dialog-title")
            yield DataTable(id="compare-cases", cursor_type="row", zebra_stripes=True)
            yield Label("Esc closes", classes="dialog-hint")

    def _verdict(self) -> Content:
        r = self.report
        head = f"{r.cases_compared} cases compared · tolerance {r.tolerance}  "
        if r.regressions:
            return Content.assemble(
                head, (f"REGRESSION: {', '.join(r.regressions)}", "bold $error")
            )
        return Content.assemble(head, ("no regression", "bold $success"))

    def on_mount(self) -> None:
        table = self.query_one("#compare-metrics", DataTable)
        for label in ("Metric", "A", "B", "Δ", "95% CI", "p", "n", ""):
            table.add_column(label, key=label)
        for row in self.report.metrics:
            name = row.metric
            delta = row.delta
            better = delta > 0 if row.kind == "quality" else delta < 0
            style = "$error" if row.regression else ("$success" if better and delta else "")
            low, high = row.ci95
            sign = "+" if delta > 0 else ""
            table.add_row(
                name,
                metric_text(name, row.a),
                metric_text(name, row.b),
                cell(
                    self.app,
                    f"{sign}{delta:.3f}" if name != "latency_ms" else f"{sign}{delta:.0f} ms",
                    style,
                ),
                f"[{low:.3f}, {high:.3f}]" if name != "latency_ms" else f"[{low:.0f}, {high:.0f}]",
                f"{row.p:.3f}",
                str(row.n),
                cell(self.app, "REGRESSION", "bold $error") if row.regression else "",
                key=name,
            )
        cases = self.query_one("#compare-cases", DataTable)
        cases.add_column("Case", key="case")
        cases.add_column("Changes", key="changes")
        cases.add_column("Question", key="question")
        for item in self.report.changed_cases:
            changes = Text(" ").join(
                cell(self.app, f"{n} {d:+.2f}", "$error" if d < 0 else "$success")
                for n, d in sorted(item.deltas.items(), key=lambda kv: kv[1])
            )
            cases.add_row(item.case_id, changes, item.question, key=item.case_id)


class EvalsScreen(MainScreen):
    """Stored eval runs; start one, compare two, read a case."""

    TITLE_TEXT = "Evals"
    MODE = "evals"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_run", "New run"),
        Binding("space", "mark", "Mark"),
        Binding("c", "compare", "Compare"),
        Binding("enter", "open_case", "Case", show=False),
        Binding("escape", "cancel_run", "Cancel run", show=False),
        Binding("r", "reload", "Reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[EvalRun] = []
        self.marked: list[str] = []
        self.current: EvalRun | None = None
        self.running = False
        self.last_dataset = ""
        self._cancel: threading.Event | None = None
        self._select: str | None = None  # the run to highlight after the next load

    def body(self) -> ComposeResult:
        yield DataTable(id="eval-runs", cursor_type="row", zebra_stripes=True)
        yield Static("", id="eval-trend")
        with Horizontal(id="eval-progress"):
            yield ProgressBar(total=None, show_eta=False, id="eval-bar")
            yield Static("", id="eval-progress-text")
        with Horizontal(id="eval-detail"):
            yield DataTable(id="eval-cases", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="eval-summary-box", can_focus=False):
                yield Static("", id="eval-summary")

    def on_mount(self) -> None:
        super().on_mount()
        runs = self.query_one("#eval-runs", DataTable)
        runs.border_title = "Eval runs"
        runs.add_column(" ", key="mark", width=1)
        runs.add_column("Name", key="name")
        runs.add_column("Created", key="created", width=11)
        runs.add_column("Status", key="status", width=11)
        runs.add_column("Cases", key="cases", width=5)
        for metric, title in HEADLINE:
            runs.add_column(title, key=metric, width=7)
        cases = self.query_one("#eval-cases", DataTable)
        cases.border_title = "Cases"
        cases.add_column("Case", key="case")
        for metric, title in CASE_METRICS:
            cases.add_column(title, key=metric, width=5)
        cases.add_column("Question", key="question")
        self.query_one("#eval-summary-box").border_title = "Run"
        self.query_one("#eval-progress").display = False
        trend = self.query_one("#eval-trend")
        trend.border_title = "Continuous evaluation"
        trend.display = False
        self.load_runs()
        runs.focus()

    def on_screen_resume(self) -> None:
        if not self.running:
            self.load_runs()

    def on_unmount(self) -> None:
        if self._cancel is not None:  # the app is closing: let the run's thread end
            self._cancel.set()

    def action_reload(self) -> None:
        self.load_runs()

    # the runs table ---------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="eval-runs", exit_on_error=False)
    def load_runs(self) -> None:
        """Read the stored runs, and the continuous runs' trend when there are any (off the
        UI thread)."""
        try:
            runs = self.engine.evals.runs()
            continuous = any(r.config.get("continuous") for r in runs)
            trend = self.engine.continuous.trend() if continuous else None
        except (RagtuiError, OSError) as exc:
            self.from_thread(self.notify, str(exc), severity="error")
            return
        self.from_thread(self._show_runs, runs)
        self.from_thread(self._show_trend, trend)

    def _show_trend(self, trend: ContinuousTrend | None) -> None:
        box = self.query_one("#eval-trend", Static)
        box.display = trend is not None
        if trend is not None:
            box.update(trend_content(trend))
            box.set_class(bool(trend.regressions), "-regressed")

    def _show_runs(self, runs: list[EvalRun]) -> None:
        table = self.query_one("#eval-runs", DataTable)
        keep = table.cursor_row
        selected, self._select = (
            self._select or (self.current.run_id if self.current else None),
            None,
        )
        self.runs = runs
        self.marked = [m for m in self.marked if any(r.run_id == m for r in runs)]
        table.clear()
        for run in runs:
            table.add_row(*self._cells(run), key=run.run_id)
        table.border_subtitle = (
            f"{len(runs)} runs · n new · space marks · c compares" if runs else "n starts a run"
        )
        if not runs:
            self.query_one("#eval-summary", Static).update(
                Content.styled(
                    "No eval runs yet: press n and give a JSONL dataset "
                    "(`ragtui eval import` or `ragtui eval generate` writes one).",
                    "$text-muted",
                )
            )
            self.query_one("#eval-cases", DataTable).clear()
            return
        ids = [r.run_id for r in runs]
        row = ids.index(selected) if selected in ids else min(keep, len(runs) - 1)
        table.move_cursor(row=max(row, 0))
        self.load_run(ids[max(row, 0)])

    def _cells(self, run: EvalRun) -> list[Any]:
        mark = cell(self.app, "●", "bold $accent") if run.run_id in self.marked else ""
        status = run.status
        cells: list[Any] = [
            mark,
            run.name,
            _when(run.created),
            cell(self.app, status, _STATUS_STYLE.get(status, "")),
            str(run.total),
        ]
        cells += [metric_text(m, _mean(run, m)) for m, _ in HEADLINE]
        return cells

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        if (
            event.data_table.id == "eval-runs"
            and key is not None
            and event.cursor_row == event.data_table.cursor_row  # not a stale event
            and (self.current is None or self.current.run_id != key)
        ):
            self.load_run(str(key))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "eval-cases":
            self.action_open_case()
        elif event.data_table.id == "eval-runs":
            self.query_one("#eval-cases", DataTable).focus()

    # one run ----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="eval-run", exit_on_error=False)
    def load_run(self, run_id: str) -> None:
        """Read one run with its cases (off the UI thread)."""
        try:
            run = self.engine.evals.get(run_id)
        except (RagtuiError, OSError) as exc:
            self.from_thread(self.notify, str(exc), severity="error")
            return
        self.from_thread(self._show_run, run)

    def _show_run(self, run: EvalRun) -> None:
        if self._highlighted() not in (None, run.run_id):
            return  # the user moved on while this run was read
        self.current = run
        self.query_one("#eval-summary", Static).update(summary_content(run))
        table = self.query_one("#eval-cases", DataTable)
        table.clear()
        for case in run.cases or []:
            values = case.get("metrics") or {}
            question = case["question"].replace("\n", " ")
            flags = [f for f in ("abstained", "fallback") if case.get(f)]
            table.add_row(
                case["case_id"],
                *(metric_text(m, values.get(m)) for m, _ in CASE_METRICS),
                Text.assemble(
                    cell(self.app, f"[{','.join(flags)}] ", "$warning") if flags else "", question
                ),
                key=case["case_id"],
            )
        table.border_title = f"Cases · {run.name}"
        table.border_subtitle = f"{table.row_count}/{run.total} · Enter opens"

    def _highlighted(self) -> str | None:
        table = self.query_one("#eval-runs", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return None if key is None else str(key)

    def action_open_case(self) -> None:
        """Read the highlighted case: question, expected and given answers, contexts,
        scores; t there opens its trace."""
        table = self.query_one("#eval-cases", DataTable)
        if self.current is None or not table.row_count:
            return
        index = table.cursor_row
        cases = self.current.cases or []
        if 0 <= index < len(cases):
            self.app.push_screen(CaseScreen(self.current.name, cases[index]))

    # compare ----------------------------------------------------------------------------
    def action_mark(self) -> None:
        """Mark the highlighted run for comparison (two at most)."""
        table = self.query_one("#eval-runs", DataTable)
        if not self.runs:
            return
        run_id = self.runs[table.cursor_row].run_id
        if run_id in self.marked:
            self.marked.remove(run_id)
        else:
            self.marked = [*self.marked, run_id][-2:]
        for run in self.runs:
            table.update_cell(
                run.run_id,
                "mark",
                cell(self.app, "●", "bold $accent") if run.run_id in self.marked else "",
            )

    def action_compare(self) -> None:
        """Compare the two marked runs (older as the baseline), or the highlighted run
        against the run before it."""
        ids = [r.run_id for r in self.runs]
        if len(self.marked) == 2:
            a, b = sorted(self.marked, key=lambda r: -ids.index(r))
        else:
            row = self.query_one("#eval-runs", DataTable).cursor_row
            if row + 1 >= len(ids):
                self.notify(
                    "Mark two runs with space to compare them (or highlight a run "
                    "that has an older one).",
                    severity="warning",
                )
                return
            a, b = ids[row + 1], ids[row]
        self.compare(a, b)

    @work(thread=True, exclusive=True, group="eval-compare", exit_on_error=False)
    def compare(self, a: str, b: str) -> None:
        """Compare run ``b`` against run ``a`` (off the UI thread)."""
        try:
            report = self.engine.evals.compare(a, b)
        except (RagtuiError, OSError) as exc:
            self.from_thread(self.notify, str(exc), severity="error")
            return
        self.from_thread(self.app.push_screen, CompareScreen(report))

    # a new run --------------------------------------------------------------------------
    def action_new_run(self) -> None:
        """Run a JSONL dataset through the pipeline and score it."""
        if self.running:
            self.notify("An eval run is already going: Esc cancels it.", severity="warning")
            return
        self.app.push_screen(RunDialog(self.last_dataset), self._start_run)

    def _start_run(self, options: dict[str, Any] | None) -> None:
        if not options:
            return
        self.last_dataset = options["dataset"]
        self.start_run(Path(options.pop("dataset")).expanduser(), **options)

    def start_run(
        self,
        dataset: Path,
        *,
        name: str | None = None,
        limit: int | None = None,
        retrieval_only: bool = False,
        judge: bool = True,
    ) -> None:
        """Start a run in a worker thread; progress shows under the runs, Esc cancels."""
        self.running = True
        self._cancel = threading.Event()
        self.query_one("#eval-progress").display = True
        bar = self.query_one("#eval-bar", ProgressBar)
        bar.update(total=None, progress=0)
        self.query_one("#eval-progress-text", Static).update(
            f"{dataset.name}: preparing (a case corpus is indexed first) · Esc cancels"
        )
        self._run(dataset, name, limit, retrieval_only, judge, self._cancel)

    @work(thread=True, exclusive=True, group="eval-new", exit_on_error=False)
    def _run(
        self,
        dataset: Path,
        name: str | None,
        limit: int | None,
        retrieval_only: bool,
        judge: bool,
        cancel: threading.Event,
    ) -> None:
        def progress(done: int, total: int, case_id: str) -> None:
            self.from_thread(self._progress, done, total, case_id)

        try:
            result = self.engine.evals.run(
                dataset,
                name=name,
                limit=limit,
                retrieval_only=retrieval_only,
                judge=judge,
                cancel=cancel,
                progress=progress,
            )
        except (RagtuiError, OSError) as exc:
            self.from_thread(self._finished, None, None, str(exc))
            return
        self.from_thread(self._finished, result.run_id, result.name, result.status)

    def _progress(self, done: int, total: int, case_id: str) -> None:
        self.query_one("#eval-bar", ProgressBar).update(total=total, progress=done)
        self.query_one("#eval-progress-text", Static).update(
            f"{done}/{total} · {case_id} · Esc cancels"
        )

    def _finished(self, run_id: str | None, name: str | None, status: str) -> None:
        self.running = False
        self._cancel = None
        self.query_one("#eval-progress").display = False
        self._select = run_id
        if name is None:
            self.notify(status, severity="error", timeout=8)
        elif status == "complete":
            self.notify(f"Eval run {name} is complete.")
        else:
            self.notify(
                f"Eval run {name} was {status}: its finished cases are kept.", severity="warning"
            )
        self.load_runs()

    def action_cancel_run(self) -> None:
        """Stop the running eval after the cases in flight."""
        if self.running and self._cancel is not None:
            self._cancel.set()
            self.query_one("#eval-progress-text", Static).update(
                "cancelling after the cases in flight…"
            )
