"""Which runs of a Word paragraph a reader does not see.

A run is hidden when its formatting, direct or inherited from its character style and its
paragraph's style (and their base styles), is ``w:vanish``, a font of 1 pt or less, or
white text with no shading or highlight behind it on a white page. Styles are read from
the XML once per document.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from docx.document import Document
    from docx.text.paragraph import Paragraph

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_STYLE_DEPTH = 8
_TINY_HALF_POINTS = 2  # 1 pt
_OFF = ("0", "false", "off")


def _own(rpr: Any, ppr: Any) -> dict[str, object]:
    """The hiding-related properties one ``w:rPr`` (and ``w:pPr``) sets."""
    props: dict[str, object] = {}
    if rpr is not None:
        vanish = rpr.find(f"{_W}vanish")
        if vanish is not None:
            props["vanish"] = vanish.get(f"{_W}val", "true") not in _OFF
        size = rpr.find(f"{_W}sz")
        if size is not None and (size.get(f"{_W}val") or "").isdigit():
            props["size"] = int(size.get(f"{_W}val"))
        color = rpr.find(f"{_W}color")
        if color is not None:
            props["color"] = (color.get(f"{_W}val") or "").upper()
        if rpr.find(f"{_W}shd") is not None or rpr.find(f"{_W}highlight") is not None:
            props["shaded"] = True
    if ppr is not None and ppr.find(f"{_W}shd") is not None:
        props["shaded"] = True
    return props


class HiddenRuns:
    """Splits a document's paragraphs into the text shown and the text hidden."""

    def __init__(self, document: Document) -> None:
        self._styles: dict[str, Any] = {}
        self._default: str | None = None
        self._resolved: dict[str | None, dict[str, object]] = {None: {}}
        for style in document.styles.element.iter(f"{_W}style"):
            sid = style.get(f"{_W}styleId")
            if sid:
                self._styles[sid] = style
                default = style.get(f"{_W}default") in ("1", "true")
                if default and style.get(f"{_W}type") == "paragraph":
                    self._default = sid
        background = document.element.find(f"{_W}background")
        color = background.get(f"{_W}color") if background is not None else None
        self.white_page = color is None or color.upper() in ("FFFFFF", "AUTO")

    def _style(self, sid: str | None) -> dict[str, object]:
        """A style's properties with those of its base styles beneath them."""
        if sid in self._resolved:
            return self._resolved[sid]
        chain: list[Any] = []
        seen: set[str] = set()
        while sid and sid in self._styles and sid not in seen and len(chain) < _STYLE_DEPTH:
            seen.add(sid)
            chain.append(self._styles[sid])
            based = chain[-1].find(f"{_W}basedOn")
            sid = based.get(f"{_W}val") if based is not None else None
        props: dict[str, object] = {}
        for style in reversed(chain):
            props.update(_own(style.find(f"{_W}rPr"), style.find(f"{_W}pPr")))
        self._resolved[chain[0].get(f"{_W}styleId") if chain else sid] = props
        return props

    def _hides(self, props: dict[str, object]) -> bool:
        if props.get("vanish"):
            return True
        size = props.get("size")
        if isinstance(size, int) and size <= _TINY_HALF_POINTS:
            return True
        return props.get("color") == "FFFFFF" and self.white_page and not props.get("shaded")

    def split(self, paragraph: Paragraph) -> tuple[str, str]:
        """(visible text, hidden text) of ``paragraph``, each stripped."""
        p = paragraph._p
        ppr = p.pPr
        pstyle = ppr.find(f"{_W}pStyle") if ppr is not None else None
        sid = pstyle.get(f"{_W}val") if pstyle is not None else self._default
        base = {**self._style(sid), **_own(None, ppr)}
        shown: list[str] = []
        hidden: list[str] = []
        for item in paragraph.iter_inner_content():
            for run in item.runs if hasattr(item, "runs") else [item]:
                rpr = run._r.rPr
                rstyle = rpr.find(f"{_W}rStyle") if rpr is not None else None
                char = self._style(rstyle.get(f"{_W}val")) if rstyle is not None else {}
                props = {**base, **char, **_own(rpr, None)}
                (hidden if self._hides(props) else shown).append(run.text)
        return "".join(shown).strip(), " ".join("".join(hidden).split())
