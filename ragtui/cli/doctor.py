"""``ragtui doctor``: repair what a crash left and check the machine, models and index."""

from __future__ import annotations

from typing import Annotated

import typer

from ragtui.cli.common import JsonOpt, echo, print_json

_MARKS = {
    "ok": ("ok  ", typer.colors.GREEN),
    "warn": ("warn", typer.colors.YELLOW),
    "fail": ("FAIL", typer.colors.RED),
}


def doctor(
    as_json: JsonOpt = False,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Mend damaged stores: salvage the catalog, rebuild the indexes, "
            "recreate caches, set a damaged trace store aside.",
        ),
    ] = False,
) -> None:
    """Check Python, the CPU and the llama.cpp build, the models, the data dir, inotify
    limits, that every store reads and that the catalog and both indexes agree (repairing
    what a crash left)."""
    from ragtui.core import system_checks

    report = system_checks.report(repair=repair)
    if as_json:
        print_json(report.as_json())
    else:
        width = max(len(c.name) for c in report.checks)
        for check in report.checks:
            mark, colour = _MARKS[check.status]
            echo(mark, fg=colour, nl=False)
            echo(f" {check.name:<{width}}  {check.detail}")
            if check.fix and check.status != "ok":
                echo(f"     {'':<{width}}  fix: {check.fix}")
        problems = sum(c.status == "fail" for c in report.checks)
        warnings = sum(c.status == "warn" for c in report.checks)
        echo(f"{problems} failed, {warnings} warnings")
        echo(f"log: {report.log_file}")
    if not report.ok:
        raise typer.Exit(1)
