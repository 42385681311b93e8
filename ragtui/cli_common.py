"""Helpers the command modules share (kept out of ``cli.py`` so they import it not)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn

import typer

from ragtui.config import ConfigError, load_settings
from ragtui.core.engine import Engine, create_engine
from ragtui.core.errors import RagtuiError

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def fail(message: str) -> NoReturn:
    """Print one red sentence on stderr and exit 1."""
    typer.secho(f"ragtui: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(1)


def print_json(data: object) -> None:
    """One JSON object on stdout."""
    typer.echo(json.dumps(data, ensure_ascii=False))


@contextmanager
def engine() -> Iterator[Engine]:
    """The Engine from the shared factory; user errors become one line and exit 1."""
    built: Engine | None = None
    try:
        built = create_engine(load_settings())
        yield built
    except (RagtuiError, ConfigError) as exc:
        fail(str(exc))
    finally:
        if built is not None:
            built.close()
