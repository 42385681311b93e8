"""The Traces screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from ragtui.tui.app import MainScreen


class TracesScreen(MainScreen):
    """Traces."""

    TITLE_TEXT = "Traces"
    MODE = "traces"

    def body(self) -> ComposeResult:
        yield Static("Traces")
