"""PDF loader on ``pypdf``: one Section per page that has text."""

from __future__ import annotations

import io
import logging
import re
from typing import TYPE_CHECKING

from ragtui.core.ingest.document import LoadedDocument, LoaderError, Section
from ragtui.core.ingest.loaders._errors import detail

if TYPE_CHECKING:  # pypdf loads on the first PDF, not at start-up
    from pypdf import PdfReader

NAME = "pdf"
SUFFIXES = frozenset({".pdf"})

_WORD_PREFIX = re.compile(r"^Microsoft (?:Word|PowerPoint) - ")
_FILE_NAME = re.compile(
    r"^\S+\.(?:dvi|tex|doc|docx|odt|rtf|pdf|ps|eps|indd|qxd|txt|html?|pptx?|xlsx?)$", re.I
)

# pypdf reports recoverable damage through logging; keep it off the user's terminal.
_log = logging.getLogger("pypdf")
_log.setLevel(logging.ERROR)
if not _log.handlers:
    _log.addHandler(logging.NullHandler())


def _unreadable(name: str, exc: BaseException) -> LoaderError:
    return LoaderError(f"{name} is not a readable PDF ({detail(exc)}): re-save or re-download it.")


def _encrypted(name: str) -> LoaderError:
    return LoaderError(
        f"{name} is an encrypted PDF that needs a password: save an unencrypted copy to index it."
    )


def _open(data: bytes, name: str) -> PdfReader:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    if not data.strip():
        raise LoaderError(f"{name} is an empty file, not a PDF: re-save or re-download it.")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except DependencyError as exc:
                raise LoaderError(
                    f"{name} is an encrypted PDF whose cipher needs the 'cryptography' "
                    "package: install it or save an unencrypted copy."
                ) from exc
            if not opened:
                raise _encrypted(name)
        return reader
    except LoaderError:
        raise
    except FileNotDecryptedError as exc:
        raise _encrypted(name) from exc
    except Exception as exc:  # pypdf raises many types for damaged files
        raise _unreadable(name, exc) from exc


def _title(reader: PdfReader) -> str | None:
    try:
        metadata = reader.metadata
        title = metadata.title if metadata is not None else None
    except Exception:  # broken metadata must not cost us the text
        return None
    if not isinstance(title, str):
        return None
    title = " ".join(title.replace("\x00", "").split())
    title = _WORD_PREFIX.sub("", title)
    if _FILE_NAME.match(title):  # e.g. "debian-tutorial.dvi": a tool's file name, not a title
        return None
    return title or None


def parse_bytes(data: bytes, name: str) -> LoadedDocument:
    from pypdf.errors import FileNotDecryptedError

    """Extract each page's text; pages without text are skipped, never an error."""
    reader = _open(data, name)
    try:
        pages = reader.pages
        count = len(pages)
    except Exception as exc:
        raise _unreadable(name, exc) from exc
    sections: list[Section] = []
    failures = 0
    first_error: Exception | None = None
    for number in range(count):
        try:
            text = pages[number].extract_text() or ""
        except FileNotDecryptedError as exc:
            raise _encrypted(name) from exc
        except Exception as exc:  # one broken page should not lose the others
            failures += 1
            first_error = first_error or exc
            continue
        text = text.replace("\x00", "").strip()
        if text:
            sections.append(Section(text=text, page=number + 1))
    if count and failures == count and first_error is not None:
        raise _unreadable(name, first_error)
    return LoadedDocument(loader=NAME, sections=sections, title=_title(reader))
