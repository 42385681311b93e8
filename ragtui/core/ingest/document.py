"""What a loader returns: a file's text as located sections."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Section:
    """A run of text with where it came from in its file.

    ``heading`` is the heading path (outermost first) the text sits under;
    ``page`` is 1-based for paged formats; line numbers are 1-based, inclusive.
    ``kind`` is ``"prose"`` or ``"code"`` and steers the chunker. ``hidden`` marks text a
    reader of the file does not see (``display:none``, white or tiny text, hidden slides,
    sheets and runs): it is indexed like the rest and flagged on its chunks.
    """

    text: str
    heading: tuple[str, ...] = ()
    page: int | None = None
    line_start: int | None = None
    line_end: int | None = None
    kind: str = "prose"
    hidden: bool = False


@dataclass(frozen=True, slots=True)
class LoadedDocument:
    """A parsed file: its title (if any), its sections, and the loader that read it."""

    loader: str
    sections: list[Section] = field(default_factory=list)
    title: str | None = None
    encoding: str | None = None


class LoaderError(Exception):
    """A file could not be read; the message is one sentence for the user."""


class Unsupported(Exception):
    """A file is not a document ragtui reads (binary or unknown type); it is skipped."""
