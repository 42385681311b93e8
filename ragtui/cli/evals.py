"""``ragtui eval …``: import datasets, run them, list, show and compare runs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ragtui.cli.common import (
    JsonOpt,
    ToleranceOpt,
    _cancel_on_interrupt,
    _engine,
    _fail,
    _print_json,
    _progress,
    echo,
    progress_bar,
    short_item,
)

if TYPE_CHECKING:
    from ragtui.core.reports import MetricSummary


def parse_sets(pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs as nested settings (``prompt=qa@2`` sets the answer prompt)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            _fail(f"--set {pair!r} is not KEY=VALUE: write it like retrieval.mode=bm25.")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        if key == "prompt":
            name, _, version = str(raw).partition("@")
            out.setdefault("answer", {})["prompt"] = name
            if version:
                out["answer"]["prompt_version"] = int(version)
            continue
        node = out
        *parents, leaf = key.strip().split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


@contextmanager
def _case_progress(enabled: bool) -> Iterator[Callable[[int, int, str], None] | None]:
    """The eval bar on a terminal (stderr): cases done of total and the current case."""
    import sys

    if not enabled or not sys.stderr.isatty():
        yield None
        return
    with progress_bar() as bar:
        task = bar.add_task("eval", total=None, item="")

        def update(done: int, total: int, case_id: str) -> None:
            bar.update(task, completed=done, total=total, item=short_item(case_id))

        yield update


def import_data(
    fmt: Annotated[str, typer.Argument(help="beir, squad or clapnq")],
    path: Annotated[Path, typer.Argument(help="The dataset (folder or file).")],
    out: Annotated[Path, typer.Option("--out", help="JSONL file to write.")],
    split: Annotated[str | None, typer.Option("--split", help="test, train, dev …")] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="At most N cases (seeded sample).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Sample seed.")] = 0,
) -> None:
    """Turn a BEIR folder, SQuAD v1.1 or CLAP NQ into an eval dataset (JSONL)."""
    from ragtui.core.errors import RagtuiError
    from ragtui.core.eval.importers import import_dataset

    try:
        written = import_dataset(fmt, path.expanduser(), out, split, limit, seed)
    except RagtuiError as exc:
        _fail(str(exc))
    echo(f"Wrote {written} cases to {out}.")


def run(
    dataset: Annotated[Path, typer.Argument(help="A JSONL dataset.")],
    name: Annotated[str | None, typer.Option("--name", help="Name the run.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N cases.")] = None,
    sets: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a setting for this run: KEY=VALUE (repeatable)."),
    ] = None,
    resume: Annotated[
        str | None, typer.Option("--resume", help="Continue an interrupted run (id or name).")
    ] = None,
    retrieval_only: Annotated[
        bool, typer.Option("--retrieval-only", help="Search only: retrieval metrics, no model.")
    ] = False,
    judge: Annotated[
        bool, typer.Option("--judge/--no-judge", help="Judge faithfulness with the model.")
    ] = True,
    workers: Annotated[int | None, typer.Option("--workers", help="Cases in flight.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run every case through the pipeline, score it and store the run."""
    overrides = parse_sets(sets or [])
    with (
        _engine(overrides) as engine,
        _cancel_on_interrupt() as cancel,
        _case_progress(not as_json) as progress,
    ):
        result = engine.evals.run(
            dataset,
            name=name,
            limit=limit,
            overrides=overrides,
            resume=resume,
            retrieval_only=retrieval_only,
            judge=judge,
            workers=workers,
            cancel=cancel,
            progress=progress,
        )
    if as_json:
        _print_json(result.as_json())
        return
    from ragtui.core.reports import MetricSummary

    echo(f"run {result.run_id} ({result.name}): {result.status}, {len(result.cases)} cases")
    _print_metrics({k: MetricSummary.model_validate(v) for k, v in result.metrics.items()})
    timing = result.timing
    echo(
        f"time {timing['wall_s']} s (pipeline {timing['pipeline_s']} s, judge "
        f"{timing['judge_s']} s, evaluation overhead {timing['overhead_share']})"
    )
    if timing["fallback_cases"]:
        echo(
            f"warning: the model failed on {timing['fallback_cases']} cases (extractive "
            "fallback); their answer metrics measure the fallback.",
            err=True,
            fg=typer.colors.YELLOW,
        )
    if result.status == "interrupted":
        echo(f"Resume with: ragtui eval run {dataset} --resume {result.run_id}")


