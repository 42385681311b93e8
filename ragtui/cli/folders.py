"""``ragtui add``, ``ragtui folders`` and ``ragtui remove``: the registered folders."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ragtui.cli.common import JsonOpt, _engine, _print_json, echo


def add(paths: Annotated[list[Path], typer.Argument(help="Folders to register.")]) -> None:
    """Register folders to index."""
    with _engine() as engine:
        for path in paths:
            folder, new = engine.add_folder(path)
            echo(f"{'added' if new else 'already registered'}: {folder}")
        echo("Run `ragtui index` to index them.")


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


def remove(path: Annotated[Path, typer.Argument(help="A registered folder.")]) -> None:
    """Unregister a folder and drop its files from the index."""
    with _engine() as engine:
        report = engine.remove_folder(path)
        echo(f"removed {path} ({report.removed} files dropped from the index)")
