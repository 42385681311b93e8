"""Entry-shaped text: dictionaries, glossaries and FAQs become one section per entry.

A person asks such a document about one entry ("how does it define a cynic?"); cut into
fixed-size chunks, an entry shares its chunk with its neighbours and loses to any passage
that merely mentions the word. Here a text whose paragraphs mostly begin the same
entry-like way (``CYNIC, n. …``, ``Term: …``, ``Term — …``, ``Q: …?``, a question on a
line of its own) is cut at those paragraphs, and each entry gets its term (or question)
as its heading, which both indexes see.
"""

from __future__ import annotations

import re

from ragtui.core.ingest.document import Section
from ragtui.core.ingest.sections import make_section, pack_blocks, paragraph_runs

_TERM = r"[A-Z][\w'’.\-]*(?:[ ,][\w'’.\-]+){0,4}"
_PATTERNS = {  # the more specific first: a tie goes to the earlier one
    "dictionary": re.compile(
        r"([A-Z][A-Z0-9'’\-]+(?:[ ,]+[A-Z][A-Z0-9'’\-]*)*),\s+"
        r"(?:n|v|adj|adv|pron|prep|conj|interj|pp|pl|x|v\.\s?t|v\.\s?i)\.(?:\s|$)"
    ),
    "faq": re.compile(r"(?:Q|Question)\s*[:.)]\s*(.{3,160})"),
    "question": re.compile(r"(?:\(?\d+(?:\.\d+)*[.)]\s+)?([A-Z].{8,160}\?)$"),  # "(12) …?"
    "dash": re.compile(rf"({_TERM})\s+(?:--|—|–)\s+\S"),
    "colon": re.compile(rf"({_TERM}):\s+\S"),
}
MIN_ENTRIES = 8  # fewer entry-like paragraphs than this are just prose
MIN_SHARE = 0.2  # of all paragraphs
#: Questions alone on their line are a strong sign: a FAQ whose answers run to several
#: paragraphs each has fewer of them among its paragraphs.
MIN_SHARE_OF = {"question": 0.1}
MAX_ENTRY_CHARS = 3000  # paragraphs past this no longer belong to the entry above them
_HEADING_CHARS = 80


def _term(pattern: re.Pattern[str], line: str) -> str | None:
    match = pattern.match(line.strip())
    if match is None:
        return None
    term = " ".join(match.group(1).split()).strip(" ,:")
    return term[:_HEADING_CHARS] if term else None


def entry_sections(lines: list[str], *, limit: int = 4000) -> list[Section] | None:
    """Sections one entry each (prose around them packed as usual), or None when the text
    is not entry-shaped."""
    runs = paragraph_runs(lines)
    if len(runs) < MIN_ENTRIES:
        return None
    best: tuple[int, str] | None = None
    for kind, pattern in _PATTERNS.items():
        count = sum(_term(pattern, lines[start]) is not None for start, _ in runs)
        if best is None or count > best[0]:
            best = (count, kind)
    assert best is not None
    count, kind = best
    if count < MIN_ENTRIES or count < MIN_SHARE_OF.get(kind, MIN_SHARE) * len(runs):
        return None
    pattern = _PATTERNS[kind]
    sections: list[Section] = []
    pending: list[tuple[int, int]] = []  # prose runs waiting to be packed

    def flush_prose() -> None:
        if pending:
            first, last = pending[0][0], pending[-1][1]
            for section in pack_blocks(lines[first:last], limit=limit):
                sections.append(_shifted(section, first))
            pending.clear()

    entry: tuple[str, int, int] | None = None  # term, first line, end line

    def flush_entry() -> None:
        if entry is not None:
            section = make_section(lines, entry[1], entry[2], heading=(entry[0],), kind="entry")
            if section is not None:
                sections.append(section)

    for start, end in runs:
        term = _term(pattern, lines[start])
        if term is not None:
            flush_entry()
            flush_prose()
            entry = (term, start, end)
            continue
        size = sum(len(line) + 1 for line in lines[entry[1] : end]) if entry else 0
        if entry is not None and size <= MAX_ENTRY_CHARS:
            entry = (entry[0], entry[1], end)
        else:
            flush_entry()
            entry = None
            pending.append((start, end))
    flush_entry()
    flush_prose()
    return sections


def _shifted(section: Section, lines_before: int) -> Section:
    """``section`` with its line numbers moved down by ``lines_before``."""

    def move(line: int | None) -> int | None:
        return None if line is None else line + lines_before

    return Section(
        section.text,
        section.heading,
        section.page,
        move(section.line_start),
        move(section.line_end),
        section.kind,
        section.hidden,
    )


def split_entries(section: Section, *, limit: int = 4000) -> list[Section]:
    """``section`` cut into its entries (each under the section's heading plus its term),
    or ``[section]`` when it is not entry-shaped."""
    lines = section.text.split("\n")
    found = entry_sections(lines, limit=limit)
    if found is None:
        return [section]
    located = section.line_start is not None
    out = []
    for part in found:
        moved = _shifted(part, section.line_start - 1) if section.line_start is not None else part
        out.append(
            Section(
                moved.text,
                (*section.heading, *part.heading),
                section.page,
                moved.line_start if located else None,
                moved.line_end if located else None,
                part.kind if part.kind == "entry" else section.kind,
                section.hidden,
            )
        )
    return out
