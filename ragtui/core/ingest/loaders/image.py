"""Image loader: PNG, JPEG, TIFF and WebP read by offline OCR; a multi-page TIFF by page.

The picture's size comes from its header and is checked against the pixel limit before
anything is decoded (``ingest.ocr_max_megapixels``). Phone photos are turned upright by
their EXIF orientation first.
"""

from __future__ import annotations

import io
import warnings

from ragtui.core.ingest import ocr
from ragtui.core.ingest.document import LoadedDocument, LoaderError, Section, Unsupported
from ragtui.core.ingest.loaders._errors import detail

NAME = "image"
SUFFIXES = ocr.IMAGE_SUFFIXES
#: Pages of one multi-page TIFF read at most (a fax or a scanned book, not a video).
MAX_FRAMES = 1000


def _unreadable(name: str, exc: BaseException) -> LoaderError:
    return LoaderError(
        f"{name} is not a readable image ({detail(exc)}): re-save or re-export it as PNG or JPEG."
    )


def parse_bytes(data: bytes, name: str, *, options: ocr.OcrOptions | None = None) -> LoadedDocument:
    """OCR each frame of the picture; ``options`` None means OCR is off (``Unsupported``)."""
    if options is None:
        raise Unsupported(ocr.OFF)
    if not ocr.installed():
        raise Unsupported(ocr.MISSING)
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():  # the pixel limit below is ours; no stderr noise
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:  # Pillow's own cap, past twice ours by default
        raise LoaderError(
            f"{name} is an image too large to decode safely ({detail(exc)}): shrink it to read it."
        ) from exc
    except Exception as exc:  # Pillow raises many types for damaged files
        raise _unreadable(name, exc) from exc
    with picture:
        frames = min(getattr(picture, "n_frames", 1), MAX_FRAMES)
        sections = []
        for number in range(frames):
            where = f"{name} page {number + 1}" if frames > 1 else name
            try:
                picture.seek(number)
            except Exception as exc:
                raise _unreadable(where, exc) from exc
            ocr.check_size(*picture.size, where, options)
            try:
                upright = ImageOps.exif_transpose(picture)
                upright.load()
            except Exception as exc:  # cut short, bad data, unknown compression
                raise _unreadable(where, exc) from exc
            text = ocr.read_image(upright)
            if text:
                sections.append(Section(text=text, page=number + 1 if frames > 1 else None))
    return LoadedDocument(loader=NAME, sections=sections)
