"""Source code loader: one Section per top-level definition, found with per-language regexes.

Only lines starting at column 0 are considered, which keeps this cheap and good enough
for chunking; comments and decorators/attributes directly above a definition belong to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

from ragtui.core.ingest.document import LoadedDocument, Section
from ragtui.core.ingest.loaders._decode import decode_text
from ragtui.core.ingest.sections import make_section, pack_blocks, split_lines

NAME = "code"
BLOCK_CHARS = 4000


@dataclass(frozen=True, slots=True)
class _Language:
    """How to spot top-level definitions in one language."""

    definitions: tuple[re.Pattern[str], ...] = ()
    decorator: re.Pattern[str] | None = None
    comment: re.Pattern[str] | None = None
    c_like: bool = False  # also split at column-0 lines ending in "{" (best effort)


def _re(*patterns: str, flags: int = 0) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, flags) for p in patterns)


_C_COMMENT = re.compile(r"^(?://|/\*|[ \t]*\*)")
_HASH_COMMENT = re.compile(r"^#(?!!)")
_DASH_COMMENT = re.compile(r"^--")
_MODS = (
    r"(?:(?:public|private|protected|internal|open|fileprivate|static|final|inline|"
    r"suspend|override|abstract|sealed|data|export|async|partial|unsafe|virtual|extern|"
    r"readonly|enum|case|implicit|lazy|operator|infix|tailrec)[ \t]+)*"
)
_NO_SEMICOLON = r"(?!.*;[ \t]*(?://.*)?$)"  # declarations and prototypes are not definitions
_C_FAMILY_DEFS = _re(
    _NO_SEMICOLON + _MODS + r"(?:class|struct|interface|enum|record|object|trait|protocol|"
    r"extension|namespace|union|module)[ \t]+(?P<name>[\w$.]+)",
    _NO_SEMICOLON + _MODS + r"(?:fun|func|def|function)[ \t]+(?:<[^>]*>[ \t]*)?(?:[\w.]+\.)?"
    r"(?P<name>\w+)",
)

_PYTHON = _Language(
    definitions=_re(r"^(?:async[ \t]+def|def|class)[ \t]+(?P<name>\w+)"),
    decorator=re.compile(r"^@"),
    comment=_HASH_COMMENT,
)
_RUST = _Language(
    definitions=_re(
        r"^(?:pub(?:\([^)]*\))?[ \t]+)?"
        r"(?:(?:async|const|unsafe|default|extern(?:[ \t]+\"[^\"]*\")?)[ \t]+)*"
        r"fn[ \t]+(?P<name>\w+)",
        r"^(?:pub(?:\([^)]*\))?[ \t]+)?(?:unsafe[ \t]+)?(?:struct|enum|union|trait)[ \t]+"
        r"(?P<name>\w+)",
        r"^(?:pub(?:\([^)]*\))?[ \t]+)?mod[ \t]+(?P<name>\w+)[ \t]*\{",
        r"^(?:unsafe[ \t]+)?(?P<name>impl\b[^{;]*?)[ \t]*(?:\{.*)?$",
        r"^macro_rules![ \t]*(?P<name>\w+)",
    ),
    decorator=re.compile(r"^#\["),
    comment=re.compile(r"^(?://(?!!)|/\*|[ \t]*\*)"),
)
_GO = _Language(
    definitions=_re(
        r"^func[ \t]*(?:\([^)]*\)[ \t]*)?(?P<name>\w+)",
        r"^type[ \t]+(?P<name>\w+)",
        r"^type[ \t]*\(",
    ),
    comment=_C_COMMENT,
)
_JS = _Language(
    definitions=_re(
        r"^(?:export[ \t]+(?:default[ \t]+)?)?(?:declare[ \t]+)?(?:async[ \t]+)?function\b\*?"
        r"[ \t]*(?P<name>[\w$]+)?",
        r"^(?:export[ \t]+(?:default[ \t]+)?)?(?:declare[ \t]+)?(?:abstract[ \t]+)?class\b"
        r"[ \t]*(?P<name>[\w$]+)?",
        r"^(?:export[ \t]+)?(?:declare[ \t]+)?(?:const[ \t]+)?(?:interface|type|enum|namespace)"
        r"[ \t]+(?P<name>[\w$]+)",
        r"^(?:export[ \t]+)?(?:const|let|var)[ \t]+(?P<name>[\w$]+)[ \t]*(?::[^=]+)?=[ \t]*"
        r"(?:async[ \t]+)?(?:\(|function\b|[\w$]+[ \t]*=>)",
        r"^export[ \t]+default\b",
    ),
    decorator=re.compile(r"^@"),
    comment=_C_COMMENT,
)
_C_FAMILY = _Language(
    definitions=_C_FAMILY_DEFS,
    decorator=re.compile(r"^(?:@|\[[A-Z]|template\b)"),
    comment=_C_COMMENT,
    c_like=True,
)
_RUBY = _Language(
    definitions=_re(r"^(?:def|class|module)[ \t]+(?P<name>[\w:.?!=]+)"),
    comment=_HASH_COMMENT,
)
_SHELL = _Language(
    definitions=_re(
        r"^function[ \t]+(?P<name>[\w.:-]+)",
        r"^(?P<name>[\w.:-]+)[ \t]*\(\)",
    ),
    comment=_HASH_COMMENT,
)
_LUA = _Language(
    definitions=_re(
        r"^(?:local[ \t]+)?function[ \t]+(?P<name>[\w.:]+)",
        r"^(?:local[ \t]+)?(?P<name>[\w.]+)[ \t]*=[ \t]*function\b",
    ),
    comment=_DASH_COMMENT,
)
_R = _Language(
    definitions=_re(r"^(?P<name>[\w.]+)[ \t]*(?:<-|=)[ \t]*function\b"),
    comment=_HASH_COMMENT,
)
_SQL = _Language(
    definitions=_re(
        r"^(?:create|alter)[ \t]+(?:or[ \t]+replace[ \t]+)?(?:(?:temp|temporary|unique|"
        r"materialized)[ \t]+)*(?:table|view|function|procedure|index|trigger|type|schema|"
        r"sequence|domain)[ \t]+(?:if[ \t]+not[ \t]+exists[ \t]+)?(?P<name>[\w.\"`\[\]]+)",
        flags=re.IGNORECASE,
    ),
    comment=_DASH_COMMENT,
)
_DATA = None  # formats without definitions: cut into plain blocks

_LANGUAGES: dict[str, _Language | None] = {
    ".py": _PYTHON, ".pyi": _PYTHON, ".rs": _RUST, ".go": _GO,
    ".js": _JS, ".jsx": _JS, ".ts": _JS, ".tsx": _JS,
    ".java": _C_FAMILY, ".kt": _C_FAMILY, ".c": _C_FAMILY, ".h": _C_FAMILY,
    ".cc": _C_FAMILY, ".cpp": _C_FAMILY, ".hpp": _C_FAMILY, ".cs": _C_FAMILY,
    ".swift": _C_FAMILY, ".scala": _C_FAMILY, ".php": _C_FAMILY,
    ".rb": _RUBY, ".sh": _SHELL, ".bash": _SHELL, ".zsh": _SHELL, ".lua": _LUA,
    ".r": _R, ".sql": _SQL,
    ".toml": _DATA, ".yaml": _DATA, ".yml": _DATA, ".ini": _DATA, ".cfg": _DATA,
    ".json": _DATA,
}  # fmt: skip
SUFFIXES = frozenset(_LANGUAGES)

_CONTINUATION = (")", "]", "}")
_CALL_NAME = re.compile(r"([\w:~$]+)[ \t]*\(")
_KR_LOOKBACK = 4


def _name(match: re.Match[str]) -> str | None:
    name = match.groupdict().get("name")
    return " ".join(name.split()) if name else None


def _brace_definition(lines: list[str], i: int) -> tuple[int, str | None] | None:
    """C-like fallback: a column-0 line ending in ``{``, or a lone ``{`` under a signature."""
    line = lines[i].split("//", 1)[0].rstrip()
    if not line.endswith("{") or line.startswith(("#", "/*", "*", "}", ")")):
        return None
    if line != "{":
        match = _CALL_NAME.search(line)
        return i, match.group(1) if match else None
    start = i
    while start > 0 and i - start < _KR_LOOKBACK:  # K&R / Allman: signature lines above
        above = lines[start - 1].rstrip()
        if not above.strip() or above.endswith((";", "{", "}")) or above.startswith(("#", "/")):
            break
        start -= 1
    if start == i:
        return None
    match = _CALL_NAME.search(" ".join(lines[start:i]))
    return start, match.group(1) if match else None


def find_definitions(lines: list[str], language: _Language) -> list[tuple[int, str | None]]:
    """Return (first line index, name) for each top-level definition."""
    found: list[tuple[int, str | None]] = []
    last_line = -1  # last line already claimed by a definition header
    pending: int | None = None  # first decorator/attribute line waiting for its definition
    for i, line in enumerate(lines):
        if not line or line[0] in " \t":
            continue
        if language.decorator is not None and language.decorator.match(line):
            pending = i if pending is None else pending
            continue
        start: int | None = None
        name: str | None = None
        for pattern in language.definitions:
            match = pattern.match(line)
            if match:
                start, name = i, _name(match)
                break
        if start is None and language.c_like:
            brace = _brace_definition(lines, i)
            if brace is not None and brace[0] > last_line:
                start, name = brace
        if start is None:
            if not line.startswith(_CONTINUATION) and not (
                language.comment is not None and language.comment.match(line)
            ):
                pending = None
            continue
        if pending is not None:
            start = min(start, pending)
            pending = None
        if language.comment is not None:  # comments directly above belong to the definition
            while start - 1 > last_line and language.comment.match(lines[start - 1]):
                start -= 1
        found.append((start, name))
        last_line = i
    return found


def parse_bytes(data: bytes, name: str) -> LoadedDocument:
    """Decode source code and cut it at top-level definitions (``kind="code"``)."""
    text, encoding = decode_text(data, name)
    lines = split_lines(text)
    language = _LANGUAGES.get(PurePath(name).suffix.lower())
    if language is None:
        sections = pack_blocks(lines, limit=BLOCK_CHARS, kind="code")
        return LoadedDocument(loader=NAME, sections=sections, encoding=encoding)
    definitions = find_definitions(lines, language)
    bounds = [start for start, _ in definitions] + [len(lines)]
    result: list[Section] = []
    preamble = make_section(lines, 0, bounds[0], kind="code")
    if preamble is not None:
        result.append(preamble)
    for n, (start, def_name) in enumerate(definitions):
        heading = (def_name,) if def_name else ()
        section = make_section(lines, start, bounds[n + 1], heading=heading, kind="code")
        if section is not None:
            result.append(section)
    return LoadedDocument(loader=NAME, sections=result, encoding=encoding)
