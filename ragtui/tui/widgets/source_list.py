"""The list of an answer's sources beside it: ``[n] file · page/heading``."""

from __future__ import annotations

from pathlib import Path

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ragtui.core.api import Citation, printable


def citation_label(citation: Citation, note: str = "") -> Content:
    """``[n] name`` on the first line, where in the file on the second."""
    where = citation.location.label()
    parts: list[tuple[str, str] | str] = [
        (f"[{citation.n}]", "bold $accent"),
        " ",
        (printable(Path(citation.path).name), "bold"),
    ]
    if note or citation.inferred:
        parts.append((f" {note or 'inferred'}", "italic $text-muted"))
    if where:
        parts += ["\n", (printable(where), "$text-muted")]
    return Content.assemble(*parts)


class SourceList(OptionList):
    """Citations of the selected answer; Enter or a click opens the source preview."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.citations: tuple[Citation, ...] = ()

    def show(self, citations: tuple[Citation, ...], note: str = "") -> None:
        """Replace the list with these citations (``note`` marks each, e.g. "nearest")."""
        self.citations = citations
        self.clear_options()
        self.add_options([Option(citation_label(c, note), id=f"cite-{c.n}") for c in citations])
        if citations:
            self.highlighted = 0
        self.border_subtitle = f"{len(citations)}" if citations else ""
