"""The conversation list: reopen, start, rename, delete, export as Markdown."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, OptionList
from textual.widgets.option_list import Option

from ragtui.core.api import ConversationInfo, ConversationStore, RagtuiError
from ragtui.tui.screens.dialogs import ConfirmDialog, PromptDialog

NEW = -1  # dismissed with this: start a new conversation


def export_name(title: str) -> str:
    """A file name for a conversation's Markdown export."""
    slug = re.sub(r"[^\w]+", "-", title.lower()).strip("-")[:48] or "conversation"
    return f"{slug}.md"


class ConversationsScreen(ModalScreen[int | None]):
    """Stored conversations, most recent first; dismissed with the id to open (or NEW)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("n", "new", "New"),
        Binding("r", "rename", "Rename"),
        Binding("d,delete", "delete", "Delete"),
        Binding("x", "export", "Export .md"),
    ]

    def __init__(self, store: ConversationStore, current: int | None) -> None:
        super().__init__(classes="dialog-screen")
        self.store = store
        self.current = current
        self.items: list[ConversationInfo] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="conversations"):
            yield Label("Conversations", classes="dialog-title")
            yield OptionList(id="conversation-list")
            yield Footer()

    def on_mount(self) -> None:
        self._reload()

    def _reload(self, keep: int | None = None) -> None:
        self.items = self.store.all()
        options = self.query_one(OptionList)
        options.clear_options()
        for info in self.items:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(info.updated_at))
            mark = "● " if info.id == self.current else "  "
            options.add_option(
                Option(
                    Content.assemble(
                        (mark, "$accent"),
                        (info.title, "bold"),
                        (
                            f"\n  {info.turns} turn{'s' if info.turns != 1 else ''} · {when}",
                            "$text-muted",
                        ),
                    ),
                    id=str(info.id),
                )
            )
        if not self.items:
            options.add_option(
                Option(
                    Content.styled(
                        "No conversations yet: ask a question, or press n.", "$text-muted"
                    ),
                    disabled=True,
                )
            )
        wanted = keep if keep is not None else self.current
        if self.items:
            options.highlighted = 0
        for index, info in enumerate(self.items):
            if info.id == wanted:
                options.highlighted = index
        options.focus()

    def _selected(self) -> ConversationInfo | None:
        index = self.query_one(OptionList).highlighted
        if index is None or index >= len(self.items):
            return None
        return self.items[index]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.dismiss(int(event.option.id))

    def action_new(self) -> None:
        self.dismiss(NEW)

    def action_rename(self) -> None:
        info = self._selected()
        if info is None:
            return

        def done(title: str | None) -> None:
            if title is None:
                return
            try:
                self.store.rename(info.id, title)
            except RagtuiError as exc:
                self.notify(str(exc), severity="error")
            self._reload(keep=info.id)

        self.app.push_screen(PromptDialog("Rename conversation", info.title), done)

    def action_delete(self) -> None:
        info = self._selected()
        if info is None:
            return

        def done(yes: bool | None) -> None:
            if yes:
                self.store.delete(info.id)
                if info.id == self.current:
                    self.current = None
                self.notify(f"Deleted “{info.title}”.")
                self._reload()

        self.app.push_screen(ConfirmDialog(f"Delete “{info.title}” and its answers?"), done)

    def action_export(self) -> None:
        info = self._selected()
        if info is None:
            return

        def done(path: str | None) -> None:
            if not path:
                return
            try:
                written = self.store.export(info.id, Path(path))
            except RagtuiError as exc:
                self.notify(str(exc), severity="error")
                return
            self.notify(f"Exported to {written}.")

        default = str(Path.cwd() / export_name(info.title))
        self.app.push_screen(PromptDialog("Export as Markdown to", default), done)