def _print_metrics(figures: Mapping[str, MetricSummary]) -> None:
    from ragtui.core.eval.runner import COST, QUALITY

    for metric in QUALITY + COST:
        if metric in figures:
            m = figures[metric]
            echo(f"  {metric:<24}{m.mean:>10.4f}   95% [{m.ci95[0]:.4f}, {m.ci95[1]:.4f}]  n={m.n}")


def list_runs(as_json: JsonOpt = False) -> None:
    """Stored eval runs, newest first."""
    with _engine() as engine:
        runs = engine.evals.runs()
    if as_json:
        _print_json({"runs": [r.listed() for r in runs]})
        return
    if not runs:
        echo("No eval runs yet: `ragtui eval run DATASET` makes one.")
        return
    echo(f"{'RUN':<23}{'NAME':<28}{'STATUS':<12}{'CASES':>6}  HEADLINE")
    for r in runs:
        m = r.metrics
        head = " ".join(
            f"{k}={m[k].mean:.3f}"
            for k in ("ndcg@10", "token_f1", "faithfulness", "abstention_accuracy")
            if k in m
        )
        echo(f"{r.run_id:<23}{r.name[:27]:<28}{r.status:<12}{r.total:>6}  {head}")


def show(
    run_ref: Annotated[str, typer.Argument(help="Run id, id prefix or name.")],
    as_json: JsonOpt = False,
) -> None:
    """One run: its config, metrics and cases."""
    with _engine() as engine:
        found = engine.evals.get(run_ref)
    if as_json:
        _print_json(found.as_json())
        return
    echo(
        f"run {found.run_id} ({found.name}): {found.status}, "
        f"{len(found.cases or [])}/{found.total} cases"
    )
    echo(f"dataset {found.dataset}")
    config = found.config
    echo(
        f"models {json.dumps(config.get('models'))}; prompts "
        f"{json.dumps(config.get('prompts'))}; overrides {json.dumps(config['overrides'])}"
    )
    _print_metrics(found.metrics)


def compare_runs(
    a: Annotated[str, typer.Argument(help="Baseline run (id or name).")],
    b: Annotated[str, typer.Argument(help="Candidate run (id or name).")],
    fail_on_regression: Annotated[
        bool, typer.Option("--fail-on-regression", help="Exit 1 when a quality metric regresses.")
    ] = False,
    tolerance: ToleranceOpt = 0.02,
    as_json: JsonOpt = False,
) -> None:
    """Per-metric deltas of B against A with paired significance; a CI gate."""
    with _engine() as engine:
        report = engine.evals.compare(a, b, tolerance)
    if as_json:
        _print_json(report.as_json())
    else:
        echo(f"{report.a.name} → {report.b.name} ({report.cases_compared} cases)")
        echo(f"  {'metric':<24}{'A':>9}{'B':>9}{'delta':>9}  95% CI            p")
        for row in report.metrics:
            flag = "  REGRESSION" if row.regression else ""
            echo(
                f"  {row.metric:<24}{row.a:>9.4f}{row.b:>9.4f}"
                f"{row.delta:>+9.4f}  [{row.ci95[0]:+.4f}, {row.ci95[1]:+.4f}]"
                f"  {row.p:.3f}{flag}"
            )
        for case in report.changed_cases:
            moved = ", ".join(f"{k} {v:+.3f}" for k, v in case.deltas.items())
            echo(f"  changed: {case.case_id}: {moved}")
    if fail_on_regression and report.regressions:
        if not as_json:
            echo(
                f"Regressed beyond {tolerance}: {', '.join(report.regressions)}.",
                err=True,
                fg=typer.colors.RED,
            )
        raise typer.Exit(1)


