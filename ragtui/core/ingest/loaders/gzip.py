"""Gzip loader: decompress (with a size cap) and hand the bytes to the inner text-like loader."""

from __future__ import annotations

import dataclasses
import gzip
import io
import re
import zlib
from collections.abc import Callable
from pathlib import PurePath

from ragtui.core.ingest.document import LoadedDocument, LoaderError, Unsupported
from ragtui.core.ingest.loaders import (
    csv,
    html,
    latex,
    markdown,
    notebook,
    org,
    rst,
    subtitles,
    text,
)
from ragtui.core.ingest.loaders._errors import detail
from ragtui.units import format_bytes

NAME = "gzip"
SUFFIXES = frozenset({".gz"})
CHUNK_BYTES = 1024 * 1024

Parser = Callable[[bytes, str], LoadedDocument]
_INNER: dict[str, tuple[str, Parser]] = {}
for _module in (text, markdown, html, rst, csv, notebook, subtitles, org, latex):
    for _suffix in _module.SUFFIXES:
        _INNER[_suffix] = (_module.NAME, _module.parse_bytes)
# Man pages (ls.1.gz, perl.3pm.gz) and Debian docs (changelog.Debian.gz) read as text.
_MAN_SECTION = re.compile(r"^\.[1-9][a-z]*$")
_TEXT_NAMES = text.NAMES | {"CHANGELOG.DEBIAN", "NEWS.DEBIAN", "README.DEBIAN"}


def inner_suffixes() -> frozenset[str]:
    """Suffixes read inside a ``.gz`` (besides man pages and extensionless text files)."""
    return frozenset(_INNER)


def inner_loader(inner_name: str) -> tuple[str, Parser] | None:
    """The (loader name, parser) for the file inside ``inner_name.gz``, or None if unknown."""
    path = PurePath(inner_name)
    suffix = path.suffix.lower()
    if suffix in _INNER:
        return _INNER[suffix]
    if not suffix or _MAN_SECTION.match(suffix) or path.name.upper() in _TEXT_NAMES:
        return text.NAME, text.parse_bytes
    return None


def decompress(data: bytes, name: str, max_bytes: int) -> bytes:
    """Gunzip ``data`` in chunks, refusing to produce more than ``max_bytes``."""
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb") as stream:
            while chunk := stream.read(CHUNK_BYTES):
                out.write(chunk)
                if out.tell() > max_bytes:
                    raise LoaderError(
                        f"{name} decompresses to more than {format_bytes(max_bytes)}, over the "
                        "ingest.max_file_mb limit: raise ingest.max_file_mb to read it."
                    )
    except LoaderError:
        raise
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        raise LoaderError(
            f"{name} is not a valid gzip file ({detail(exc)}): re-download or re-compress it."
        ) from exc
    return out.getvalue()


def parse_bytes(data: bytes, name: str, *, max_bytes: int) -> LoadedDocument:
    """Decompress and parse with the inner loader; the result's loader is ``gzip+<inner>``."""
    inner_path = name[:-3] if name.lower().endswith(".gz") else name
    inner = inner_loader(inner_path)
    if inner is None:  # load_file checks first; kept for direct callers
        raise Unsupported(f"unknown file type {PurePath(inner_path).suffix.lower()} inside .gz")
    inner_name, parser = inner
    document = parser(decompress(data, name, max_bytes), name)
    return dataclasses.replace(document, loader=f"{NAME}+{inner_name}")
