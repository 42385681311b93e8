"""HTML loader built on the stdlib parser: visible text split at ``h1``..``h6``."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from ragtui.core.ingest.document import LoadedDocument, LoaderError, Section
from ragtui.core.ingest.entries import split_entries
from ragtui.core.ingest.loaders._decode import decode_text
from ragtui.core.ingest.loaders._errors import detail

NAME = "html"
SUFFIXES = frozenset({".html", ".htm", ".xhtml"})

_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head"})
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
# Elements that end a paragraph (blank line) or a line.
_PARAGRAPH = frozenset(
    {
        "p", "div", "pre", "table", "ul", "ol", "dl", "blockquote", "section", "article",
        "header", "footer", "nav", "main", "aside", "figure", "figcaption", "form",
        "fieldset", "address", "hr", "body", "center", "details", "summary",
    }
)  # fmt: skip
_LINE = frozenset({"li", "tr", "br", "dt", "dd", "caption", "option", "legend"})
_CELLS = frozenset({"td", "th"})
_HEAD_ONLY = frozenset({"meta", "link", "base", "object", "title"} | _SKIP - {"svg"})
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.\-]+)""")
_SPACE = re.compile(r"\s+")


def declared_charset(data: bytes) -> str | None:
    """Return the charset from an XML declaration or ``<meta>`` near the start, if any."""
    head = data[:4096]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


class _TextExtractor(HTMLParser):
    """Collects visible text as Sections cut at headings."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: str | None = None
        self.sections: list[Section] = []
        self._skip: list[str] = []  # open elements whose content is dropped
        self._in_title = False
        self._title_parts: list[str] = []
        self._pre = 0
        self._pre_start = 0
        self._inline: list[str] = []  # text of the current line, whitespace not yet collapsed
        self._has_text = False  # does _inline hold anything but whitespace?
        self._lines: list[str] = []  # finished lines of the current section ("" = blank)
        self._heading_level: int | None = None
        self._heading_parts: list[str] = []
        self._path: list[tuple[int, str]] = []

    # -- text assembly ---------------------------------------------------------------
    def _end_line(self) -> None:
        self._has_text = False
        if self._pre:  # verbatim, blank lines included
            self._lines.append("".join(self._inline).rstrip())
            self._inline = []
            return
        text = _SPACE.sub(" ", "".join(self._inline)).strip()
        self._inline = []
        if text:
            self._lines.append(text)

    def _end_paragraph(self) -> None:
        self._end_line()
        if self._lines and self._lines[-1]:
            self._lines.append("")

    def _end_section(self) -> None:
        self._end_paragraph()
        text = "\n".join(self._lines).strip()
        self._lines = []
        if text:
            heading = tuple(t for _, t in self._path)
            self.sections.append(Section(text=text, heading=heading))

    # -- parser callbacks --------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title" and all(open_tag == "head" for open_tag in self._skip):
            self._in_title = True  # the document title, not an <svg> one
            return
        if self._in_title and tag not in _HEAD_ONLY:  # an unclosed <title> ends here
            self.handle_endtag("title")
        if tag in _SKIP:
            self._skip.append(tag)
            return
        if self._skip and self._skip[-1] == "head" and tag not in _HEAD_ONLY:
            self._close_skip("head")  # <body> or body content ends an unclosed <head>
        if self._skip:
            return
        self._start_block(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._skip and tag not in _SKIP:
            self._start_block(tag)

    def _start_block(self, tag: str) -> None:
        if tag in _HEADINGS:
            if self._heading_level is None:
                self._end_section()
                self._heading_level = _HEADINGS[tag]
                self._heading_parts = []
        elif tag == "pre":
            self._end_paragraph()
            if not self._pre:
                self._pre_start = len(self._lines)
            self._pre += 1
        elif tag in _PARAGRAPH:
            self._end_paragraph()
        elif tag in _LINE:
            self._end_line()
        elif tag in _CELLS and self._has_text:
            self._inline.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._in_title:
            self._in_title = False
            title = _SPACE.sub(" ", "".join(self._title_parts)).strip()
            self._title_parts = []
            if title and self.title is None:
                self.title = title
            return
        if tag in _SKIP:
            self._close_skip(tag)
            return
        if self._skip:
            return
        if tag in _HEADINGS and self._heading_level is not None:
            text = _SPACE.sub(" ", "".join(self._heading_parts)).strip()
            level = self._heading_level
            self._heading_level = None
            if text:
                while self._path and self._path[-1][0] >= level:
                    self._path.pop()
                self._path.append((level, text))
                self._lines.append(text)
                self._lines.append("")
        elif tag == "pre" and self._pre:
            self._end_line()
            self._pre -= 1
            if not self._pre:  # drop blank lines at either end of the block
                block = self._lines[self._pre_start :]
                while block and not block[-1].strip():
                    block.pop()
                while block and not block[0].strip():
                    block.pop(0)
                self._lines[self._pre_start :] = block
            self._end_paragraph()
        elif tag in _PARAGRAPH:
            self._end_paragraph()
        elif tag in _LINE:
            self._end_line()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title_parts.append(data)
            return
        if self._skip:
            return
        if self._heading_level is not None:
            self._heading_parts.append(data)
            return
        if self._pre:
            for n, piece in enumerate(data.split("\n")):
                if n:
                    self._end_line()
                self._inline.append(piece)
        else:
            self._inline.append(data)
        self._has_text = self._has_text or not data.isspace()

    def _close_skip(self, tag: str) -> None:
        if tag in self._skip:
            while self._skip:
                if self._skip.pop() == tag:
                    break

    def finish(self) -> None:
        """Flush what is left after ``close()``."""
        self._in_title = False
        if self._heading_level is not None:  # unclosed heading: keep its text as body
            self._inline.extend(self._heading_parts)
            self._heading_level = None
        self._end_section()


def parse_bytes(data: bytes, name: str) -> LoadedDocument:
    """Decode HTML (honouring a declared charset) and extract its visible text."""
    text, encoding = decode_text(data, name, hint=declared_charset(data))
    parser = _TextExtractor()
    try:
        parser.feed(text)
        parser.close()
    except Exception as exc:  # HTMLParser is lenient, but never let a bad file escape
        raise LoaderError(f"{name} is not readable HTML ({detail(exc)}): re-save it.") from exc
    parser.finish()
    sections = [part for section in parser.sections for part in split_entries(section)]
    return LoadedDocument(loader=NAME, sections=sections, title=parser.title, encoding=encoding)
