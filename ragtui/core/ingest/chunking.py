"""Structure-aware chunking: sections become token-bounded chunks with their location."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ragtui.core.ingest.document import LoadedDocument, Section

_TOKEN = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]|\w+|[^\w\s]"
)
_PROSE_SEPARATORS = ("\n\n", "\n", ". ", "; ", ", ", " ")
_CODE_SEPARATORS = ("\n\n", "\n", " ")


def estimate_tokens(text: str) -> int:
    """Word-piece token estimate: CJK chars and punctuation count one, long words more."""
    return sum(1 + len(m) // 8 if len(m) > 1 else 1 for m in _TOKEN.findall(text))


@dataclass(frozen=True, slots=True)
class Chunk:
    """A chunk's text and where it sits in its file; a stored chunk also carries its id and
    its file's content hash (both empty while it is being cut)."""

    ordinal: int
    text: str
    context: str
    page: int | None
    heading: tuple[str, ...]
    line_start: int | None
    line_end: int | None
    hash: str = ""
    chunk_id: str = ""
    hidden: bool = False  # text a reader of the file does not see

    def index_text(self) -> str:
        """The text both indexes see: heading/title context, then the passage."""
        return f"{self.context}\n\n{self.text}" if self.context else self.text


@dataclass(frozen=True, slots=True)
class _Piece:
    text: str
    start: int  # character offset in the section text
    tokens: int


def _split(text: str, start: int, limit: int, separators: tuple[str, ...]) -> Iterator[_Piece]:
    """Recursively split text at the coarsest separator until pieces fit ``limit``."""
    tokens = estimate_tokens(text)
    if tokens <= limit or not separators:
        if tokens > limit:  # no separator left: hard cut by characters
            step = max(1, len(text) * limit // tokens)
            for offset in range(0, len(text), step):
                part = text[offset : offset + step]
                yield _Piece(part, start + offset, estimate_tokens(part))
        elif text.strip():
            yield _Piece(text, start, tokens)
        return
    sep, rest = separators[0], separators[1:]
    offset = 0
    for part in text.split(sep):
        piece = part + sep if offset + len(part) < len(text) else part
        yield from _split(piece, start + offset, limit, rest)
        offset += len(part) + len(sep)


def _pack(pieces: list[_Piece], limit: int, overlap: int) -> Iterator[list[_Piece]]:
    """Greedily group pieces up to ``limit`` tokens, repeating ~``overlap`` tokens."""
    group: list[_Piece] = []
    size = 0
    for piece in pieces:
        if group and size + piece.tokens > limit:
            yield group
            carry: list[_Piece] = []
            carried = 0
            for prev in reversed(group):
                if carried + prev.tokens > overlap or carried + prev.tokens + piece.tokens > limit:
                    break
                carry.insert(0, prev)
                carried += prev.tokens
            group, size = carry, carried
        group.append(piece)
        size += piece.tokens
    if group:
        yield group


def _line_at(section: Section, text: str, offset: int) -> int | None:
    if section.line_start is None:
        return None
    return section.line_start + text.count("\n", 0, offset)


def _context(doc: LoadedDocument, heading: tuple[str, ...]) -> tuple[str, ...]:
    if doc.title and (not heading or heading[0].strip() != doc.title.strip()):
        return (doc.title, *heading)
    return heading


def _merge_small(sections: list[Section], limit: int) -> list[Section]:
    """Join consecutive small sections of one page so tiny headings don't make tiny chunks
    (entries of a dictionary or FAQ stay one chunk each)."""
    merged: list[Section] = []
    for sec in sections:
        if not sec.text.strip():
            continue
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and prev.page == sec.page
            and prev.kind == sec.kind != "entry"
            and prev.hidden == sec.hidden
            and estimate_tokens(prev.text) + estimate_tokens(sec.text) <= limit
        ):
            common = tuple(a for a, b in zip(prev.heading, sec.heading, strict=False) if a == b)
            gap = "" if prev.text.endswith("\n") else "\n"
            merged[-1] = Section(
                prev.text + gap + sec.text,
                common,
                prev.page,
                prev.line_start,
                sec.line_end if sec.line_end is not None else prev.line_end,
                prev.kind,
                prev.hidden,
            )
        else:
            merged.append(sec)
    return merged


def chunk_document(doc: LoadedDocument, chunk_tokens: int, overlap: int) -> list[Chunk]:
    """Cut a document into chunks of at most ~``chunk_tokens`` tokens, keeping locations."""
    drafts: list[Chunk] = []
    for section in _merge_small(doc.sections, chunk_tokens):
        seps = _CODE_SEPARATORS if section.kind == "code" else _PROSE_SEPARATORS
        pieces = list(_split(section.text, 0, chunk_tokens, seps))
        context = " > ".join(part for part in _context(doc, section.heading) if part)
        for group in _pack(pieces, chunk_tokens, overlap):
            first, last = group[0], group[-1]
            raw = section.text[first.start : last.start + len(last.text)]
            text = raw.strip()
            if not text:
                continue
            lead = len(raw) - len(raw.lstrip())
            end_offset = first.start + lead + len(text)
            drafts.append(
                Chunk(
                    ordinal=len(drafts),
                    text=text,
                    context=context,
                    page=section.page,
                    heading=section.heading,
                    line_start=_line_at(section, section.text, first.start + lead),
                    line_end=_line_at(section, section.text, max(first.start, end_offset - 1)),
                    hidden=section.hidden,
                )
            )
    return drafts
