"""The Stats screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from ragtui.tui.app import MainScreen


class StatsScreen(MainScreen):
    """Stats."""

    TITLE_TEXT = "Stats"
    MODE = "stats"

    def body(self) -> ComposeResult:
        yield Static("Stats")
