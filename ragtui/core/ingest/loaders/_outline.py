"""A document's blocks gathered into Sections under their heading path (.docx, .odt)."""

from __future__ import annotations

from collections.abc import Callable

from ragtui.core.ingest.document import Section


class Outline:
    """Accumulates blocks into Sections under the current heading path; ``spend`` sees the
    text of each section (a budget for how much text a file may expand into)."""

    def __init__(self, spend: Callable[[str], object] | None = None) -> None:
        self.spend = spend
        self.sections: list[Section] = []
        self.blocks: list[str] = []
        self.path: list[tuple[int, str]] = []
        self.first_title: str | None = None  # the first level-0 heading (a document title)

    def flush(self) -> None:
        """End the current section."""
        text = "\n\n".join(self.blocks).strip()
        if text:
            if self.spend is not None:
                self.spend(text)
            self.sections.append(Section(text=text, heading=tuple(t for _, t in self.path)))
        self.blocks = []

    def hidden(self, text: str) -> None:
        """Add ``text`` a reader does not see, as a section of its own flagged ``hidden``."""
        self.flush()
        if self.spend is not None:
            self.spend(text)
        self.sections.append(Section(text, tuple(t for _, t in self.path), hidden=True))

    def heading(self, level: int, text: str) -> None:
        """Start a section under heading ``text`` at ``level`` (0 is a title)."""
        self.flush()
        while self.path and self.path[-1][0] >= level:
            self.path.pop()
        self.path.append((level, text))
        self.blocks.append(text)
        if level == 0 and self.first_title is None:
            self.first_title = text
