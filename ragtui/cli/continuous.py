"""``ragtui eval continuous …``: whether a continuous eval run is due and why, and a run now."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import typer

from ragtui.cli.common import JsonOpt, _cancel_on_interrupt, _engine, _print_json, echo
from ragtui.cli.evals import _case_progress

if TYPE_CHECKING:
    from ragtui.core.reports import ContinuousRun

_HEADLINE = ("ndcg@10", "faithfulness_embedding", "citation_precision", "latency_ms")


def status(as_json: JsonOpt = False) -> None:
    """Whether a continuous run is due and why, the kept eval set and the last runs."""
    with _engine() as engine:
        report = engine.continuous.status()
    if as_json:
        _print_json(report.as_json())
        return
    state = "on" if report.enabled else "off (eval.continuous = false)"
    echo(
        f"continuous evaluation {state} · {report.cases} cases · after "
        f"{report.idle_s:g} s without a question · new set at {report.change_share:.0%} "
        "of files changed"
    )
    echo(f"{'due' if report.due else 'not due'}: {report.reason}")
    found = report.eval_set
    if found is None:
        echo("eval set: none yet")
    else:
        echo(f"eval set: set@{found['version']}, {found['cases']} cases ({found['path']})")
    for run in report.runs[:10]:
        echo(_line(run))


def run(as_json: JsonOpt = False) -> None:
    """Run now if one is due (Ctrl-C stops it; the next run resumes it where it stopped)."""
    with (
        _engine() as engine,
        _cancel_on_interrupt() as cancel,
        _case_progress(not as_json) as progress,
    ):
        outcome = engine.continuous.run(cancel, idle_s=0.0, progress=progress)
    if as_json:
        _print_json(outcome.as_json())
        return
    if outcome.run_id is None:
        echo(f"{outcome.status}: {outcome.reason}")
        return
    echo(f"run {outcome.run_id} ({outcome.name}): {outcome.status} · {outcome.reason}")
    for name in _HEADLINE:
        if name in outcome.metrics:
            echo(f"  {name:<24}{outcome.metrics[name]:>10.4f}")
    if outcome.status == "interrupted":
        echo("`ragtui eval continuous run` resumes it.")


def _line(run: ContinuousRun) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(run.created))
    head = " ".join(f"{k}={run.metrics[k]:.3f}" for k in _HEADLINE[:3] if k in run.metrics)
    return (
        f"  {when}  {run.name:<36} {run.status:<11} {run.done}/{run.total}  {head}  ({run.reason})"
    )


continuous_app = typer.Typer(
    help="Continuous evaluation on a kept set drawn from your own index.",
    no_args_is_help=True,
)
continuous_app.command("status")(status)
continuous_app.command("run")(run)
