"""The ``ragtui`` command line: a thin shell over :class:`ragtui.core.engine.Engine`.

:mod:`ragtui.cli.root` assembles the typer app; each command group has its own module.
"""

from ragtui.cli.root import app, main

__all__ = ["app", "main"]
