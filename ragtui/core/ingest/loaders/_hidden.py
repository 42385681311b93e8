"""Text a reader does not see: the tests the loaders share, and flagging sections with it.

Hidden text is still indexed (it can be searched for) but its sections carry
``hidden=True``, so its chunks say so wherever they are shown or quoted.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable

from ragtui.core.ingest.document import Section
from ragtui.core.ingest.loaders import csv

_WHITE = frozenset({"fff", "ffffff", "white", "#fff", "#ffffff"})
_RGB_WHITE = re.compile(r"^rgba?\(\s*255\s*,\s*255\s*,\s*255\s*(,\s*1(\.0*)?\s*)?\)$")
_DISPLAY_NONE = re.compile(r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)\b")
_OPACITY_ZERO = re.compile(r"(?:^|;)\s*opacity\s*:\s*0*(?:\.0*)?\s*(?:;|$)")
_FONT_SIZE = re.compile(r"(?:^|;)\s*font-size\s*:\s*([\d.]+)\s*(px|pt|em|rem|%)?")
_COLOR = re.compile(r"(?:^|;)\s*color\s*:\s*([^;!]+)")
_TINY = {"px": 1.0, "pt": 1.0, "em": 0.1, "rem": 0.1, "%": 10.0, None: 0.0}


def is_white(color: str) -> bool:
    """Is ``color`` (a CSS or OOXML colour value) white?"""
    value = color.strip().lower().replace(" ", "")
    return value in _WHITE or bool(_RGB_WHITE.match(value))


def css_hides(style: str) -> bool:
    """Does an inline CSS ``style`` hide its text (``display:none``, ``visibility:hidden``,
    ``opacity:0``, a font size of at most 1 px, or white text on the default background)?"""
    style = style.lower()
    if _DISPLAY_NONE.search(style) or _OPACITY_ZERO.search(style):
        return True
    size = _FONT_SIZE.search(style)
    if size:
        try:
            if float(size.group(1)) <= _TINY[size.group(2)]:
                return True
        except ValueError:
            pass
    color = _COLOR.search(style)
    return bool(color and is_white(color.group(1)))


def html_hides(attrs: dict[str, str | None]) -> bool:
    """Does an HTML element's ``hidden`` attribute or inline style hide it?"""
    return "hidden" in attrs or css_hides(attrs.get("style") or "")


def flagged(sections: Iterable[Section], hidden: bool = True) -> list[Section]:
    """``sections`` with their ``hidden`` flag set to ``hidden``."""
    return [dataclasses.replace(s, hidden=hidden) for s in sections]


def sheet_sections(
    rows: list[tuple[int, int, list[str]]],
    hidden_rows: set[int],
    label: Callable[[str, str], str],
) -> list[Section]:
    """A sheet's visible rows packed as :func:`csv.table_sections` packs them, then its
    hidden rows (by first row number) flagged ``hidden``, under the same header row."""
    hidden = [row for row in rows if row[0] in hidden_rows]
    if not hidden:
        return csv.table_sections(rows, label)
    shown = [row for row in rows if row[0] not in hidden_rows]
    header = shown[:1] if len(shown) >= 2 and csv.looks_like_header(shown[0][2]) else []
    return csv.table_sections(shown, label) + flagged(csv.table_sections(header + hidden, label))
