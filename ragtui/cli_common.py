"""What every ``ragtui`` command shares: the Engine factory, errors as one line, JSON output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from ragtui.config import ConfigError, load_settings
from ragtui.core.errors import RagtuiError

if TYPE_CHECKING:
    from ragtui.core.engine import Engine

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _fail(message: str) -> NoReturn:
    typer.secho(f"ragtui: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(1)


@contextmanager
def _engine(overrides: dict[str, Any] | None = None) -> Iterator[Engine]:
    """Build the Engine through the shared factory; user errors become one line and exit 1."""
    from ragtui.core.engine import create_engine

    engine: Engine | None = None
    try:
        engine = create_engine(load_settings(**overrides) if overrides else None)
        yield engine
    except (RagtuiError, ConfigError) as exc:
        _fail(str(exc))
    finally:
        if engine is not None:
            engine.close()


def _print_json(data: object) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=None))
