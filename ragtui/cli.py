"""The ``ragtui`` command line: a thin shell over :class:`ragtui.core.engine.Engine`."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ragtui import __version__
from ragtui.cli_common import (
    JsonOpt,
    _cancel_on_interrupt,
    _engine,
    _fail,
    _print_json,
    _progress,
    echo,
    exit_if_disk_full,
)
from ragtui.cli_doctor import doctor
from ragtui.cli_eval import EVAL_COMMANDS
from ragtui.cli_help import help_topic
from ragtui.cli_models import models_app
from ragtui.cli_traces import stats, traces_app

if TYPE_CHECKING:
    from ragtui.core.index.indexer import IndexReport
    from ragtui.core.models import Citation

app = typer.Typer(
    name="ragtui", help="Private, offline answers from your own documents.",
    no_args_is_help=False, invoke_without_command=True, add_completion=True,
    pretty_exceptions_enable=False,
)
eval_app = typer.Typer(help="Measure retrieval and answer quality.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
for _name, _command in EVAL_COMMANDS.items():
    eval_app.command(_name)(_command)
app.add_typer(traces_app, name="traces")
app.command()(stats)
app.add_typer(models_app, name="models")
app.command("help")(help_topic)


def _version(value: bool) -> None:
    if value:
        echo(f"ragtui {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option("--home", help="Keep all data and config under DIR (as RAGTUI_HOME)."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """Private, offline answers from your own documents. With no command: the terminal app."""
    from ragtui.core.privacy import private_umask

    private_umask()  # config, data, logs and exports: readable by this user only
    if home is not None:
        os.environ["RAGTUI_HOME"] = str(home.expanduser().resolve())
    if ctx.invoked_subcommand is None:
        _run_tui()


def _run_tui() -> None:
    """Open the terminal app over the configured data dir."""
    from ragtui.tui.app import create_app

    with _engine() as engine:
        tui = create_app(engine)
        try:
            tui.run()
        finally:
            tui.shutdown_background()
    if tui.return_code:
        raise typer.Exit(tui.return_code)


# folders -----------------------------------------------------------------------
@app.command()
def add(paths: Annotated[list[Path], typer.Argument(help="Folders to register.")]) -> None:
    """Register folders to index."""
    with _engine() as engine:
        for path in paths:
            folder, new = engine.add_folder(path)
            echo(f"{'added' if new else 'already registered'}: {folder}")
        echo("Run `ragtui index` to index them.")


@app.command()
def folders(as_json: JsonOpt = False) -> None:
    """List registered folders."""
    with _engine() as engine:
        registered = engine.folders()
        if as_json:
            _print_json({"folders": registered})
        elif not registered:
            echo("No folders registered: `ragtui add PATH` adds one.")
        else:
            echo("\n".join(registered))


@app.command()
def remove(path: Annotated[Path, typer.Argument(help="A registered folder.")]) -> None:
    """Unregister a folder and drop its files from the index."""
    with _engine() as engine:
        report = engine.remove_folder(path)
        echo(f"removed {path} ({report.removed} files dropped from the index)")


# indexing ----------------------------------------------------------------------
def _report_json(report: IndexReport) -> dict[str, object]:
    return {
        "added": report.added, "updated": report.updated, "removed": report.removed,
        "unchanged": report.unchanged, "skipped": report.skipped, "failed": report.failed,
        "chunks": report.chunks, "embedded": report.embedded,
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


@app.command()
def index(
    paths: Annotated[list[Path] | None, typer.Argument(help="Only these paths.")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Re-read and re-embed all.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Sync registered folders (or PATHS) into the index."""
    with _engine() as engine:
        if not paths and not engine.folders():
            _fail("No folders registered: run `ragtui add PATH` first, or give PATH here.")
        with _progress(not as_json, lines=True, as_json=as_json) as progress, \
                _cancel_on_interrupt() as cancel:
            report = engine.index(paths, rebuild=rebuild, cancel=cancel, progress=progress)
        if as_json:
            _print_json(_report_json(report))
        else:
            _print_report(report)


@app.command()
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


app.command()(doctor)  # ragtui/cli_doctor.py


