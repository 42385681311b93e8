"""Shared by line-based loaders and entry detection: splitting lines and cutting them into
Sections."""

from __future__ import annotations

from ragtui.core.ingest.document import Section


def split_lines(text: str) -> list[str]:
    """Split on ``\\n`` only, so line numbers match what an editor shows."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def make_section(
    lines: list[str],
    start: int,
    end: int,
    *,
    heading: tuple[str, ...] = (),
    kind: str = "prose",
) -> Section | None:
    """Build a Section from ``lines[start:end]`` (0-based, end exclusive).

    Blank lines at either end are dropped and the 1-based line range adjusted;
    returns None when nothing but whitespace is left.
    """
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    if start >= end:
        return None
    text = "\n".join(line.rstrip() for line in lines[start:end])
    return Section(text=text, heading=heading, line_start=start + 1, line_end=end, kind=kind)


def paragraph_runs(lines: list[str], limit: int | None = None) -> list[tuple[int, int]]:
    """0-based [start, end) line ranges of the non-blank runs; with ``limit``, a run is cut
    between lines once it reaches that many characters."""
    runs = []
    i, n = 0, len(lines)
    while i < n:
        if not lines[i].strip():
            i += 1
            continue
        j = i
        size = 0
        while j < n and lines[j].strip():
            size += len(lines[j]) + 1
            j += 1
            if limit is not None and size >= limit:
                break
        runs.append((i, j))
        i = j
    return runs


def pack_blocks(lines: list[str], *, limit: int = 4000, kind: str = "prose") -> list[Section]:
    """Group lines into Sections of roughly ``limit`` characters, split at blank lines.

    A paragraph longer than ``limit`` is split between lines; a single line longer
    than ``limit`` is cut into pieces that share its line number.
    """
    sections: list[Section] = []
    paragraphs = paragraph_runs(lines, limit)

    block_start: int | None = None
    block_end = 0
    block_size = 0

    def flush() -> None:
        if block_start is not None:
            section = make_section(lines, block_start, block_end, kind=kind)
            if section is not None:
                sections.append(section)

    for start, end in paragraphs:
        size = sum(len(lines[k]) + 1 for k in range(start, end))
        if end - start == 1 and size > limit:
            flush()
            block_start = None
            line = lines[start].rstrip()
            for pos in range(0, len(line), limit):
                sections.append(
                    Section(
                        text=line[pos : pos + limit],
                        line_start=start + 1,
                        line_end=start + 1,
                        kind=kind,
                    )
                )
            continue
        if block_start is not None and block_size + size > limit:
            flush()
            block_start = None
        if block_start is None:
            block_start, block_size = start, 0
        block_end = end
        block_size += size
    flush()
    return sections


def sections_from_headings(
    lines: list[str], start: int, headings: list[tuple[int, int, str]]
) -> list[Section]:
    """Cut ``lines`` at ``headings`` (first line index, level, text), with heading paths.

    Text before the first heading (from ``start``) becomes a Section with no heading.
    """
    sections: list[Section] = []
    first = make_section(lines, start, headings[0][0] if headings else len(lines))
    if first is not None:
        sections.append(first)
    stack: list[tuple[int, str]] = []
    for n, (line_index, level, text) in enumerate(headings):
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, text))
        end = headings[n + 1][0] if n + 1 < len(headings) else len(lines)
        section = make_section(lines, line_index, end, heading=tuple(t for _, t in stack))
        if section is not None:
            sections.append(section)
    return sections
