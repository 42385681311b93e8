"""JSON Schemas (draft 2020-12) of every ``--json`` output of the CLI, one file per command.

They are the contract scripts can rely on: ``tests/cli/test_json_contracts.py`` checks the
real outputs against them, so a renamed, removed or retyped key fails there first.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

# command line → schema name
COMMANDS = {
    "folders": "folders",
    "index": "index",
    "search": "search",
    "ask": "ask",
    "ask --stream-json": "ask-stream",
    "doctor": "doctor",
    "stats": "stats",
    "traces list": "traces-list",
    "traces show": "trace",
    "traces last": "trace",
    "eval run": "eval-run",
    "eval list": "eval-list",
    "eval show": "eval-show",
    "eval compare": "eval-compare",
    "eval continuous status": "eval-continuous-status",
    "eval continuous run": "eval-continuous-run",
    "prompts list": "prompts-list",
    "prompts stats": "prompts-stats",
    "prompts compare": "eval-compare",
    "models list": "models-list",
    "bench": "bench",
    "serve --status": "serve-status",
}


def names() -> list[str]:
    """Every schema shipped, by name (``ask``, ``traces-list`` …)."""
    files = resources.files(__name__).iterdir()
    return sorted(f.name.removesuffix(".json") for f in files if f.name.endswith(".json"))


def load(name: str) -> dict[str, Any]:
    """The schema ``name`` (see :func:`names`)."""
    text = resources.files(__name__).joinpath(f"{name}.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
