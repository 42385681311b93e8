"""EPUB loader: the book's XHTML chapters in spine (reading) order, read by the HTML loader.

A section keeps the headings of its chapter; text before a chapter's first heading is
headed by the chapter's entry in the table of contents. Before anything is inflated the
archive's declared sizes are checked against the limit (``ingest.max_file_mb``), so a zip
bomb is refused, as with .docx. A book whose chapters are encrypted (DRM) is refused too.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import replace
from urllib.parse import urlsplit

from ragtui.core.ingest.document import LoadedDocument, LoaderError, Section, Unsupported
from ragtui.core.ingest.loaders import html
from ragtui.core.ingest.loaders._office import Broken, local, read_archive, resolve, xml

NAME = "epub"
SUFFIXES = frozenset({".epub"})

_CONTAINER = "META-INF/container.xml"
_ENCRYPTION = "META-INF/encryption.xml"
_FONT_OBFUSCATION = ("http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC")
_SPACE = re.compile(r"\s+")


def _resolve(base: str, href: str) -> str:
    """The archive path of ``href`` (relative to the file at ``base``), without fragment."""
    return resolve(base, urlsplit(href).path).lstrip("/")


def _package(archive: zipfile.ZipFile) -> str:
    for element in xml(archive, _CONTAINER).iter():
        if local(element.tag) == "rootfile" and element.get("full-path"):
            return str(element.get("full-path"))
    raise Broken("its container names no package file")


def _toc(
    archive: zipfile.ZipFile, opf: str, items: dict[str, tuple[str, str, str]]
) -> dict[str, str]:
    """Chapter path → its first label in the NCX or EPUB 3 navigation document."""
    labels: dict[str, str] = {}
    for href, media, properties in items.values():
        path = _resolve(opf, href)
        try:
            if media == "application/x-dtbncx+xml":
                for point in xml(archive, path).iter():
                    if local(point.tag) != "navPoint":
                        continue
                    text = next((e.text for e in point.iter() if local(e.tag) == "text"), "")
                    src = next((e.get("src") for e in point if local(e.tag) == "content"), None)
                    if src and text and text.strip():
                        labels.setdefault(_resolve(path, src), _SPACE.sub(" ", text).strip())
            elif "nav" in properties.split():
                for link in xml(archive, path).iter():
                    href_attr = link.get("href")
                    label = _SPACE.sub(" ", "".join(link.itertext())).strip()
                    if local(link.tag) == "a" and href_attr and label:
                        labels.setdefault(_resolve(path, href_attr), label)
        except Broken:
            continue  # a broken table of contents costs only the labels
    return labels


def _encrypted(archive: zipfile.ZipFile) -> set[str]:
    """Paths encrypted by something other than font obfuscation."""
    if _ENCRYPTION not in archive.namelist():
        return set()
    found: set[str] = set()
    for data in xml(archive, _ENCRYPTION).iter():
        if local(data.tag) != "EncryptedData":
            continue
        method = next(
            (e.get("Algorithm", "") for e in data.iter() if local(e.tag) == "EncryptionMethod"), ""
        )
        uri = next((e.get("URI") for e in data.iter() if local(e.tag) == "CipherReference"), None)
        if uri and method not in _FONT_OBFUSCATION:
            found.add(_resolve("", uri))
    return found


def _read(archive: zipfile.ZipFile, name: str) -> LoadedDocument:
    opf = _package(archive)
    package = xml(archive, opf)
    title: str | None = None
    items: dict[str, tuple[str, str, str]] = {}
    spine: list[str] = []
    for element in package.iter():
        tag = local(element.tag)
        if tag == "title" and title is None and element.text and element.text.strip():
            title = _SPACE.sub(" ", element.text).strip()
        elif tag == "item" and element.get("id") and element.get("href"):
            items[str(element.get("id"))] = (
                str(element.get("href")),
                element.get("media-type", ""),
                element.get("properties", ""),
            )
        elif tag == "itemref" and element.get("idref"):
            spine.append(str(element.get("idref")))
    chapters = [_resolve(opf, items[ref][0]) for ref in spine if ref in items]
    if not chapters:
        raise Broken("its spine lists no chapters")
    locked = _encrypted(archive) & set(chapters)
    if locked:
        raise LoaderError(
            f"{name} is protected by DRM (its chapters are encrypted): read a DRM-free copy."
        )
    labels = _toc(archive, opf, items)
    names = set(archive.namelist())
    sections: list[Section] = []
    for path in dict.fromkeys(chapters):  # a chapter listed twice is read once
        if path not in names:
            continue
        try:
            chapter = html.parse_bytes(archive.read(path), f"{name}:{path}")
        except Unsupported:  # an image or other binary file listed in the spine
            continue
        label = labels.get(path)
        for section in chapter.sections:
            heading = section.heading or ((label,) if label else ())
            sections.append(replace(section, heading=heading))
    return LoadedDocument(loader=NAME, sections=sections, title=title)


def parse_bytes(data: bytes, name: str, *, max_bytes: int | None = None) -> LoadedDocument:
    """Read an ``.epub``; a book that unpacks past ``max_bytes`` (a zip bomb) is refused
    before anything is inflated."""
    return read_archive(
        data,
        name,
        kind="EPUB",
        fix="download or export it again",
        max_bytes=max_bytes,
        read=lambda archive, _budget: _read(archive, name),
    )