def generate(
    from_index: Annotated[int, typer.Option("--from-index", help="How many cases to write.")],
    out: Annotated[Path, typer.Option("--out", help="JSONL file to write.")] = Path(
        "generated.jsonl"
    ),
    seed: Annotated[int, typer.Option("--seed", help="Chunk sample seed.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Write eval cases from your own index: the local model asks a question per chunk."""
    with _engine() as engine:
        report = engine.evals.generate(from_index, out, seed)
    if as_json:
        _print_json(report.as_json())
        return
    dropped = ", ".join(f"{n} {why}" for why, n in report.dropped.items()) or "none"
    echo(f"Wrote {report.written} cases to {out} ({report.tried} tried; dropped: {dropped}).")


def adversarial(as_json: JsonOpt = False) -> None:
    """Ask questions over documents with planted prompt injections; defense rate per attack."""
    with _engine() as engine:
        report = engine.evals.adversarial()
    if as_json:
        _print_json(report.as_json())
        return
    echo(f"defense rate {report.defense_rate:.2f}")
    for attack, row in report.by_attack.items():
        echo(f"  {attack:<22}{row.defended}/{row.cases}  ({row.rate:.2f})")
    for case in report.cases:
        if not case.defended:
            echo(f"  not defended: {case.id}: {case.answer[:80]!r}")


def eval_beir(
    folder: Annotated[Path, typer.Argument(help="A BEIR folder (corpus, queries, qrels).")],
    split: Annotated[str, typer.Option("--split", help="qrels split.")] = "test",
    mode: Annotated[str, typer.Option("--mode", help="hybrid, dense or bm25.")] = "hybrid",
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N queries.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Index a BEIR dataset into its own index and report nDCG@10, Recall@100, MRR@10."""
    from ragtui import paths as ragtui_paths
    from ragtui.core.eval import beir

    if mode not in ("hybrid", "dense", "bm25"):
        _fail(f"Unknown mode {mode!r}: use hybrid, dense or bm25.")
    with _engine() as main_engine:
        dataset = beir.BeirDataset(folder.expanduser(), split)
        dataset.check()
        data_dir = beir.beir_data_dir(ragtui_paths.data_dir(), dataset, main_engine.settings)
        from ragtui.core.engine import Engine

        engine = Engine(main_engine.settings, data_dir)
        try:
            with _progress(not as_json) as progress:
                report = beir.index_corpus(engine, dataset, progress=progress)
                scores = beir.score(engine, dataset, mode, limit, progress)  # type: ignore[arg-type]
        finally:
            engine.close()
        if as_json:
            _print_json(scores.as_json() | {"index_seconds": round(report.seconds, 2)})
            return
        echo(f"{folder} · split {split} · mode {mode} · {scores.queries} queries")
        echo(f"nDCG@10    {scores.ndcg_at_10:.4f}")
        echo(f"Recall@100 {scores.recall_at_100:.4f}")
        echo(f"MRR@10     {scores.mrr_at_10:.4f}")
        echo(f"latency    p50 {scores.latency_ms_p50:.1f} ms · p95 {scores.latency_ms_p95:.1f} ms")


eval_app = typer.Typer(help="Measure retrieval and answer quality.", no_args_is_help=True)
_COMMANDS: dict[str, Callable[..., None]] = {
    "import": import_data,
    "run": run,
    "list": list_runs,
    "show": show,
    "compare": compare_runs,
    "adversarial": adversarial,
    "generate": generate,
    "beir": eval_beir,
}
for _name, _command in _COMMANDS.items():
    eval_app.command(_name)(_command)
