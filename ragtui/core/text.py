"""Text from documents, models and file names, made safe to show on a terminal.

Documents are untrusted: an escape sequence in one (a window title, a screen clear,
an OSC 8 link, an OSC 52 clipboard write) must reach the screen as visible text,
never as a command to the terminal. File names that are not valid UTF-8 arrive as
``surrogateescape`` strings, which no terminal encoding can write.
"""

from __future__ import annotations

import re

# C0 controls but newline and tab, DEL, C1 controls, lone surrogates
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _visible(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode control picture: ␛ for ESC
    if code == 0x7F:
        return "\u2421"  # ␡
    if code <= 0x9F:
        return f"\\x{code:02x}"
    return "\ufffd"  # an undecodable byte of a file name


def printable(text: str) -> str:
    """``text`` with every control character but newline and tab shown as a visible sign,
    and undecodable file-name bytes as U+FFFD."""
    return _UNSAFE.sub(_visible, text)


def printable_json(text: str) -> str:
    """A JSON document with C1 controls, DEL and lone surrogates written as ``\\uXXXX``
    escapes (``json.dumps`` already escapes C0; the value read back is unchanged)."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
