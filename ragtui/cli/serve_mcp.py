"""``ragtui mcp``: serve the index to editors and agents over the Model Context Protocol."""

from __future__ import annotations

from typing import Annotated

import typer

from ragtui import logs
from ragtui.cli.common import _engine


def mcp(
    http: Annotated[
        bool,
        typer.Option("--http", help="Serve streamable HTTP on 127.0.0.1 instead of stdio."),
    ] = False,
    port: Annotated[
        int | None,
        typer.Option("--port", help="Port for --http (default: mcp.port).", min=1, max=65535),
    ] = None,
) -> None:
    """Serve search, answers and sources to MCP clients (editors, agents).

    Over stdio (the default) the client starts `ragtui mcp` itself; stdout carries only the
    protocol. Read-only unless mcp.allow_changes is set in config.toml, which adds the
    add_folder tool. With --http it listens on 127.0.0.1 only, at /mcp, until Ctrl-C.
    """
    from ragtui.mcp_server import serve

    with _engine() as engine:
        # the SDK prints warnings on stderr itself; ragtui's records still reach the log file
        logs.configure(warnings_to_stderr=False)
        serve(engine, http=http, port=port)
