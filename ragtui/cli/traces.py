"""``ragtui traces …`` and ``ragtui stats``: read the traces the core records."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ragtui.cli.common import JsonOpt, _engine, _fail, _print_json, echo
from ragtui.units import format_bytes, format_ms

if TYPE_CHECKING:
    from ragtui.core.reports import DriftFigures
    from ragtui.core.trace_store import SpanRecord, TraceRecord

traces_app = typer.Typer(help="Inspect, export and purge answer traces.", no_args_is_help=True)

_HIDDEN = ("retrieval.documents.", "openinference.span.kind")
_LONG = 60


def _local(start_ns: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(start_ns / 1e9))


@traces_app.command("list")
def list_traces(
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many, newest first.")] = 20,
    kind: Annotated[str | None, typer.Option("--kind", help="ask, search, index …")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Recent traces, newest first."""
    with _engine() as engine:
        found = engine.traces.recent(limit, kind)
    if as_json:
        _print_json(
            {"traces": [{k: v for k, v in t.as_json().items() if k != "spans"} for t in found]}
        )
        return
    if not found:
        echo("No traces yet: ask or search something first.")
        return
    echo(f"{'ID':<10}{'STARTED':<21}{'KIND':<8}{'DURATION':>10}  {'STATUS':<7}{'NOTE':<17}INPUT")
    for t in found:
        text = (t.summary.get("input") or "").replace("\n", " ")
        text = text if len(text) <= 48 else text[:47] + "…"
        echo(
            f"{t.trace_id[:8]:<10}{_local(t.start_ns):<21}{t.name:<8}"
            f"{format_ms(t.duration_ms):>10}  {t.status.lower():<7}{t.note():<17}{text}"
        )


def feedback(
    trace_id: Annotated[str, typer.Argument(help="The answer's trace id (or a unique prefix).")],
    rating: Annotated[str, typer.Argument(help="up or down")],
) -> None:
    """Rate an answer thumbs up or down (kept with its trace; `ragtui prompts stats`)."""
    if rating not in ("up", "down"):
        _fail(f"Rate an answer up or down, not {rating!r}.")
    with _engine() as engine:
        full = engine.traces.rate(trace_id, rating == "up")
    echo(f"Rated {full[:12]} {rating}.")


def _brief(key: str, value: Any) -> str | None:
    """A short ``key=value`` for the tree view, or None for what only --json shows."""
    if key.startswith(_HIDDEN) or key in ("ragtui.prompt.text", "llm.invocation_parameters"):
        return None
    short = key.removeprefix("ragtui.").removeprefix("llm.")
    if isinstance(value, list):
        return f"{short}=[{len(value)}]"
    if isinstance(value, float):
        return f"{short}={value:.4g}"
    text = str(value).replace("\n", " ")
    return f"{short}={text if len(text) <= _LONG else text[: _LONG - 1] + '…'}"


def _tree(trace: TraceRecord) -> list[str]:
    children: dict[str | None, list[SpanRecord]] = {}
    ids = {s.span_id for s in trace.spans}
    for span in trace.spans:
        parent = span.parent_id if span.parent_id in ids else None
        children.setdefault(parent, []).append(span)
    lines = [
        f"trace {trace.trace_id}  {trace.name}  {format_ms(trace.duration_ms)}  "
        f"{trace.status.lower()}  {_local(trace.start_ns)}"
    ]

    def walk(parent: str | None, lead: str) -> None:
        kids = children.get(parent, [])
        for i, span in enumerate(kids):
            last = i == len(kids) - 1
            branch = "└─ " if last else "├─ "
            attrs = [b for k, v in span.attributes.items() if (b := _brief(k, v))]
            status = "" if span.status != "ERROR" else "  ERROR"
            lines.append(
                f"{lead}{branch}{span.name}  {format_ms(span.duration_ms)}{status}"
                + (f"  {' '.join(attrs)}" if attrs else "")
            )
            walk(span.span_id, lead + ("   " if last else "│  "))

    walk(None, "")
    return lines


def _show(trace: TraceRecord, as_json: bool) -> None:
    if as_json:
        _print_json(trace.as_json())
        return
    for line in _tree(trace):
        echo(line)


@traces_app.command("show")
def show(
    trace_id: Annotated[str, typer.Argument(help="A trace id or a unique prefix of one.")],
    as_json: JsonOpt = False,
) -> None:
    """One trace as an indented span tree with durations and key attributes."""
    with _engine() as engine:
        trace = engine.traces.get(trace_id)
    _show(trace, as_json)


