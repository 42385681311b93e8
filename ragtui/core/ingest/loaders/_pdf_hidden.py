"""Text on a PDF page that a reader does not see, followed while pypdf extracts it.

pypdf's text visitors see each content-stream operator and each run of text it outputs.
Text is hidden when it is shown in render mode 3 (invisible), filled white, or at an
effective size under 1 pt (Type 3 fonts, sized in their own units, are not judged by
size). A page that draws an image or a shading keeps its invisible
and white text as visible: that is an OCR layer over a scan, or text on a dark picture.
White text over a filled shape that is not white is not caught (it is taken as hidden).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

_SHOW = frozenset({b"Tj", b"TJ", b"'", b'"'})
_FILL = frozenset({b"g", b"rg", b"k", b"sc", b"scn"})
_DRAWS = frozenset({b"Do", b"BI", b"sh"})
_TINY_PT = 1.0
_INVISIBLE, _WHITE, _SMALL = "invisible", "white", "tiny"


def _white(op: bytes, args: Sequence[Any]) -> bool:
    """Does a fill-colour operator set white (gray 1, RGB 1 1 1, CMYK 0 0 0 0)?"""
    try:
        values = [float(a) for a in args]
    except (TypeError, ValueError):  # a pattern name
        return False
    if op == b"k" or len(values) == 4:
        return values == [0.0] * 4
    return bool(values) and all(v == 1.0 for v in values)


def _scale(matrix: Sequence[float]) -> float:
    return math.hypot(matrix[2], matrix[3]) if len(matrix) >= 4 else 1.0


def _type3(font: Any) -> bool:
    """A Type 3 font draws glyphs in its own units: its size says nothing of theirs."""
    try:
        return bool(font) and font.get("/Subtype") == "/Type3"
    except AttributeError:
        return False


class PageWatch:
    """Visitors for one ``page.extract_text`` call; then :meth:`split` the text."""

    def __init__(self) -> None:
        self.invisible = False
        self.white = False
        self.stack: list[tuple[bool, bool]] = []
        self.shown: list[tuple[bool, bool]] = []  # state at each text-showing operator
        self.pieces: list[tuple[str, str | None]] = []  # (text, why hidden or None)
        self.draws = False

    def before(self, op: bytes, args: Sequence[Any], cm: Any, tm: Any) -> None:
        if op in _SHOW:
            self.shown.append((self.invisible, self.white))
        elif op == b"q":
            self.stack.append((self.invisible, self.white))
        elif op == b"Q" and self.stack:
            self.invisible, self.white = self.stack.pop()
        elif op == b"Tr" and args:
            self.invisible = str(args[0]) == "3"
        elif op in _FILL:
            self.white = _white(op, args)
        elif op == b"cs":
            self.white = False
        elif op in _DRAWS:
            self.draws = True

    def text(self, text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        if not text:
            return
        why = None
        if self.shown and text.strip():
            if size * _scale(tm) * _scale(cm) < _TINY_PT and not _type3(font):
                why = _SMALL
            elif all(invisible for invisible, _ in self.shown):
                why = _INVISIBLE
            elif all(white for _, white in self.shown):
                why = _WHITE
        self.shown = []
        self.pieces.append((text, why))

    def split(self) -> tuple[str, str] | None:
        """(visible, hidden) text of the page, or None when nothing on it is hidden."""
        kept = {_SMALL} if self.draws else {_SMALL, _INVISIBLE, _WHITE}
        if not any(why in kept for _, why in self.pieces):
            return None
        visible = "".join(text for text, why in self.pieces if why not in kept)
        visible = "\n".join(line for line in visible.split("\n") if line.strip())
        hidden = " ".join(" ".join(t for t, why in self.pieces if why in kept).split())
        return visible, hidden
