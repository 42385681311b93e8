"""``ragtui models``: list, import, verify, switch and pull models."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ragtui import paths
from ragtui.cli.common import JsonOpt, echo, engine, fail, print_json
from ragtui.core.errors import RagtuiError
from ragtui.units import format_bytes

if TYPE_CHECKING:
    from ragtui.core.models_admin import ImportResult

models_app = typer.Typer(
    help="List, import, verify, switch and pull models (all offline except pull).",
    no_args_is_help=True,
)


def _size(n: int | None) -> str:
    return "?" if n is None else format_bytes(n)


@models_app.command("list")
def list_models(as_json: JsonOpt = False) -> None:
    """What is configured, installed and in the catalogue: where each came from, size,
    verified or not, active."""
    with engine() as eng:
        rows = eng.models.listing()
    if as_json:
        print_json({"models": [r.as_json() for r in rows]})
        return
    for kind in ("embedding", "llm", "reranker"):
        echo(f"{kind}:", bold=True)
        for r in (r for r in rows if r.kind == kind):
            mark = "*" if r.active else " "
            if not r.installed:
                state = "not installed"
            elif r.origin == "bundled" and r.path is None:
                state = "assembled on first use"
            else:
                state = {True: "verified", False: "CORRUPTED", None: "unverified"}[r.verified]
            echo(f" {mark} {r.name:<32} {r.origin:<9} {_size(r.size):>9}  {state}")
            where = r.path if r.path else r.source
            echo(f"     {where}", dim=True)
    echo(
        "* active · `ragtui models use NAME` switches · `ragtui models pull NAME` "
        "downloads a catalogue model"
    )


@models_app.command("import")
def import_model(
    path: Annotated[Path, typer.Argument(help="A GGUF file or an ONNX model directory.")],
    name: Annotated[str | None, typer.Option("--name", help="Register it as NAME.")] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="embedding (default for a directory) or reranker.")
    ] = None,
    pooling: Annotated[
        str | None, typer.Option("--pooling", help="mean or cls (embedding models).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a model and copy it into the data dir: a GGUF must parse to its last tensor,
    an ONNX model must run in onnxruntime with its tokenizer."""
    if kind not in (None, "embedding", "reranker", "llm"):
        fail(f"Unknown kind {kind!r}: use embedding, reranker or llm.")
    if pooling not in (None, "mean", "cls"):
        fail(f"Unknown pooling {pooling!r}: use mean or cls.")
    with engine() as eng:
        try:
            result = eng.models.import_model(
                path,
                name=name,
                kind=kind,  # type: ignore[arg-type]
                pooling=pooling,
            )
        except RagtuiError as exc:
            fail(str(exc))
    _print_import(result, as_json)


def _print_import(result: ImportResult, as_json: bool) -> None:
    record = result.record
    if as_json:
        print_json(
            {
                "name": record.name,
                "kind": record.kind,
                "path": str(record.location()),
                "size": record.size,
                "already": result.already,
                "files": [
                    {"name": f.name, "size": f.size, "sha256": f.sha256} for f in record.files
                ],
                "sha256_from": record.sha256_from,
                "dim": record.dim,
                "pooling": record.pooling,
                "prompt_format": record.prompt_format,
                "notes": list(result.notes),
            }
        )
        return
    if result.already:
        echo(f"{record.name} is already imported at {record.location()}.")
        return
    echo(f"imported {record.kind} {record.name} ({_size(record.size)}) → {record.location()}")
    for note in result.notes:
        echo(f"note: {note}", fg=typer.colors.YELLOW, err=True)
    echo(f"`ragtui models use {record.name}` makes it active.")


