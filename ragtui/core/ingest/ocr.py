"""Offline OCR: the text of a picture, read by the PP-OCR models that the
``rapidocr-onnxruntime`` package ships inside its wheel (no download, ever).

The engine is built on the first picture, never at start-up, and runs on the onnxruntime
ragtui already has; this module lives under :mod:`ragtui.core`, so onnxruntime's telemetry
is off before it loads. Pictures are measured from their header and refused over the
pixel limit before any is decoded, so one huge image cannot take the machine's memory.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ragtui.core.ingest.document import LoaderError

if TYPE_CHECKING:
    from PIL.Image import Image

PACKAGE = "rapidocr-onnxruntime"
#: The picture files OCR reads (the image loader's, and ``--type image`` in search).
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp"})
#: The release whose bundled models ragtui was measured with (see README, "Scanned pages").
VERSION = "1.4.4"
#: Why a picture was not read, as told in the index report (and recognised on the next run).
OFF = "OCR is off (ingest.ocr = false): set ingest.ocr = true to read the text of images"
MISSING = (
    f"OCR needs the {PACKAGE} package: install it with "
    f"`pip install --no-deps {PACKAGE}=={VERSION}` (see the README)"
)
SKIP_REASONS = frozenset({OFF, MISSING})


@dataclass(frozen=True, slots=True)
class OcrOptions:
    """How pictures are read: the largest one (in pixels) OCR will decode."""

    max_pixels: int = 50_000_000


def installed() -> bool:
    """Whether the OCR package and its OpenCV are importable (nothing is imported)."""
    return all(importlib.util.find_spec(m) is not None for m in ("rapidocr_onnxruntime", "cv2"))


def skip_reason(enabled: bool) -> str | None:
    """Why pictures are left unread with OCR ``enabled`` as set, or None when they are read."""
    if not enabled:
        return OFF
    return None if installed() else MISSING


def check_size(width: int, height: int, where: str, options: OcrOptions) -> None:
    """Refuse a picture over the pixel limit, from its declared size alone."""
    if width * height > options.max_pixels:
        raise LoaderError(
            f"{where} is a {width}×{height}-pixel image ({width * height / 1e6:.0f} megapixels), "
            f"over the {options.max_pixels / 1e6:g}-megapixel limit set by "
            "ingest.ocr_max_megapixels: raise it to read this image, or shrink the image."
        )


_lock = threading.Lock()
_engine: Any = None
_listener: Callable[[], None] | None = None


def listen(listener: Callable[[], None] | None) -> None:
    """Have ``listener`` called before each picture is read (the reader process tells its
    parent that a file needs OCR's longer time limit)."""
    global _listener
    _listener = listener


def _load_engine() -> Any:
    """The shared RapidOCR engine, built once; its chatty loggers are silenced."""
    global _engine
    if _engine is None:
        from rapidocr_onnxruntime import RapidOCR
        from rapidocr_onnxruntime.utils.logger import get_logger

        for name in ("RapidOCR", "OrtInferSession"):  # each adds a DEBUG handler on stderr
            quiet = get_logger(name)
            quiet.handlers.clear()
            quiet.addHandler(logging.NullHandler())
            quiet.propagate = False
        # The angle classifier only matters for upside-down lines, and it flips good ones.
        _engine = RapidOCR(use_cls=False, print_verbose=False)
    return _engine


def read_image(image: Image) -> str:
    """The text of a decoded picture, a line per visual line, a blank line between blocks."""
    import numpy as np

    if _listener is not None:
        _listener()
    pixels = np.asarray(_flatten(image))
    with _lock:
        found, _timings = _load_engine()(pixels)
    return layout(found or [])


def _flatten(image: Image) -> Image:
    """RGB on white: transparency would otherwise turn a page black."""
    from PIL import Image as PILImage

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        page = PILImage.new("RGB", rgba.size, (255, 255, 255))
        page.paste(rgba, mask=rgba.getchannel("A"))
        return page
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")  # 16-bit scans
    return image.convert("RGB")


def layout(found: list[Any]) -> str:
    """Join recognised boxes (``[box, text, score]``, top to bottom) into lines and blocks."""
    lines: list[tuple[float, float, list[tuple[float, str]]]] = []  # (centre, height, words)
    for box, text, _score in found:
        ys = [point[1] for point in box]
        xs = [point[0] for point in box]
        top, bottom = min(ys), max(ys)
        centre, height = (top + bottom) / 2, max(bottom - top, 1.0)
        if lines and abs(centre - lines[-1][0]) < min(height, lines[-1][1]) / 2:
            lines[-1][2].append((min(xs), text))
        else:
            lines.append((centre, height, [(min(xs), text)]))
    out: list[str] = []
    for number, (centre, height, words) in enumerate(lines):
        if number and centre - lines[number - 1][0] > 2.2 * max(height, lines[number - 1][1]):
            out.append("")
        out.append(" ".join(text.strip() for _x, text in sorted(words)))
    return "\n".join(out).strip()