# search ------------------------------------------------------------------------
@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int | None, typer.Option("-k", help="Number of hits.")] = None,
    mode: Annotated[str | None, typer.Option("--mode", help="hybrid, dense or bm25.")] = None,
    path: Annotated[
        str | None, typer.Option("--path", help="Only paths matching this glob.")
    ] = None,
    file_type: Annotated[
        list[str] | None, typer.Option("--type", help="Only these file types (md, pdf, …).")
    ] = None,
    mmr: Annotated[bool, typer.Option("--mmr", help="Diversify hits (MMR).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Search the index."""
    if mode not in (None, "hybrid", "dense", "bm25"):
        _fail(f"Unknown mode {mode!r}: use hybrid, dense or bm25.")
    with _engine() as engine:
        result = engine.search(
            query, k=k, mode=mode, path_glob=path,  # type: ignore[arg-type]
            file_types=file_type or (), diversify=mmr or None,
        )
        if as_json:
            _print_json({
                "hits": [
                    {"chunk_id": h.chunk_id, "path": h.path, "location": h.location.label(),
                     "score": round(h.score, 6), "snippet": h.snippet,
                     "scores": h.scores, "also_at": list(h.also_at)}
                    for h in result.hits
                ],
                "embedded_fraction": round(result.embedded_fraction, 4),
                "mode": result.mode,
                "timings_ms": {k: round(v, 2) for k, v in result.timings_ms.items()},
            })
            return
        if not result.hits:
            empty = not engine.stats.counts()["chunks"]
            echo("Nothing is indexed yet: run `ragtui add PATH` and `ragtui index` first."
                       if empty else "No matches.")
        for n, hit in enumerate(result.hits, 1):
            where = f" · {hit.location.label()}" if hit.location.label() else ""
            echo(f"{n:>2}. {hit.path}{where}", bold=True)
            echo(f"    score {hit.score:.4f}  {hit.snippet}")
            if hit.also_at:
                echo(f"    also in {', '.join(hit.also_at)}", dim=True)
        if result.embedded_fraction < 1.0:
            echo(
                f"note: {result.embedded_fraction:.0%} of the index has vectors so far; "
                "`ragtui index` finishes embedding.", fg=typer.colors.YELLOW, err=True,
            )


# answers -----------------------------------------------------------------------
@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A question about your documents.")],
    k: Annotated[int | None, typer.Option("-k", help="Passages to retrieve.")] = None,
    model: Annotated[
        Path | None, typer.Option("--model", help="A GGUF file to answer with.")
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not reuse answers.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Answer a question from the indexed documents, with citations."""
    from ragtui.core.conversations import answer_labels

    overrides: dict[str, Any] = {}
    if model is not None:
        if not model.is_file():
            _fail(f"{model} is not a file: give the path of a GGUF model.")
        overrides = {"llm": {"model_path": model.expanduser().resolve()}}
    with _engine(overrides) as engine:
        streamed: list[str] = []

        def show(piece: str) -> None:
            if not streamed:
                piece = piece.lstrip()
            streamed.append(piece)
            if not as_json:
                echo(piece, nl=False)

        answer = engine.ask(question, k=k, use_cache=not no_cache, on_token=show)
    if as_json:
        def cited(citations: tuple[Citation, ...]) -> list[dict[str, Any]]:
            return [{"n": c.n, "path": c.path, "location": c.location.label(),
                     "snippet": c.snippet, "inferred": c.inferred, "also_at": list(c.also_at)}
                    for c in citations]

        _print_json({
            "answer": answer.answer,
            "citations": cited(answer.citations),
            "closest": cited(answer.closest),
            "cached": answer.cached, "fallback": answer.fallback, "abstained": answer.abstained,
            "refocused": answer.refocused, "quoted": answer.quoted,
            "evidence": [{"text": e.text, "path": e.path, "location": e.location.label(),
                          "score": e.score} for e in answer.evidence],
            "unsupported": list(answer.unsupported),
            "dropped_citations": answer.dropped_citations,
            "timings_ms": {key: round(v, 1) for key, v in answer.timings_ms.items()},
            "tokens": answer.tokens, "model": answer.model,
            "prompt_version": answer.prompt_version,
        })
        return
    if not streamed:
        echo(answer.answer, nl=False)
    elif answer.quoted:
        echo(f"\n{answer.error or 'the answer failed its checks'}; from the passages:",
             fg=typer.colors.YELLOW)
        echo(answer.answer, nl=False)
    elif answer.refocused:
        echo("\nre-checked against the passage that matches the question:",
                    fg=typer.colors.YELLOW)
        echo(answer.answer, nl=False)
    echo("")
    labels = answer_labels(answer)
    if labels:
        echo("[" + ", ".join(labels) + "]", fg=typer.colors.YELLOW)
    def where(c: Citation) -> str:
        return f"{c.path} · {c.location.label()}" if c.location.label() else c.path

    if answer.evidence and not answer.quoted:
        echo("evidence:", dim=True)
        for e in answer.evidence:
            place = f"{e.path} · {e.location.label()}" if e.location.label() else e.path
            echo(f"  “{e.text}” — {place}")
    for c in answer.citations:
        kind = " (inferred)" if c.inferred else ""
        echo(f"[{c.n}]{kind} {where(c)}", fg=typer.colors.CYAN)
        if c.also_at:
            echo(f"    also in {', '.join(c.also_at)}", dim=True)
    if answer.closest:
        echo("nearest passages (below answer.min_confidence, not used):",
                    fg=typer.colors.YELLOW)
    for c in answer.closest:
        echo(f"  {where(c)}", fg=typer.colors.CYAN)
    for sentence in answer.unsupported:
        echo(f"unsupported by the passages: {sentence}", fg=typer.colors.YELLOW, err=True)
    t = answer.timings_ms
    first = f"first token {t['ttft']:.0f} ms · " if t.get("ttft") else ""
    echo(
        f"{answer.model} · {answer.prompt_version} · retrieve {t['retrieve']:.0f} ms · "
        f"{first}total {t['total']:.0f} ms", dim=True, err=True,
    )


# evaluation --------------------------------------------------------------------
@eval_app.command("beir")
def eval_beir(
    folder: Annotated[Path, typer.Argument(help="A BEIR folder (corpus, queries, qrels).")],
    split: Annotated[str, typer.Option("--split", help="qrels split.")] = "test",
    mode: Annotated[str, typer.Option("--mode", help="hybrid, dense or bm25.")] = "hybrid",
    limit: Annotated[
        int | None, typer.Option("--limit", help="Only the first N queries.")
    ] = None,
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
        echo(
            f"latency    p50 {scores.latency_ms_p50:.1f} ms · p95 {scores.latency_ms_p95:.1f} ms"
        )


@app.command()
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
        int, typer.Option("--traces", min=0,
                          help="Stored traces for the traces list/stats timing (0: skip).")
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


def main() -> None:
    """Entry point; a full disk ends in one sentence wherever it is hit."""
    try:
        app()
    except (OSError, sqlite3.OperationalError) as exc:
        exit_if_disk_full(exc)
        raise