@models_app.command("verify")
def verify(
    names: Annotated[list[str] | None, typer.Argument(help="Only these models.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Recompute the sha256 of every installed model file against models.toml or the value
    recorded at import; exit 1 if any model is corrupted."""
    with engine() as eng:
        try:
            results = eng.models.verify(names or None)
        except RagtuiError as exc:
            fail(str(exc))
    bad = [r for r in results if not r.ok]
    if as_json:
        print_json(
            {
                "ok": not bad,
                "models": [
                    {
                        "name": r.name,
                        "kind": r.kind,
                        "path": str(r.path) if r.path else None,
                        "files": r.files,
                        "ok": r.ok,
                        "problem": r.problem,
                        "note": r.note,
                    }
                    for r in results
                ],
            }
        )
    else:
        for r in results:
            if r.ok:
                note = f" ({r.note})" if r.note else ""
                echo(f"ok   {r.name}: {r.files} file{'s' if r.files != 1 else ''}{note}")
        for r in bad:
            echo(f"ragtui: {r.problem}", fg=typer.colors.RED, err=True)
        if not results:
            echo("No installed models to verify.")
    if bad:
        raise typer.Exit(1)


@models_app.command("use")
def use(
    name: Annotated[str, typer.Argument(help="A model name from `ragtui models list`.")],
) -> None:
    """Make NAME the active language or embedding model (rewrites config.toml, keeping the
    other keys)."""
    with engine() as eng:
        try:
            result = eng.models.use(name)
        except RagtuiError as exc:
            fail(str(exc))
    echo(f"{result.kind} model is now {result.name} (written to {result.config_file}).")
    for note in result.notes:
        echo(note)
    if result.reindex:
        echo(result.reindex, fg=typer.colors.YELLOW, bold=True)
    elif result.kind == "embedding":
        echo("New indexes will use it; `ragtui index --rebuild` re-embeds an existing one.")


@models_app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="An imported or pulled model.")]) -> None:
    """Delete an imported or pulled model (bundled defaults stay)."""
    with engine() as eng:
        try:
            record = eng.models.remove(name)
        except RagtuiError as exc:
            fail(str(exc))
    echo(f"removed {record.kind} {record.name} ({record.location()})")


@models_app.command("pull")
def pull(
    name: Annotated[str, typer.Argument(help="A catalogue model (`ragtui models list`).")],
    dest: Annotated[
        Path | None,
        typer.Option(
            "--dest",
            help="Download into DIR to carry to an air-gapped machine "
            "(default: install into the data dir).",
        ),
    ] = None,
    mirror: Annotated[
        str | None,
        typer.Option(
            "--mirror", help="A Hugging Face mirror URL (default: $HF_ENDPOINT or huggingface.co)."
        ),
    ] = None,
) -> None:
    """Download a catalogue model on a connected machine (the only command that uses the
    network)."""
    from ragtui.cli import pull as puller

    with engine() as eng:
        install = dest is None
        if install and any(
            r.name == name and r.installed and r.verified is not False and r.origin != "catalogue"
            for r in eng.models.listing()
        ):
            echo(f"{name} is already installed: `ragtui models verify {name}` checks it.")
            return
        folder = dest.expanduser() if dest else paths.models_dir() / "downloads"
        try:
            pulled = puller.pull(name, folder, mirror=mirror, progress=_progress())
            if install:
                result = eng.models.import_model(
                    pulled.path,
                    name=name,
                    kind=pulled.kind,  # type: ignore[arg-type]
                    origin="pulled",
                    source_label=pulled.urls[0],
                    move=True,
                )
        except RagtuiError as exc:
            fail(str(exc))
        finally:
            if sys.stderr.isatty():
                echo("", err=True)
    for local in pulled.unknown_sha:
        echo(
            f"note: models.toml has no sha256 for {local}; it downloaded as "
            f"{pulled.files[local]} — compare it with the source page.",
            fg=typer.colors.YELLOW,
            err=True,
        )
    if install:
        _print_import(result, as_json=False)
    else:
        echo(f"downloaded {name} → {pulled.path} (sha256s in {folder / 'SHA256SUMS'})")
        echo(
            f"Carry {folder} to the air-gapped machine, check it with "
            f"`sha256sum -c SHA256SUMS` there, then run `ragtui models import "
            f"{pulled.path.name}` in that folder."
        )


def _progress() -> Callable[[str, int, int | None], None] | None:
    """A one-line byte counter on a terminal (stderr), nothing otherwise."""
    if not sys.stderr.isatty():
        return None

    def show(label: str, done: int, total: int | None) -> None:
        share = f" ({done / total:.0%})" if total else ""
        echo(f"\r\033[K{label}: {_size(done)}{share}", nl=False, err=True)

    return show
