"""The root command: global options, the bare command (the app) and every group."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from ragtui import __version__, logs
from ragtui.cli.ask import ask
from ragtui.cli.bench import bench
from ragtui.cli.common import _engine, echo, exit_if_disk_full
from ragtui.cli.continuous import continuous_app
from ragtui.cli.doctor import doctor
from ragtui.cli.evals import eval_app
from ragtui.cli.folders import add, folders, remove
from ragtui.cli.help import help_topic
from ragtui.cli.index import index, watch
from ragtui.cli.models import models_app
from ragtui.cli.prompts import prompts_app
from ragtui.cli.search import search
from ragtui.cli.serve import serve
from ragtui.cli.serve_mcp import mcp
from ragtui.cli.traces import feedback, stats, traces_app


class _RootGroup(TyperGroup):
    """The root command; it notes which command runs (names only) for the log."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        ctx.meta["ragtui.command"] = command_path(ctx, self, args)
        return super().resolve_command(ctx, args)


def command_path(ctx: Any, group: Any, args: list[str]) -> str:
    """The command names at the head of ``args`` (``eval run``): never an argument.

    (Typed ``Any``: typer 0.29 vendors click, older versions use click itself.)
    """
    names: list[str] = []
    command = group
    for token in args:
        lookup = getattr(command, "get_command", None)
        found = lookup(ctx, token) if lookup is not None else None
        if found is None:
            break
        names.append(token)
        command = found
    return " ".join(names)


app = typer.Typer(
    name="ragtui",
    cls=_RootGroup,
    help="Private, offline answers from your own documents.",
    no_args_is_help=False,
    invoke_without_command=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)
eval_app.add_typer(continuous_app, name="continuous")
app.add_typer(eval_app, name="eval")
app.add_typer(traces_app, name="traces")
app.command()(stats)
app.command()(feedback)
app.add_typer(models_app, name="models")
app.add_typer(prompts_app, name="prompts")
app.command("help")(help_topic)
for _command in (add, folders, remove, index, watch, doctor, search, ask, bench, mcp, serve):
    app.command()(_command)


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
    else:
        logs.start(
            ctx.meta.get("ragtui.command") or ctx.invoked_subcommand, warnings_to_stderr=True
        )


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


def main() -> None:
    """Entry point; a full disk ends in one sentence wherever it is hit."""
    try:
        app()
    except (OSError, sqlite3.OperationalError) as exc:
        exit_if_disk_full(exc)
        raise
