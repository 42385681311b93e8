r"""LaTeX loader: sections at ``\part`` .. ``\subparagraph``, with the heading path.

The source is turned into the text a reader of the typeset document sees, line by line,
so a section's line range is the one an editor shows: markup commands go and their text
stays (``\emph{word}`` → ``word``), accents and quotes become characters, labels,
references, citations and index entries go, and verbatim environments are kept as they
are. Comments (``%``), ``comment`` environments, ``\iffalse`` blocks and the preamble,
none of which the reader sees, are left out; ``\title`` becomes the document's title.
This is a reading aid, not a TeX engine: macros are not expanded.
"""

from __future__ import annotations

import re
import unicodedata

from ragtui.core.ingest.document import LoadedDocument
from ragtui.core.ingest.loaders._decode import decode_text
from ragtui.core.ingest.sections import sections_from_headings, split_lines

NAME = "latex"
SUFFIXES = frozenset({".tex", ".latex"})

_LEVELS = {
    "part": 0, "chapter": 1, "section": 2, "subsection": 3, "subsubsection": 4,
    "paragraph": 5, "subparagraph": 6,
}  # fmt: skip
_HEADING = re.compile(r"\\(" + "|".join(_LEVELS) + r")\*?[ \t]*(?:\[[^\]]*\])?[ \t]*\{")
_TITLE = re.compile(r"\\title[ \t]*(?:\[[^\]]*\])?[ \t]*\{")
_VERBATIM = re.compile(r"\\begin\{(verbatim|Verbatim|lstlisting|minted|alltt|comment)\*?\}")
_BEGIN_DOCUMENT = re.compile(r"\\begin\{document\}")
_END_DOCUMENT = re.compile(r"\\end\{document\}")
_IFFALSE = re.compile(r"^[ \t]*\\iffalse\b")
_FI = re.compile(r"^[ \t]*\\fi\b")
_COMMENT = re.compile(r"(?<!\\)((?:\\\\)*)%.*$")
# Commands whose arguments a reader never sees.
_DROP = re.compile(
    r"\\(?:label|index|ref|eqref|pageref|autoref|cref|Cref|cite[a-z]*|nocite|vspace|hspace|"
    r"includegraphics|bibliography|bibliographystyle|input|include|usepackage|newpage|"
    r"setlength|addtocounter|setcounter|hypersetup|pagestyle|thispagestyle|pagenumbering|"
    r"addcontentsline|markboth|markright|chaptermark|sectionmark|newcommand|renewcommand|"
    r"providecommand|newenvironment|renewenvironment|documentclass|enlargethispage|color|"
    r"fontsize|linespread)\*?"
    r"(?:[ \t]*\[[^\]]*\])*(?:[ \t]*\{[^{}]*\})*"
)
_ENVIRONMENT = re.compile(r"\\(?:begin|end)[ \t]*\{[^}]*\}(?:[ \t]*\[[^\]]*\])?")
_HREF = re.compile(r"\\href[ \t]*\{[^{}]*\}")
_FOOTNOTE = re.compile(r"\\footnote(?![A-Za-z])(?:[ \t]*\[[^\]]*\])?")
_ITEM = re.compile(r"\\item\b[ \t]*(?:\[([^\]]*)\])?[ \t]*")
_ACCENT = re.compile(
    r"\\([`'^\"~=.]|[cuvHk](?=[ \t{]))[ \t]*(?:\{[ \t]*(\\?[A-Za-z])[ \t]*\}|(\\?[A-Za-z]))"
)
_MARKS = {
    "`": "\u0300", "'": "\u0301", "^": "\u0302", '"': "\u0308", "~": "\u0303",
    "=": "\u0304", ".": "\u0307", "c": "\u0327", "u": "\u0306", "v": "\u030c",
    "H": "\u030b", "k": "\u0328",
}  # fmt: skip
_SYMBOLS = {
    r"\ldots": "…", r"\dots": "…", r"\LaTeXe": "LaTeX2e", r"\LaTeX": "LaTeX", r"\TeX": "TeX",
    r"\ss": "ß", r"\ae": "æ", r"\AE": "Æ", r"\oe": "œ", r"\OE": "Œ", r"\o": "ø", r"\O": "Ø",
    r"\aa": "å", r"\AA": "Å", r"\l": "ł", r"\L": "Ł", r"\i": "ı", r"\pounds": "£",
    r"\S": "§", r"\P": "¶", r"\copyright": "©", r"\textbackslash": "\\", r"\today": "",
}  # fmt: skip
_SYMBOL = re.compile(
    "|".join(re.escape(k) + r"(?![A-Za-z])" for k in sorted(_SYMBOLS, key=len, reverse=True))
)
_ESCAPED = re.compile(r"\\([&%$#_{}])")
_COMMAND = re.compile(r"\\[A-Za-z@]+\*?|\\[,;:!> ()\[\]]")
_LINEBREAK = re.compile(r"\\\\(?:\*?\[[^\]]*\])?")
_SPACES = re.compile(r"[ \t]{2,}")
_HEADING_LINES = 6  # a heading's braces may run on over a few lines


