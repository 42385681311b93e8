"""The source preview: a cited passage in its file, highlighted, with a key to edit the file."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

from ragtui.core.api import Citation, Passage, printable

_AROUND = 8  # lines shown before and after the cited lines
_MAX_READ = 4 * 2**20  # larger files show the stored chunk only
_TEXT_LOADERS_SUFFIXES = {
    ".md",
    ".markdown",
    ".txt",
    ".rst",
    ".py",
    ".js",
    ".ts",
    ".go",
    ".rs",
    ".java",
    ".c",
    ".h",
    ".cpp",
    ".toml",
    ".yaml",
    ".yml",
    ".json",
    ".sh",
    ".csv",
    ".org",
    ".tex",
    ".ini",
    ".cfg",
}


def _file_lines(path: Path) -> list[str] | None:
    """The file's lines when it is a plain-text file small enough to show, else None."""
    if path.suffix.lower() not in _TEXT_LOADERS_SUFFIXES:
        return None
    try:
        if path.stat().st_size > _MAX_READ:
            return None
        return printable(path.read_text(encoding="utf-8", errors="replace")).splitlines()
    except OSError:
        return None


def preview_content(citation: Citation, passage: Passage | None) -> tuple[Content, int | None]:
    """What the preview shows, and the line (1-based, in the shown text) to scroll to.

    A text file with line numbers shows the cited lines highlighted among their
    neighbours; anything else (PDF pages, HTML, a changed file) shows the stored
    chunk, all of it highlighted.
    """
    loc = citation.location
    lines = _file_lines(Path(citation.path))
    if lines is not None and loc.line_start is not None:
        start = loc.line_start
        end = loc.line_end if loc.line_end is not None else start
        if 1 <= start <= len(lines):
            first = max(1, start - _AROUND)
            last = min(len(lines), end + _AROUND)
            width = len(str(last))
            parts: list[tuple[str, str] | str] = []
            for number in range(first, last + 1):
                cited = start <= number <= end
                parts.append((f"{number:>{width}} ", "$text-muted"))
                parts.append(
                    (
                        lines[number - 1] + "\n",
                        "$text on $primary-muted" if cited else "$text-muted",
                    )
                )
            return Content.assemble(*parts), start - first
    if passage is None:
        return Content.styled(
            "This passage is no longer in the index (the file changed or was removed): "
            f"re-ask the question.\n\nSnippet: {printable(citation.snippet)}",
            "$warning",
        ), None
    parts = []
    if passage.context:
        parts.append((printable(passage.context) + "\n\n", "italic $text-muted"))
    parts.append((printable(passage.text), "$text on $primary-muted"))
    return Content.assemble(*parts), 0


def editor_command(path: str, line: int | None) -> list[str]:
    """``$VISUAL`` / ``$EDITOR`` (default ``vi``) opening ``path`` at ``line``."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    command = shlex.split(editor)
    if line is not None:
        command.append(f"+{line}")
    return [*command, path]


class SourcePreview(ModalScreen[None]):
    """File path, page or heading, and the cited chunk highlighted; ``e`` opens $EDITOR."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss(None)", "Close"),
        Binding("e", "edit", "Open in $EDITOR"),
    ]

    def __init__(self, citation: Citation, passage: Passage | None) -> None:
        super().__init__(classes="dialog-screen")
        self.citation = citation
        self.passage = passage

    def compose(self) -> ComposeResult:
        c = self.citation
        with Vertical(id="preview", classes="dialog wide"):
            yield Label(
                Content.assemble((f"[{c.n}] ", "bold $accent"), (printable(c.path), "bold")),
                id="preview-path",
            )
            where = c.location.label() or "whole document"
            kind = " · inferred citation" if c.inferred else ""
            yield Label(Content.styled(printable(where) + kind, "$text-muted"), id="preview-where")
            body, self._scroll_line = preview_content(c, self.passage)
            with VerticalScroll(id="preview-body"):
                yield Static(body, id="preview-text")
            yield Footer()

    def on_mount(self) -> None:
        if self._scroll_line:
            self.call_after_refresh(
                self.query_one("#preview-body", VerticalScroll).scroll_to,
                y=max(0, self._scroll_line - 2),
                animate=False,
            )

    def action_edit(self) -> None:
        """Open the file in the user's editor at the cited line (the app is suspended)."""
        from textual.app import SuspendNotSupported

        command = editor_command(self.citation.path, self.citation.location.line_start)
        try:
            with self.app.suspend():
                subprocess.run(command, check=False)
        except SuspendNotSupported:
            self.notify(
                f"This terminal cannot suspend the app: open {self.citation.path} yourself.",
                severity="warning",
            )
        except OSError as exc:
            self.notify(
                f"Cannot run {command[0]} ({exc.strerror or exc}): set $EDITOR to your editor.",
                severity="error",
            )