@traces_app.command("last")
def last(
    kind: Annotated[str | None, typer.Option("--kind", help="ask, search, index …")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The newest trace as a span tree."""
    with _engine() as engine:
        trace = engine.traces.last(kind)
    _show(trace, as_json)


@traces_app.command("export")
def export(
    destination: Annotated[Path, typer.Argument(help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", help="otlp-json")] = "otlp-json",
    since: Annotated[str, typer.Option("--since", help="24h, 7d … or all")] = "all",
    limit: Annotated[int | None, typer.Option("--limit", help="Newest N traces.")] = None,
) -> None:
    """Write traces as OTLP JSON, which Arize Phoenix or any OTLP collector accepts."""
    if fmt != "otlp-json":
        _fail(f"Unknown export format {fmt!r}: use --format otlp-json.")
    with _engine() as engine:
        written = engine.traces.export(destination, since=since, limit=limit)
    echo(f"Wrote {written} traces to {destination}.")


@traces_app.command("purge")
def purge(
    older_than: Annotated[
        str | None, typer.Option("--older-than", help="Only traces older than 7d, 12h …")
    ] = None,
) -> None:
    """Delete stored traces (all of them unless --older-than is given)."""
    with _engine() as engine:
        gone = engine.traces.purge(older_than)
    echo(f"Deleted {gone} traces.")


def _fmt(value: Any, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}{unit}"


def _size(value: float | None) -> str:
    return "–" if value is None else format_bytes(value)


def stats(
    since: Annotated[str, typer.Option("--since", help="24h, 7d, 30d or all")] = "24h",
    as_json: JsonOpt = False,
) -> None:
    """Latency per stage, tokens/s, cache hit rates, cost, energy and index size."""
    with _engine() as engine:
        figures = engine.stats.figures(since)
    if as_json:
        _print_json(figures.as_json())
        return
    answers, cache, cost = figures.answers, figures.cache, figures.cost
    echo(
        f"Since {since}: {figures.traces} traces "
        f"({', '.join(f'{n} {k}' for k, n in figures.by_kind.items()) or 'none'})"
    )
    echo("\nStage latency (ms)")
    for line in _columns(
        [["", "n", "p50", "p95", "p99"]]
        + [
            [name, f"{s.count:,}", _fmt(s.p50), _fmt(s.p95), _fmt(s.p99)]
            for name, s in figures.stages.items()
        ]
    ):
        echo("  " + line)
    echo(
        f"\nAnswers: {answers.count} ({answers.generated} generated)  "
        f"first token p50 {_fmt(answers.ttft_ms.p50, ' ms', 0)}  "
        f"prefill {_fmt(answers.prefill_tokens_per_s.p50, ' tok/s', 0)}  "
        f"decode {_fmt(answers.decode_tokens_per_s.p50, ' tok/s', 0)}"
    )
    echo(
        f"  abstained {_fmt(_pct(answers.abstention_rate), ' %')}  "
        f"fallback {_fmt(_pct(answers.fallback_rate), ' %')}  "
        f"errors {_fmt(_pct(answers.error_rate), ' %')}"
    )
    if answers.routes:
        echo("  routes: " + ", ".join(f"{name} {n}" for name, n in answers.routes.items()))
    if len(answers.prompts) > 1:
        echo("  prompts: " + ", ".join(f"{name} {n}" for name, n in answers.prompts.items()))
    echo(
        f"Cache: answers exact {_fmt(_pct(cache.answers.exact_hit_rate), ' %')}, "
        f"semantic {_fmt(_pct(cache.answers.semantic_hit_rate), ' %')}; "
        f"embeddings {_fmt(_pct(cache.embeddings.hit_rate), ' %')} "
        f"of {cache.embeddings.hits + cache.embeddings.misses:,}"
    )
    for day in figures.tokens_per_day[-7:]:  # --json has every day
        echo(
            f"  {day.day}: {day.prompt_tokens:,} prompt + {day.completion_tokens:,} "
            f"completion tokens, {day.answers} answers, ≈ ${_fmt(day.cost_usd, '', 4)}"
        )
    process, energy = figures.process, figures.energy
    echo(
        f"Process: CPU per answer p50 {_fmt(process.cpu_s_per_answer.p50, ' s', 2)}, "
        f"RSS p50 {_size(process.rss_bytes_p50)}, "
        f"now {_size(process.current.get('rss_bytes'))}"
    )
    echo(
        f"Energy: ≈ {_fmt(energy.wh_per_answer, ' Wh', 4)} per answer at "
        f"{energy.watts:g} W (stats.watts)"
    )
    echo(
        f"Cloud-equivalent ({cost.reference or 'no price'}): "
        f"${_fmt(cost.per_answer_usd, '', 5)} per answer, "
        f"today ${_fmt(cost.today_usd, '', 4)} of ${cost.daily_budget_usd:.2f} budget"
    )
    index = figures.index
    echo(
        f"Index: {index.files:,} files, {index.chunks:,} chunks, "
        f"{_size(index.bytes_on_disk)} on disk"
    )
    _drift(figures.drift)
    for warning in figures.warnings:
        echo(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)


def _drift(drift: DriftFigures) -> None:
    """The drift table (signals with enough observations) and its alerts."""
    if not drift.enabled:
        return
    tested = {name: s for name, s in drift.signals.items() if s.p_value is not None}
    echo(
        f"\nDrift (newest {drift.recent} against the {drift.baseline} before; "
        f"alert when adjusted p < {drift.alpha:g}): "
        + ("" if tested else "not enough questions yet")
    )
    if tested:
        rows = [["", "baseline", "recent", "p", "p adj.", ""]]
        for name, s in tested.items():
            rows.append(
                [
                    name,
                    _fmt(s.baseline_value, "", 3),
                    _fmt(s.recent_value, "", 3),
                    f"{s.p_value:.3g}",
                    f"{s.p_adjusted:.3g}",
                    "ALERT" if s.alert else "ok",
                ]
            )
        for line in _columns(rows):
            echo("  " + line)
    for alert in drift.alerts:
        echo(alert, fg=typer.colors.RED, err=True)


def _columns(rows: list[list[str]]) -> list[str]:
    """Rows as aligned text: the first column left, the others right, each as wide as its
    widest cell and two spaces apart (large figures never run into each other)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def _pct(rate: float | None) -> float | None:
    return None if rate is None else rate * 100