def _accent(match: re.Match[str]) -> str:
    letter = (match.group(2) or match.group(3) or "").lstrip("\\")
    letter = {"i": "i", "j": "j"}.get(letter, letter)
    return unicodedata.normalize("NFC", letter + _MARKS[match.group(1)])


def plain(line: str) -> str:
    """One line of LaTeX as the text a reader sees (comments already removed)."""
    line = _DROP.sub("", line)
    line = _ENVIRONMENT.sub("", line)
    line = _HREF.sub("", line)
    line = _FOOTNOTE.sub(" ", line)
    line = _ITEM.sub(lambda m: f"- {m.group(1)} " if m.group(1) else "- ", line)
    line = _LINEBREAK.sub(" ", line)
    line = _ACCENT.sub(_accent, line)
    line = _SYMBOL.sub(lambda m: _SYMBOLS[m.group(0)], line)
    line = line.replace("---", "—").replace("--", "–").replace("``", "“").replace("''", "”")
    line = line.replace("~", " ")
    line = _ESCAPED.sub(lambda m: "\x00" + m.group(1), line)  # keep escaped braces
    line = _COMMAND.sub("", line)
    line = line.replace("{", "").replace("}", "").replace("$", "")
    line = line.replace("\x00", "")
    return _SPACES.sub(" ", line).rstrip()


def _braced(text: str, start: int) -> tuple[str, int] | None:
    """The text inside the braces opened just before ``start`` and the index after them."""
    depth = 1
    for i in range(start, len(text)):
        char = text[i]
        if char == "\\":
            continue
        if char == "{" and (i == 0 or text[i - 1] != "\\"):
            depth += 1
        elif char == "}" and (i == 0 or text[i - 1] != "\\"):
            depth -= 1
            if depth == 0:
                return text[start:i], i + 1
    return None


def _uncomment(lines: list[str]) -> list[tuple[str, bool]]:
    """Each line with comments, the preamble, ``comment`` environments and ``\\iffalse``
    blocks blanked, and whether it is verbatim (kept as it is)."""
    begin = next((i for i, line in enumerate(lines) if _BEGIN_DOCUMENT.search(line)), None)
    out: list[tuple[str, bool]] = []
    verbatim: str | None = None
    hidden = 0  # \iffalse depth
    ended = False
    for i, line in enumerate(lines):
        if verbatim is not None:
            if f"\\end{{{verbatim}" in line:
                verbatim = None
                out.append(("", False))
            else:
                out.append(("" if verbatim == "comment" else line, True))
            continue
        if ended or (begin is not None and i <= begin):
            out.append(("", False))
            continue
        if hidden:
            hidden += 1 if _IFFALSE.match(line) else 0
            hidden -= 1 if _FI.match(line) else 0
            out.append(("", False))
            continue
        if _IFFALSE.match(line):
            hidden = 1
            out.append(("", False))
            continue
        code = _COMMENT.sub(r"\1", line)
        closing = _END_DOCUMENT.search(code)
        if closing:
            ended = True
            code = code[: closing.start()]
        opened = _VERBATIM.search(code)
        if opened:
            verbatim = opened.group(1)
            out.append((code[: opened.start()], False))
            continue
        out.append((code, False))
    return out


def clean(lines: list[str]) -> tuple[list[str], list[tuple[int, int, str]], str | None]:
    """(the reader's text line by line, headings, ``\\title``)."""
    title = None
    for line in lines:
        found = _TITLE.search(_COMMENT.sub(r"\1", line))
        if found:
            inner = _braced(line, found.end())
            title = " ".join(plain(inner[0]).split()) if inner else None
            break
    marked = _uncomment(lines)
    source = [line for line, _ in marked]
    out: list[str] = []
    headings: list[tuple[int, int, str]] = []
    skip_to = -1
    for i, line in enumerate(source):
        if i <= skip_to:
            continue
        if marked[i][1]:
            out.append(line.rstrip())
            continue
        match = _HEADING.search(line)
        if match:
            joined = "\n".join(source[i : i + _HEADING_LINES])
            inner = _braced(joined, match.end())
            if inner is not None:
                text = " ".join(plain(inner[0].replace("\n", " ")).split())
                level = _LEVELS[match.group(1)]
                used = joined[: inner[1]].count("\n")
                rest = joined[inner[1] :].split("\n", 1)[0]
                before = plain(line[: match.start()]).strip()
                out.append(" ".join(p for p in (before, text, plain(rest).strip()) if p))
                out.extend([""] * used)
                skip_to = i + used
                if text:
                    headings.append((i, level, text))
                continue
        out.append(plain(line))
    return out, headings, title


def parse_bytes(data: bytes, name: str) -> LoadedDocument:
    """Decode a LaTeX file and split it into one section per sectioning command."""
    text, encoding = decode_text(data, name)
    lines, headings, title = clean(split_lines(text))
    sections = sections_from_headings(lines, 0, headings)
    return LoadedDocument(loader=NAME, sections=sections, title=title, encoding=encoding)
