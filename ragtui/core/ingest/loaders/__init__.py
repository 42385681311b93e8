"""File loaders: turn a file on disk into a ``LoadedDocument``.

``load_file`` picks a loader by file name, reads the bytes once and hands them to that
loader's ``parse_bytes``. Files ragtui does not read raise ``Unsupported``; files it should
read but cannot raise ``LoaderError`` with one sentence for the user.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import Protocol

from ragtui.core.ingest.document import LoadedDocument, LoaderError, Unsupported
from ragtui.core.ingest.loaders import (
    code,
    csv,
    docx,
    email,
    epub,
    gzip,
    html,
    image,
    latex,
    markdown,
    notebook,
    opendocument,
    org,
    pdf,
    pptx,
    rst,
    rtf,
    subtitles,
    text,
    xlsx,
)
from ragtui.core.ingest.loaders._errors import detail
from ragtui.core.ingest.ocr import OcrOptions
from ragtui.units import format_bytes

__all__ = [
    "OCR_LOADERS",
    "SUPPORTED_NAMES",
    "SUPPORTED_SUFFIXES",
    "formats",
    "load_file",
    "loader_for",
    "parse_bytes",
    "read_bytes",
]

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
Parser = Callable[[bytes, str], LoadedDocument]


class ZippedParser(Protocol):
    def __call__(self, data: bytes, name: str, *, max_bytes: int | None) -> LoadedDocument: ...


_MODULES = (
    text, markdown, rst, html, pdf, code, docx, csv, notebook, email, subtitles, epub, org, latex,
    xlsx, pptx, opendocument, rtf, image,
)  # fmt: skip
#: Zipped formats, which check the unpacked size against the limit (zip bombs).
_ZIPPED: dict[str, ZippedParser] = {
    module.NAME: module.parse_bytes for module in (docx, epub, xlsx, pptx, opendocument)
}
_PARSERS: dict[str, Parser] = {module.NAME: module.parse_bytes for module in _MODULES}
_BY_SUFFIX: dict[str, str] = {
    suffix: module.NAME for module in _MODULES for suffix in module.SUFFIXES
}

#: What each loader reads, in words (``ragtui help ingest``).
_DESCRIPTIONS = {
    text.NAME: "plain text, also README, LICENSE, Makefile and other well-known names",
    markdown.NAME: "Markdown, by heading",
    rst.NAME: "reStructuredText, by title (also Sphinx .rst.txt)",
    html.NAME: "HTML, by heading (tables as rows with their column names)",
    pdf.NAME: "PDF, by page (two-column pages column by column, tables as rows with their "
    "column names)",
    code.NAME: "source code and config files, by top-level definition",
    docx.NAME: "Word, by heading",
    csv.NAME: "CSV and TSV tables, by row range (each row with its column names)",
    notebook.NAME: "Jupyter notebooks, by cell (with plain-text outputs)",
    email.NAME: "e-mail messages and mailboxes, by message (readable attachments under it)",
    subtitles.NAME: "subtitles, by time",
    epub.NAME: "EPUB e-books, by chapter heading (DRM-protected books are refused)",
    org.NAME: "Org-mode, by headline",
    latex.NAME: "LaTeX, by section",
    xlsx.NAME: "Excel workbooks, by sheet and row range (each row with its column names)",
    pptx.NAME: "PowerPoint presentations, by slide (with speaker notes)",
    opendocument.NAME: "OpenDocument text by heading, spreadsheets by sheet and row range, "
    "presentations by slide",
    rtf.NAME: "Rich Text Format, as one document",
    image.NAME: "images read by offline OCR (ingest.ocr), by page for multi-page TIFF; "
    "scanned PDF pages are read the same way",
}
#: Loaders that read nothing without OCR.
OCR_LOADERS = frozenset({image.NAME})


def formats() -> list[tuple[str, tuple[str, ...]]]:
    """Each kind of file ragtui reads, in words, with the suffixes it is known by."""
    found = [(_DESCRIPTIONS[module.NAME], tuple(sorted(module.SUFFIXES))) for module in _MODULES]
    inner = " ".join(sorted(gzip.inner_suffixes()))
    found.append(
        (f"any of {inner} compressed with gzip, and man pages", tuple(sorted(gzip.SUFFIXES)))
    )
    return found


#: Lower-case suffixes (with the dot) that have a loader; ``.gz`` depends on the inner name.
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_BY_SUFFIX) | gzip.SUFFIXES
#: Extensionless file names (upper-cased) read as plain text.
SUPPORTED_NAMES: frozenset[str] = text.NAMES


def _resolve(name: str) -> str | None:
    """Loader name for a file name; ``gzip+<inner>`` for compressed files."""
    path = PurePath(name)
    suffix = path.suffix.lower()
    if suffix == ".gz":
        inner = gzip.inner_loader(name[:-3])
        return f"{gzip.NAME}+{inner[0]}" if inner else None
    if path.name.lower().endswith(".rst.txt"):  # Sphinx _sources copies
        return rst.NAME
    if suffix in _BY_SUFFIX:
        return _BY_SUFFIX[suffix]
    if not suffix and text.is_text_name(path.name):
        return text.NAME
    return None


def loader_for(path: Path) -> str | None:
    """Name of the loader that reads ``path`` (by its name only), or None if unsupported."""
    return _resolve(path.name)


def read_bytes(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Read the whole file, refusing anything over ``max_bytes``; OS errors become LoaderError."""
    shown = str(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode):
            raise Unsupported("not a regular file")  # FIFOs and devices would block or never end
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                raise _too_big(shown, size, max_bytes)
            data = handle.read(max_bytes + 1)
    except PermissionError as exc:
        raise LoaderError(
            f"Permission denied reading {shown}: check the file's permissions or add it to "
            "ingest.ignore."
        ) from exc
    except FileNotFoundError as exc:
        if path.is_symlink():
            raise LoaderError(f"{shown} is a broken symbolic link.") from exc
        raise LoaderError(f"{shown} vanished while it was being read.") from exc
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise LoaderError(f"Could not read {shown}: {reason}.") from exc
    if len(data) > max_bytes:  # it grew while we were reading
        raise _too_big(shown, len(data), max_bytes)
    return data


