"""Rich Text Format loader: a small RTF-to-text reader, the whole document as one section.

It follows groups and control words: ``\\par`` and ``\\line`` end lines, ``\\tab`` is a
tab, ``\\cell`` and ``\\row`` lay a table out a row per line (cells joined with `` | ``),
``\\'hh`` is a byte in the document's code page (or its font's character set), ``\\uN``
a Unicode character (its ``\\ucN`` fallback characters skipped), and the typographic
words (``\\emdash``, ``\\lquote`` …) their characters. What a reader never sees is left
out: the font, colour and style tables, ``\\*`` destinations, pictures, embedded objects,
field instructions (a field's result is kept), headers, footers and comments. The
document's ``\\info`` title becomes its title. Hidden text (``\\v``, or a font of 1 pt or
less) is gathered into a second section flagged ``hidden``.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, replace

from ragtui.core.ingest.document import LoadedDocument, LoaderError, Section

NAME = "rtf"
SUFFIXES = frozenset({".rtf"})

_MAX_DEPTH = 512
_TOKEN = re.compile(
    r"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?"  # control word, its parameter, one delimiting space
    r"|\\'([0-9a-fA-F]{2})"  # a byte in the code page
    r"|\\([^a-zA-Z'])"  # control symbol (also \ newline, a paragraph)
    r"|([{}])"
    r"|[\r\n]+"  # raw line ends are not text
    r"|([^\\{}\r\n]+)",
    re.DOTALL,
)
#: Destinations whose text a reader never sees.
_SKIP = frozenset(
    {
        "fonttbl",
        "colortbl",
        "stylesheet",
        "listtable",
        "listoverridetable",
        "revtbl",
        "rsidtbl",
        "xmlnstbl",
        "themedata",
        "colorschememapping",
        "latentstyles",
        "datastore",
        "generator",
        "filetbl",
        "pgdsctbl",
        "pict",
        "objdata",
        "fldinst",
        "header",
        "headerl",
        "headerr",
        "headerf",
        "footer",
        "footerl",
        "footerr",
        "footerf",
        "annotation",
        "atnid",
        "atnauthor",
        "atndate",
        "atnref",
        "nonshppict",
        "sp",
        "pntxta",
        "pntxtb",
        "bkmkstart",
        "bkmkend",
        "template",
        "docvar",
        "falt",
        "mmathPr",
        "userprops",
    }
)  # fmt: skip
_TEXT_WORDS = {
    "par": "\n",
    "line": "\n",
    "sect": "\n",
    "page": "\n",
    "row": "\n",
    "tab": "\t",
    "cell": " | ",
    "nestcell": " | ",
    "emdash": "\u2014",
    "endash": "\u2013",
    "emspace": " ",
    "enspace": " ",
    "qmspace": " ",
    "bullet": "\u2022",
    "lquote": "\u2018",
    "rquote": "\u2019",
    "ldblquote": "\u201c",
    "rdblquote": "\u201d",
}
_SYMBOLS = {"~": "\u00a0", "-": "", "_": "\u2011", "\n": "\n", "\r": "\n"}
_CHARSETS = {
    77: "mac_roman", 128: "cp932", 129: "cp949", 130: "johab", 134: "cp936", 136: "cp950",
    161: "cp1253", 162: "cp1254", 163: "cp1258", 177: "cp1255", 178: "cp1256",
    186: "cp1257", 204: "cp1251", 222: "cp874", 238: "cp1250",
}  # fmt: skip
_CELL_END = re.compile(r"[ \t]*\|[ \t]*$", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True, slots=True)
class _State:
    """What a group inherits: where its text goes, its Unicode fallback length, its font."""

    dest: str = ""  # "" the document, "title", "info" or "skip"
    uc: int = 1
    font: int | None = None
    vanish: bool = False  # \v
    tiny: bool = False  # a font of 1 pt or less

    @property
    def hidden(self) -> bool:
        return self.vanish or self.tiny


def _codec(name: str, fallback: str = "cp1252") -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return fallback


class _Reader:
    def __init__(self, name: str) -> None:
        self.name = name
        self.out: list[str] = []
        self.hidden: list[str] = []
        self.title: list[str] = []
        self.pending = bytearray()
        self.codepage = "cp1252"
        self.fonts: dict[int, str] = {}
        self.font_number: int | None = None  # the font being declared in the font table
        self.state = _State()
        self.stack: list[_State] = []
        self.skip_chars = 0  # \uN fallback characters still to drop

    def emit(self, text: str) -> None:
        self.flush()
        self.put(text)

    def put(self, text: str) -> None:
        """Send decoded text where the current group's goes."""
        if self.state.dest == "" and self.state.hidden:
            self.hidden.append(text)
        elif self.state.dest == "":
            if self.hidden and self.hidden[-1] != "\n":
                self.hidden.append("\n")  # visible text between two hidden runs
            self.out.append(text)
        elif self.state.dest == "title":
            self.title.append(text)

    def flush(self) -> None:
        if self.pending:
            font = self.state.font
            codepage = self.fonts.get(font, self.codepage) if font is not None else self.codepage
            text = bytes(self.pending).decode(codepage, errors="replace")
            self.pending.clear()
            self.put(text)

    def byte(self, value: int) -> None:
        if self.skip_chars:
            self.skip_chars -= 1
        elif self.state.dest in ("", "title"):
            self.pending.append(value)

    def word(self, word: str, param: int | None) -> None:
        state = self.state
        if word in _SKIP:
            self.state = replace(state, dest="skip")
        elif word == "info":
            self.state = replace(state, dest="info")
        elif word == "title" and state.dest == "info":
            self.state = replace(state, dest="title")
        elif word == "v":
            self.flush()
            self.state = replace(state, vanish=param != 0)
        elif word == "fs":
            self.flush()
            self.state = replace(state, tiny=param is not None and param <= 2)
        elif word == "plain":
            self.flush()
            self.state = replace(state, vanish=False, tiny=False)
        elif word == "uc" and param is not None:
            self.state = replace(state, uc=max(param, 0))
        elif word == "u" and param is not None:
            code = param + 65536 if param < 0 else param  # a signed 16-bit number
            self.emit(chr(code) if 0 <= code <= 0x10FFFF else "\ufffd")
            self.skip_chars = state.uc
            return
        elif word == "ansicpg" and param is not None:
            self.codepage = _codec(f"cp{param}")
        elif word in ("mac", "pc", "pca"):
            self.codepage = {"mac": "mac_roman", "pc": "cp437", "pca": "cp850"}[word]
        elif word == "f" and param is not None:
            self.flush()
            self.font_number = param
            self.state = replace(self.state, font=param)
        elif word == "fcharset" and param is not None and self.font_number is not None:
            if param in _CHARSETS:
                self.fonts[self.font_number] = _codec(_CHARSETS[param])
        elif word in _TEXT_WORDS:
            self.emit(_TEXT_WORDS[word])
        self.skip_chars = 0

    def text(self, run: str) -> None:
        if self.skip_chars:
            dropped = min(self.skip_chars, len(run))
            run = run[dropped:]
            self.skip_chars -= dropped
        if not run:
            return
        if run.isascii():
            self.emit(run)
        elif self.state.dest in ("", "title"):  # raw 8-bit text: bytes in the code page
            self.pending.extend(run.encode("latin-1"))

    def open(self) -> None:
        self.flush()
        if len(self.stack) >= _MAX_DEPTH:
            raise LoaderError(
                f"{self.name} nests its groups more than {_MAX_DEPTH} deep, which no word "
                "processor writes: open it in a word processor and save it again as RTF."
            )
        self.stack.append(self.state)
        self.skip_chars = 0

    def close(self) -> bool:
        """Close a group; True when it was the document's outermost one."""
        self.flush()
        self.state = self.stack.pop()
        self.skip_chars = 0
        return not self.stack

    def read(self, source: str) -> None:
        position, end = 0, len(source)
        while position < end:
            match = _TOKEN.match(source, position)
            if match is None:  # a backslash at the very end
                break
            position = match.end()
            word, param, hexbyte, symbol, brace, run = match.groups()
            if word is not None:
                number = int(param) if param is not None else None
                if word == "bin" and number:  # raw binary data follows: skip it
                    position += max(number, 0)
                    continue
                self.word(word, number)
            elif hexbyte is not None:
                self.byte(int(hexbyte, 16))
            elif symbol is not None:
                if symbol == "*":
                    self.state = replace(self.state, dest="skip")
                elif symbol in _SYMBOLS:
                    self.emit(_SYMBOLS[symbol])
                else:  # \\ \{ \} and anything else: the character itself
                    self.text(symbol)
            elif brace == "{":
                self.open()
            elif brace == "}":
                if not self.stack:
                    break
                if self.close():
                    return
            elif run is not None:
                self.text(run)
        self.flush()
        raise LoaderError(
            f"{self.name} ends with {len(self.stack)} group(s) still open, so it is cut short "
            "or damaged: open it in a word processor and save it again as RTF."
        )


def _tidy(text: str) -> str:
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", errors="replace")
    text = _CELL_END.sub("", text.replace("\u00a0", " "))
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def parse_bytes(data: bytes, name: str) -> LoadedDocument:
    """Read an ``.rtf`` file; one that is not RTF or is cut short is a LoaderError."""
    source = data.decode("latin-1").lstrip("\ufeff\r\n\t ")
    if source.startswith("ï»¿"):  # a UTF-8 byte order mark
        source = source[3:]
    if not source.startswith("{\\rtf"):
        raise LoaderError(
            f"{name} is not an RTF file (it does not start with {{\\rtf): open it in a word "
            "processor and save it again as RTF."
        )
    reader = _Reader(name)
    reader.read(source)
    text = _tidy("".join(reader.out))
    hidden = _tidy("".join(reader.hidden))
    title = " ".join(_tidy("".join(reader.title)).split()) or None
    sections = [Section(text=text)] if text else []
    if hidden:
        sections.append(Section(text=hidden, hidden=True))
    return LoadedDocument(loader=NAME, sections=sections, title=title)
