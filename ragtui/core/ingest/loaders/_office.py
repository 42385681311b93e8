"""Shared by the zipped loaders (XLSX, PPTX, OpenDocument, EPUB): opening the archive with
the zip-bomb guard, reading its XML parts safely, package relationships, and one budget
for the text a small file may expand into.

As with .docx, the archive's declared sizes are checked against the limit
(``ingest.max_file_mb``) before anything is inflated (:mod:`zipfile` never inflates a
member past its declared size), and XML parts that declare entities are refused, so no
entity expansion ("billion laughs") happens. A spreadsheet can also repeat one small
value into a great deal of text (shared strings, OpenDocument's repeated cells): the text
produced is counted, and a file whose text outgrows the same limit is refused too.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable
from urllib.parse import unquote
from xml.etree import ElementTree

from ragtui.core.ingest.document import LoadedDocument, LoaderError
from ragtui.core.ingest.loaders._errors import detail
from ragtui.core.ingest.loaders._groups import span
from ragtui.units import format_bytes

#: The limit when the caller gives none (``ingest.max_file_mb``'s default).
DEFAULT_LIMIT = 50 * 1024 * 1024
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted OOXML and the old binary formats
_SPACE = re.compile(r"\s+")

_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


class Broken(Exception):
    """The archive is not a document ragtui can read; the message says why, briefly."""


class TooBig(Exception):
    """The document expands past the limit; the message is the finished sentence."""


def local(tag: str) -> str:
    """An element's tag without its namespace."""
    return tag.rsplit("}", 1)[-1]


def squeeze(text: str) -> str:
    """Whitespace runs as one space, trimmed."""
    return _SPACE.sub(" ", text).strip()


def xml(archive: zipfile.ZipFile, member: str) -> ElementTree.Element:
    """The parsed part ``member``; a missing part, entities or bad XML are ``Broken``."""
    try:
        data = archive.read(member)
    except KeyError as exc:
        raise Broken(f"no {member}") from exc
    if b"<!ENTITY" in data:
        raise Broken(f"{member} declares XML entities")
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise Broken(f"{member}: {detail(exc)}") from exc


def optional_xml(archive: zipfile.ZipFile, member: str) -> ElementTree.Element | None:
    """Like :func:`xml`, but None when the part is absent or unreadable (titles, notes)."""
    if member not in archive.NameToInfo:
        return None
    try:
        return xml(archive, member)
    except Broken:
        return None


def rel_id(element: ElementTree.Element) -> str | None:
    """An element's ``r:id`` (in either the transitional or the Strict namespace)."""
    return next(
        (v for k, v in element.attrib.items() if k.startswith("{") and k.endswith("}id")), None
    )


def resolve(base: str, target: str) -> str:
    """The archive path of ``target``, relative to the part ``base`` (or absolute)."""
    target = unquote(target)
    if target.startswith("/"):
        return posixpath.normpath(target).lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id → (type's last word, archive path) for an OOXML ``part``."""
    folder, name = posixpath.split(part)
    root = optional_xml(archive, posixpath.join(folder, "_rels", f"{name}.rels"))
    found: dict[str, tuple[str, str]] = {}
    for rel in root.iter(f"{_PKG_REL}Relationship") if root is not None else ():
        rid, target = rel.get("Id"), rel.get("Target")
        if rid and target and rel.get("TargetMode") != "External":
            found[rid] = (rel.get("Type", "").rsplit("/", 1)[-1], resolve(part, target))
    return found


def core_title(archive: zipfile.ZipFile, member: str) -> str | None:
    """``dc:title`` from an OOXML ``docProps/core.xml`` or an OpenDocument ``meta.xml``."""
    root = optional_xml(archive, member)
    for element in root.iter("{http://purl.org/dc/elements/1.1/}title") if root else ():
        title = squeeze("".join(element.itertext()))
        if title:
            return title
    return None


_rows = span("row", "rows")


def sheet_label(sheet: str) -> Callable[[str, str], str]:
    """The heading of a group of a sheet's rows: ``Sheet name · rows 12–40``."""

    def label(first: str, last: str) -> str:
        return f"{sheet} · {_rows(first, last)}"

    return label


class Budget:
    """Counts the characters of text a document produces; past ``limit``, ``TooBig``."""

    def __init__(self, name: str, limit: int) -> None:
        self.name, self.limit, self.used = name, limit, 0

    def spend(self, text: str) -> str:
        self.used += len(text)
        if self.used > self.limit:
            raise TooBig(
                f"{self.name} expands to more than {format_bytes(self.limit)} of text, over the "
                "limit set by ingest.max_file_mb: raise ingest.max_file_mb to read it."
            )
        return text


def read_archive(
    data: bytes,
    name: str,
    *,
    kind: str,
    fix: str,
    max_bytes: int | None,
    read: Callable[[zipfile.ZipFile, Budget], LoadedDocument],
) -> LoadedDocument:
    """Open ``data`` as a zip, refuse a bomb, and run ``read`` on it; every failure becomes
    one LoaderError sentence: ``{name} is not a readable {kind} (why): {fix}.``"""
    limit = max_bytes if max_bytes is not None else DEFAULT_LIMIT
    if data.startswith(_OLE):
        raise LoaderError(
            f"{name} is password-protected or in an old binary format, which ragtui cannot "
            f"read: {fix} without a password."
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise LoaderError(f"{name} is not a readable {kind} (not a zip archive): {fix}.") from exc
    with archive:
        unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > limit:
            raise LoaderError(
                f"{name} unpacks to {format_bytes(unpacked)}, over the {format_bytes(limit)} "
                "limit set by ingest.max_file_mb: raise ingest.max_file_mb to read it."
            )
        try:
            return read(archive, Budget(name, limit))
        except TooBig as exc:
            raise LoaderError(str(exc)) from exc
        except Broken as exc:
            raise LoaderError(f"{name} is not a readable {kind} ({exc}): {fix}.") from exc
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError) as exc:
            raise LoaderError(f"{name} is a damaged {kind} ({detail(exc)}): {fix}.") from exc
