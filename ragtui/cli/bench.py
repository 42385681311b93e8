"""``ragtui bench``: embedding, indexing, search and answer figures on this machine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ragtui.cli.common import JsonOpt, _engine, _fail, _print_json, echo


def bench(
    corpus: Annotated[
        Path | None,
        typer.Option("--corpus", help="Folder to measure on (default: first registered folder)."),
    ] = None,
    files: Annotated[int, typer.Option("--files", help="Use at most N files of it.")] = 300,
    questions: Annotated[
        Path | None,
        typer.Option("--questions", help="JSONL of questions for the answer figures."),
    ] = None,
    llm: Annotated[bool, typer.Option("--llm/--no-llm", help="Measure answering too.")] = True,
    rounds: Annotated[
        int, typer.Option("--rounds", help="Answer rounds with tracing on and off.")
    ] = 2,
    traces: Annotated[
        int,
        typer.Option(
            "--traces", min=0, help="Stored traces for the traces list/stats timing (0: skip)."
        ),
    ] = 10_000,
    as_json: JsonOpt = False,
) -> None:
    """Measure embedding, indexing, search and answering on this machine."""
    from ragtui import paths as ragtui_paths
    from ragtui.core.bench import pick_corpus, run_bench, run_llm_bench, run_trace_store_bench

    with _engine() as engine:
        root = corpus or (Path(engine.folders()[0]) if engine.folders() else None)
        if root is None or not root.is_dir():
            _fail("Nothing to measure: give --corpus DIR or register a folder with `ragtui add`.")
            return
        sample = pick_corpus(root.expanduser().resolve(), files, engine.settings)
        if not sample.files:
            _fail(f"No readable documents under {root}: pick a folder with documents.")
        scratch = ragtui_paths.data_dir() / "bench-scratch"
        figures = run_bench(engine.settings, sample, scratch, keep=True)
        asked = _questions(questions) if questions else figures.pop("sample_questions")
        from ragtui.core.engine import Engine

        bench_engine = Engine(engine.settings, scratch / "data")
        try:
            if llm:
                figures |= run_llm_bench(bench_engine, asked, rounds)
            if traces:
                figures |= run_trace_store_bench(bench_engine, scratch, traces)
        finally:
            bench_engine.close()
            import shutil

            shutil.rmtree(scratch, ignore_errors=True)
        figures.pop("sample_questions", None)
    if as_json:
        _print_json(figures)
        return
    for key, value in figures.items():
        echo(f"{key:<26} {value}")


def _questions(path: Path) -> list[str]:
    """Answerable questions from a JSONL file (``question`` and optional ``answerable``)."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [r["question"] for r in rows if r.get("answerable", True)]
