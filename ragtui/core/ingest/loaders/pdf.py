"""PDF loader on ``pypdf``: one Section per page that has text.

A page with two columns or a table is read from pypdf's layout-mode text (``_layout``):
columns in reading order, each table as row records under its caption. Text a reader
does not see (``_pdf_hidden``: invisible, white or under 1 pt) becomes a section of its
own on its page, flagged ``hidden``; such a page keeps plain text.

A page without a text layer (a scan) is read by OCR when it is on: the images the page
draws (a scanner puts one per page) are decoded by pypdf, each checked against the pixel
limit from its declared size first, and read in turn. No page is rendered.
"""

from __future__ import annotations

import io
import logging
import re
from typing import TYPE_CHECKING

from ragtui.core.ingest import ocr
from ragtui.core.ingest.document import LoadedDocument, LoaderError, Section
from ragtui.core.ingest.loaders._errors import detail
from ragtui.core.ingest.loaders._layout import page_sections
from ragtui.core.ingest.loaders._pdf_hidden import PageWatch

if TYPE_CHECKING:  # pypdf loads on the first PDF, not at start-up
    from pypdf import PageObject, PdfReader
    from pypdf.generic import DictionaryObject

NAME = "pdf"
SUFFIXES = frozenset({".pdf"})

#: A page with fewer characters than this in its text layer counts as scanned (a scanner
#: may stamp a page number or its own name on the image).
SCANNED_BELOW = 16
#: How deep form XObjects are searched for a page's images.
_FORM_DEPTH = 3

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


def _images(resources: object, depth: int = 0) -> list[DictionaryObject]:
    """The image XObjects a page (or a form it draws) holds, in the order they are named."""
    from pypdf.generic import DictionaryObject

    found: list[DictionaryObject] = []
    resources = getattr(resources, "get_object", lambda: resources)()
    if not isinstance(resources, DictionaryObject) or depth > _FORM_DEPTH:
        return found
    xobjects = resources.get("/XObject")
    xobjects = xobjects.get_object() if xobjects is not None else None
    if not isinstance(xobjects, DictionaryObject):
        return found
    for key in xobjects:
        xobject = xobjects[key].get_object()
        if not isinstance(xobject, DictionaryObject):
            continue
        if xobject.get("/Subtype") == "/Image":
            found.append(xobject)
        elif xobject.get("/Subtype") == "/Form":
            found += _images(xobject.get("/Resources"), depth + 1)
    return found


def _ocr_page(page: PageObject, where: str, options: ocr.OcrOptions) -> str:
    """The text OCR reads in the images of one page; an image pypdf cannot decode is passed."""
    texts = []
    try:
        images = [(x, int(x.get("/Width", 0)), int(x.get("/Height", 0))) for x in _images(
            page.get("/Resources"))]  # fmt: skip
    except Exception:  # damaged resources: the page stays without text, as before OCR
        return ""
    for xobject, width, height in images:
        ocr.check_size(width, height, f"{where} (an image on it)", options)
        try:
            picture = xobject.decode_as_image()  # type: ignore[attr-defined]
        except Exception:  # JBIG2 without jbig2dec, damaged data: no text from this one
            continue
        if picture is not None:
            texts.append(ocr.read_image(picture))
    return "\n\n".join(t for t in texts if t)


def _laid_out(page: PageObject, number: int) -> list[Section] | None:
    """The page as columns and tables, or None (plain text is kept) when it has neither
    or layout mode fails on it."""
    try:
        layout = page.extract_text(extraction_mode="layout") or ""
    except Exception:  # layout mode trips on pages plain mode reads: keep plain text
        return None
    return page_sections(layout.replace("\x00", ""), number)


def parse_bytes(data: bytes, name: str, *, options: ocr.OcrOptions | None = None) -> LoadedDocument:
    """Extract each page's text, OCR scanned pages when ``options`` is given (OCR is on);
    pages without text are skipped, never an error."""
    from pypdf.errors import FileNotDecryptedError

    options = options if options is not None and ocr.installed() else None
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
        watch = PageWatch()
        try:
            text = pages[number].extract_text(
                visitor_operand_before=watch.before, visitor_text=watch.text
            )
        except FileNotDecryptedError as exc:
            raise _encrypted(name) from exc
        except Exception as exc:  # one broken page should not lose the others
            failures += 1
            first_error = first_error or exc
            continue
        split = watch.split()
        if split is not None:
            text, hidden = (part.replace("\x00", "").strip() for part in split)
            if text:
                sections.append(Section(text=text, page=number + 1))
            if hidden:
                sections.append(Section(text=hidden, page=number + 1, hidden=True))
            continue
        text = (text or "").replace("\x00", "").strip()
        if options is not None and len(text) < SCANNED_BELOW:
            text = _ocr_page(pages[number], f"{name} page {number + 1}", options) or text
        laid_out = _laid_out(pages[number], number + 1) if text else None
        if laid_out is not None:
            sections.extend(laid_out)
        elif text:
            sections.append(Section(text=text, page=number + 1))
    if count and failures == count and first_error is not None:
        raise _unreadable(name, first_error)
    return LoadedDocument(loader=NAME, sections=sections, title=_title(reader))
