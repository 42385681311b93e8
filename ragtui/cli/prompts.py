"""``ragtui prompts …``: prompt versions, their rollout's live figures, an eval comparison,
and promoting a candidate to the default (or rolling that back)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ragtui.cli.common import JsonOpt, ToleranceOpt, _engine, _fail, _print_json, echo
from ragtui.config import Settings, load_settings
from ragtui.units import format_ms

if TYPE_CHECKING:
    from ragtui.core.reports import PromptChange, PromptStats

prompts_app = typer.Typer(
    help="Prompt versions: roll a candidate out, compare it, promote it.", no_args_is_help=True
)


@prompts_app.command("list")
def list_prompts(as_json: JsonOpt = False) -> None:
    """Answer prompt versions, bundled and your own, with the default and the candidates."""
    with _engine() as engine:
        rows = engine.prompts.listing()
    if as_json:
        _print_json({"prompts": [r.as_json() for r in rows]})
        return
    echo(f"{'PROMPT':<16}{'ORIGIN':<9}{'FORMAT':<12}ROLE")
    for r in rows:
        role = f"candidate {r.share:.0%}" if r.role == "candidate" and r.share else r.role
        echo(f"{r.prompt:<16}{r.origin:<9}{r.format:<12}{role}")


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _ms(value: float | None) -> str:
    return "–" if value is None else format_ms(value)


def _print_stats(report: PromptStats) -> None:
    echo(f"Live answers since {report.since} (cached ones count for answers and thumbs only)")
    echo(
        f"  {'PROMPT':<16}{'ROLE':<15}{'ANSWERS':>8}{'FAITHFUL':>10}{'ABSTAIN':>9}"
        f"{'P50':>9}{'P95':>9}{'UP':>5}{'DOWN':>6}"
    )
    for v in report.versions:
        role = f"candidate {v.share:.0%}" if v.role == "candidate" and v.share else v.role
        faithful = "–" if v.faithfulness_embedding is None else f"{v.faithfulness_embedding:.3f}"
        echo(
            f"  {v.prompt:<16}{role:<15}{v.answers:>8}{faithful:>10}"
            f"{_rate(v.abstention_rate):>9}{_ms(v.latency_ms.p50):>9}"
            f"{_ms(v.latency_ms.p95):>9}{v.thumbs_up:>5}{v.thumbs_down:>6}"
        )
    for c in report.comparisons:
        echo(f"\n{c.candidate} against {c.default} ({c.method})")
        if not c.metrics:
            echo("  not enough answers of both versions yet")
        for d in c.metrics:
            flag = "  REGRESSION" if d.regression else ""
            echo(
                f"  {d.metric:<24}{d.default:>10}{d.candidate:>10}{d.delta:>+10}"
                f"  [{d.ci95[0]:+}, {d.ci95[1]:+}]  p {d.p:.3f}"
                f"  n {d.n_default}/{d.n_candidate}{flag}"
            )
    echo(
        "\nCitation precision needs expected sources: `ragtui prompts compare VERSION "
        "--dataset FILE` measures it (paired, on an eval set)."
    )


@prompts_app.command("stats")
def stats(
    since: Annotated[str, typer.Option("--since", help="Window: 24h, 7d, all …")] = "7d",
    as_json: JsonOpt = False,
) -> None:
    """Per-version figures of live answers and each candidate against the default."""
    with _engine() as engine:
        report = engine.prompts.stats(since)
    if as_json:
        _print_json(report.as_json())
        return
    _print_stats(report)


def _arm(prompt_id: str) -> dict[str, Any]:
    """The answer settings that answer every question with ``prompt_id`` (no rollout)."""
    from ragtui.core import prompts
    from ragtui.core.errors import RagtuiError

    try:
        name, version = prompts.parse_id(prompt_id)
        prompts.resolve(name, version)
    except RagtuiError as exc:
        _fail(str(exc))
    return {"prompt": name, "prompt_version": version, "prompt_candidates": {}}


def _arm_settings(arm: dict[str, Any]) -> Settings:
    """The configured settings with ``arm`` in place of the prompt and its rollout (set,
    not merged: a candidate rolling out in the config is compared as the only prompt)."""
    settings = load_settings()
    return settings.model_copy(update={"answer": settings.answer.model_copy(update=arm)})


@prompts_app.command("compare")
def compare(
    candidate: Annotated[str, typer.Argument(help="The candidate version, like qa@2.")],
    dataset: Annotated[Path, typer.Option("--dataset", help="A JSONL eval dataset.")],
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N cases.")] = None,
    judge: Annotated[
        bool, typer.Option("--judge/--no-judge", help="Judge faithfulness with the model.")
    ] = True,
    tolerance: ToleranceOpt = 0.02,
    as_json: JsonOpt = False,
) -> None:
    """Run one eval set with the default and with CANDIDATE, then `eval compare` them."""
    from ragtui.cli.evals import compare_runs

    with _engine() as engine:
        default = engine.prompts.default
    arms = {prompt_id: _arm(prompt_id) for prompt_id in (default, candidate)}  # checked first
    if len(arms) == 1:
        _fail(f"{default} is the default prompt: compare another version with it.")
    run_ids = []
    for prompt_id, overrides in arms.items():
        if not as_json:
            echo(f"Running {dataset} with {prompt_id}…")
        with _engine(settings=_arm_settings(overrides)) as engine:
            result = engine.evals.run(
                dataset,
                name=f"prompts compare {prompt_id}",
                limit=limit,
                overrides={"answer": overrides},
                judge=judge,
            )
        if result.status != "complete":
            _fail(f"The eval run with {prompt_id} ended {result.status}: compare stopped.")
        run_ids.append(result.run_id)
    compare_runs(
        run_ids[0], run_ids[1], fail_on_regression=False, tolerance=tolerance, as_json=as_json
    )


def _print_change(change: PromptChange, verb: str) -> None:
    left = ", ".join(f"{p} {s:.0%}" for p, s in change.candidates.items()) or "none"
    echo(f"{verb}: {change.default} is the default prompt (was {change.previous}).")
    echo(f"Candidates now: {left}. Written to {change.config}.")


@prompts_app.command("promote")
def promote(
    candidate: Annotated[str, typer.Argument(help="The version to make the default, like qa@2.")],
) -> None:
    """Make CANDIDATE the default prompt (`ragtui prompts rollback` undoes it)."""
    with _engine() as engine:
        change = engine.prompts.promote(candidate)
    _print_change(change, "Promoted")


@prompts_app.command("rollback")
def rollback() -> None:
    """Restore the default prompt and candidates of before the last promotion."""
    with _engine() as engine:
        change = engine.prompts.rollback()
    _print_change(change, "Rolled back")
