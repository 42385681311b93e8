"""``ragtui index`` and ``ragtui watch``: bring the index in line with the folders."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ragtui.cli.common import (
    JsonOpt,
    _cancel_on_interrupt,
    _engine,
    _fail,
    _print_json,
    _progress,
    echo,
)

if TYPE_CHECKING:
    from ragtui.core.index.indexer import IndexReport


def _report_json(report: IndexReport) -> dict[str, object]:
    return {
        "added": report.added,
        "updated": report.updated,
        "removed": report.removed,
        "unchanged": report.unchanged,
        "skipped": report.skipped,
        "failed": report.failed,
        "chunks": report.chunks,
        "embedded": report.embedded,
        "seconds": round(report.seconds, 3),
        "embedded_fraction": round(report.embedded_fraction, 4),
        "cancelled": report.cancelled,
        "errors": [{"path": p, "error": e} for p, e in report.errors],
        "skips": [{"path": p, "reason": r} for p, r in report.skips],
        "warnings": report.warnings,
    }


def _print_report(report: IndexReport) -> None:
    echo(
        f"added {report.added} · updated {report.updated} · removed {report.removed} · "
        f"unchanged {report.unchanged} · skipped {report.skipped} · failed {report.failed}"
    )
    echo(
        f"chunks {report.chunks} new, {report.embedded} embedded · "
        f"{report.embedded_fraction:.0%} of the index has vectors · {report.seconds:.2f} s"
    )
    for _path, error in report.errors[:20]:
        echo(f"  failed: {error}", fg=typer.colors.YELLOW, err=True)
    if len(report.errors) > 20:
        echo(f"  … and {len(report.errors) - 20} more failures", err=True)
    for path, reason in report.skips[:20]:
        echo(f"  skipped {path}: {reason}", err=True)
    if len(report.skips) > 20:
        echo(f"  … and {len(report.skips) - 20} more skipped", err=True)
    for warning in report.warnings:
        echo(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)
    if report.cancelled:
        echo("Stopped early; run `ragtui index` again to continue where it stopped.")


def index(
    paths: Annotated[list[Path] | None, typer.Argument(help="Only these paths.")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Re-read and re-embed all.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Sync registered folders (or PATHS) into the index."""
    with _engine() as engine:
        if not paths and not engine.folders():
            _fail("No folders registered: run `ragtui add PATH` first, or give PATH here.")
        with (
            _progress(not as_json, lines=True, as_json=as_json) as progress,
            _cancel_on_interrupt() as cancel,
        ):
            report = engine.index(paths, rebuild=rebuild, cancel=cancel, progress=progress)
        if as_json:
            _print_json(_report_json(report))
        else:
            _print_report(report)


def watch(
    debounce: Annotated[
        float, typer.Option("--debounce", help="Quiet seconds before a batch.")
    ] = 0.3,
) -> None:
    """Reconcile registered folders with the disk, then follow their changes until Ctrl-C."""
    from ragtui.core.watch import Watcher, WatchStatus

    with _engine() as engine:
        if not engine.folders():
            _fail("No folders registered: run `ragtui add PATH` first.")
        live = sys.stderr.isatty()
        shown: set[str] = set()

        def status(st: WatchStatus) -> None:
            for message in st.messages:
                if message not in shown:
                    shown.add(message)
                    echo(("\n" if live else "") + message, fg=typer.colors.YELLOW, err=True)
            last = st.last_report
            line = (
                f"{st.state:<11} {st.folders} folders · {st.batches} batches · "
                f"{st.files_changed} files changed · {st.pending} pending"
                + (f" · last batch {last.seconds:.2f} s" if last is not None else "")
            )
            if live:
                typer.echo("\r\033[K", nl=False, err=True)  # noqa: TID251 - our own line reset
                echo(line, nl=False, err=True)
            elif st.state in ("watching", "stopped"):
                echo(line, err=True)

        with _cancel_on_interrupt() as cancel:
            Watcher(engine, debounce_s=debounce, on_status=status).run(cancel)
        if live:
            echo("", err=True)
