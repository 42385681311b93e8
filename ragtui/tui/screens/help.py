"""The key help: every binding of the screen underneath and of the app."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

MOUSE = (
    "Mouse: click a screen's name in the footer, a row, a span or a [n] citation; "
    "scroll with the wheel."
)


_NAMES = {
    "question_mark": "?",
    "escape": "Esc",
    "enter": "Enter",
    "delete": "Del",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
    "tab": "Tab",
}


def _name(key: str) -> str:
    key = key.strip()
    if key in _NAMES:
        return _NAMES[key]
    if key.startswith("ctrl+"):
        return "^" + key.removeprefix("ctrl+").upper()
    if key.startswith("f") and key[1:].isdigit():
        return key.upper()
    return key


def _key(binding: Binding) -> str:
    return " / ".join(_name(key) for key in binding.key.split(","))


def _rows(bindings: list[BindingType]) -> list[tuple[str, str]]:
    rows = []
    for item in bindings:
        if not isinstance(item, Binding) or not item.description:
            continue
        rows.append((_key(item), item.description))
    return rows


class HelpScreen(ModalScreen[None]):
    """Keys of the current screen, then the app's."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "dismiss(None)", "Close"),
    ]

    def __init__(self, under: Screen[object] | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.under = under

    def compose(self) -> ComposeResult:
        under = self.under
        sections: list[tuple[str, list[tuple[str, str]]]] = []
        if under is not None and under.BINDINGS:
            sections.append(
                (
                    f"{getattr(under, 'TITLE_TEXT', '') or 'This screen'}",
                    _rows(list(under.BINDINGS)),
                )
            )
        palette = ("^P", "Command palette (every action by name)")
        sections.append(("Everywhere", [*_rows(list(self.app.BINDINGS)), palette]))
        parts: list[tuple[str, str] | str] = []
        for title, rows in sections:
            parts.append((f"{title}\n", "bold $accent"))
            for key, what in rows:
                parts += [(f"  {key:<14}", "bold"), f"{what}\n"]
            parts.append("\n")
        parts.append((MOUSE, "$text-muted"))
        with Vertical(classes="dialog wide", id="help"):
            yield Label("Keys", classes="dialog-title")
            with VerticalScroll():
                yield Static(Content.assemble(*parts), id="help-text")
            yield Label("Esc, q or ? closes", classes="dialog-hint")
