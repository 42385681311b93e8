"""Plain text loader: ``.txt``, ``.log`` and well-known extensionless files."""

from __future__ import annotations

import re

from ragtui.core.ingest.document import LoadedDocument
from ragtui.core.ingest.entries import entry_sections
from ragtui.core.ingest.loaders._decode import decode_text
from ragtui.core.ingest.sections import pack_blocks, split_lines

NAME = "text"
SUFFIXES = frozenset({".txt", ".text", ".log"})
#: Extensionless file names (compared upper-cased) that are plain text.
NAMES = frozenset(
    {
        "README",
        "LICENSE",
        "LICENCE",
        "COPYING",
        "AUTHORS",
        "CHANGELOG",
        "CHANGES",
        "NEWS",
        "INSTALL",
        "TODO",
        "COPYRIGHT",
        "MAKEFILE",
        "DOCKERFILE",
    }
)
BLOCK_CHARS = 4000
_NAME_PART = re.compile(r"[-_]")


def is_text_name(file_name: str) -> bool:
    """True for well-known extensionless names, also with a qualifier (``LICENSE-MIT``)."""
    upper = file_name.upper()
    return upper in NAMES or _NAME_PART.split(upper, maxsplit=1)[0] in NAMES


def parse_bytes(data: bytes, name: str) -> LoadedDocument:
    """Decode ``data`` and cut it into entries (a dictionary, a glossary, a FAQ) or else
    into blocks of roughly 4,000 characters at blank lines."""
    text, encoding = decode_text(data, name)
    lines = split_lines(text)
    sections = entry_sections(lines, limit=BLOCK_CHARS) or pack_blocks(lines, limit=BLOCK_CHARS)
    return LoadedDocument(loader=NAME, sections=sections, encoding=encoding)
