"""The ``ragtui`` command line: a thin shell over :class:`ragtui.core.engine.Engine`.

:mod:`ragtui.cli.root` assembles the typer app; each command group has its own module.
:func:`main` first offers the command to a running ``ragtui serve`` (loading only the
light client for that), and builds the app only when it runs the command itself.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["app", "main"]


def main() -> None:
    """Entry point: the running service answers if it can, else this process does."""
    from ragtui.service.client import run_served

    status = run_served(sys.argv[1:])
    if status is not None:
        raise SystemExit(status)
    from ragtui.cli.root import main as run_here

    run_here()


def __getattr__(name: str) -> Any:
    if name == "app":
        from ragtui.cli.root import app

        return app
    raise AttributeError(name)
