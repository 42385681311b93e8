"""``ragtui help TOPIC``: man-page-like reference for config keys and commands."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ragtui.cli.common import fail


def help_topic(
    ctx: typer.Context,
    topic: Annotated[
        str | None,
        typer.Argument(help="config, a section (llm), a key (llm.n_ctx) or a command (ask)."),
    ] = None,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="The config reference as Markdown.")
    ] = False,
) -> None:
    """Reference for config.toml keys (type, default, description, env var) and commands."""
    if markdown:
        typer.echo(_docs().render_markdown(), nl=False)
        return
    if topic is None:
        typer.echo("ragtui help TOPIC\n\nTopics:")
        for name, summary in _docs().topics().items():
            typer.echo(f"  {name:<12} {summary}")
        typer.echo("  COMMAND      the help of any command (ask, index, models, doctor …)")
        return
    try:
        typer.echo(_docs().render_text(topic), nl=False)
        return
    except KeyError:
        pass
    root = ctx.find_root()
    lookup = getattr(root.command, "get_command", None)
    command = lookup(root, topic) if lookup is not None else None
    if command is None or topic == "help":
        known = ", ".join(_docs().topics())
        fail(f"No help topic {topic!r}: try {known}, a key such as llm.n_ctx, or a command name.")
    with type(ctx)(command, info_name=topic, parent=root) as sub:
        typer.echo(command.get_help(sub))


def _docs() -> Any:
    """The config reference generator (imported when help is asked for)."""
    from ragtui.cli import config_docs

    return config_docs
