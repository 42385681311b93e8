"""Packing small located units (table rows, notebook cells, subtitle cues) into Sections.

A unit too small to be a chunk of its own (a row, a cue) is packed with its neighbours up
to about one chunk, and the group's heading names what it covers ("rows 12–40", "cells
3–5", "00:01:02–00:01:40"). The groups are ``entry`` sections, so the chunker does not
merge them further and lose that location.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ragtui.core.ingest.chunking import estimate_tokens
from ragtui.core.ingest.document import Section

#: Tokens per group: under the default ``ingest.chunk_tokens`` (160), so a group is one chunk.
GROUP_TOKENS = 140


@dataclass(frozen=True, slots=True)
class Unit:
    """One row, cell or cue: its text, where it starts and ends, and the heading above it."""

    text: str
    first: str
    last: str
    prefix: tuple[str, ...] = ()


def pack_units(
    units: Iterable[Unit],
    label: Callable[[str, str], str],
    *,
    budget: int = GROUP_TOKENS,
    separator: str = "\n",
) -> list[Section]:
    """Group consecutive units under the same ``prefix`` up to ``budget`` tokens; each
    group's heading is ``(*prefix, label(first unit's first, last unit's last))``."""
    sections: list[Section] = []
    group: list[Unit] = []
    size = 0

    def flush() -> None:
        if group:
            text = separator.join(unit.text for unit in group)
            where = label(group[0].first, group[-1].last)
            sections.append(Section(text=text, heading=(*group[0].prefix, where), kind="entry"))
            group.clear()

    for unit in units:
        if not unit.text.strip():
            continue
        tokens = estimate_tokens(unit.text)
        if group and (size + tokens > budget or unit.prefix != group[0].prefix):
            flush()
            size = 0
        group.append(unit)
        size += tokens
    flush()
    return sections


def span(singular: str, plural: str) -> Callable[[str, str], str]:
    """A label for numbered units: ``row 7`` or ``rows 7–12``."""

    def label(first: str, last: str) -> str:
        return f"{singular} {first}" if first == last else f"{plural} {first}–{last}"

    return label