def _too_big(shown: str, size: int, max_bytes: int) -> LoaderError:
    return LoaderError(
        f"{shown} is {format_bytes(size)}, over the {format_bytes(max_bytes)} limit set by "
        "ingest.max_file_mb: raise ingest.max_file_mb to read it."
    )


def load_file(
    path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, ocr: OcrOptions | None = None
) -> LoadedDocument:
    """Read and parse ``path``; ``ocr`` None leaves images and scanned pages unread.

    Raises ``Unsupported`` for files ragtui does not read (unknown type, binary) and
    ``LoaderError`` for files it should read but cannot; never anything else.
    """
    loader = loader_for(path)
    if loader is None:
        suffix = path.suffix.lower()
        if suffix == ".gz":
            inner = PurePath(path.name[:-3]).suffix.lower() or "(none)"
            raise Unsupported(f"unknown file type {inner} inside .gz")
        raise Unsupported(f"unknown file type {suffix}" if suffix else "unknown file type")
    return parse_bytes(read_bytes(path, max_bytes), path, max_bytes=max_bytes, ocr=ocr)


def _attachments(max_bytes: int) -> email.AttachmentReader:
    """Reads an e-mail attachment by its file name with the loader that name calls for.

    Attachments are not OCRed: a mailbox's logos and signatures would cost seconds each.
    """

    def read(data: bytes, filename: str) -> LoadedDocument | None:
        path = Path(PurePath(filename).name)
        if loader_for(path) is None or len(data) > max_bytes:
            return None
        try:
            return parse_bytes(data, path, max_bytes=max_bytes)
        except Unsupported:
            return None

    return read


def parse_bytes(
    data: bytes, path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, ocr: OcrOptions | None = None
) -> LoadedDocument:
    """Parse a file's bytes (already read) with the loader its name calls for."""
    loader = loader_for(path)
    if loader is None:
        raise Unsupported("unknown file type")
    shown = str(path)
    try:
        if loader.startswith(gzip.NAME + "+"):
            return gzip.parse_bytes(data, shown, max_bytes=max_bytes)
        if loader in _ZIPPED:
            return _ZIPPED[loader](data, shown, max_bytes=max_bytes)
        if loader == email.NAME:
            return email.parse_bytes(data, shown, read_attachment=_attachments(max_bytes))
        if loader == image.NAME:
            return image.parse_bytes(data, shown, options=ocr)
        if loader == pdf.NAME:
            return pdf.parse_bytes(data, shown, options=ocr)
        return _PARSERS[loader](data, shown)
    except (LoaderError, Unsupported):
        raise
    except RecursionError as exc:
        raise LoaderError(f"{shown} is too deeply nested to read.") from exc
    except Exception as exc:  # a loader bug must not take down a whole ingest run
        raise LoaderError(
            f"{shown} could not be read ({type(exc).__name__}: {detail(exc)}): please report this."
        ) from exc
