"""Shared by every text-like loader: binary sniffing and decoding to ``str``."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from ragtui.core.ingest.document import LoaderError, Unsupported

SNIFF_BYTES = 8192
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_WESTERN = frozenset({"cp1252", "latin_1"})
_TIE_CHAOS = 0.01
_TIE_COHERENCE = 0.1
_MOSTLY_UTF8_MIN = 8  # valid non-ASCII characters needed before trusting UTF-8 despite errors
_MOSTLY_UTF8_RATIO = 20
_LAST_RESORT_BAD = 0.1  # most replacement characters a last-resort UTF-8 decode may have
_NEWLINES = re.compile(r"\r\n?")
# HTML maps these labels to windows-1252; we do the same for any declared hint.
_LATIN1_ALIASES = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii", "ascii"})


def sniff_binary(data: bytes) -> bool:
    """Return True if the start of ``data`` looks binary (contains a NUL byte)."""
    return b"\x00" in data[:SNIFF_BYTES]


def _try(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with a few stray bytes (a pasted Latin-1 character, a cut-off log line) is
    still UTF-8: decode it with replacement characters instead of guessing again."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
    good = non_ascii - bad
    return text if good >= _MOSTLY_UTF8_MIN and good >= _MOSTLY_UTF8_RATIO * bad else None


def decode_text(data: bytes, name: str, *, hint: str | None = None) -> tuple[str, str]:
    """Decode ``data`` to text with newlines normalised to ``\\n``; return (text, encoding).

    Raises ``Unsupported`` for binary data and ``LoaderError`` if no encoding fits.
    Text that is UTF-8 apart from a few bad bytes is decoded as UTF-8 with U+FFFD for them.
    ``hint`` is a declared encoding (e.g. an HTML ``<meta charset>``) tried after UTF-8.
    """
    for bom, encoding in _BOMS:  # UTF-16/32 text contains NULs, so check BOMs first.
        if data.startswith(bom):
            text = _try(data, encoding)
            if text is not None:
                return normalize_newlines(text), encoding
    if sniff_binary(data):
        raise Unsupported("binary file")
    text = _try(data, "utf-8-sig")
    if text is not None:
        has_bom = data.startswith(codecs.BOM_UTF8)
        return normalize_newlines(text), "utf-8-sig" if has_bom else "utf-8"
    text = _mostly_utf8(data)
    if text is not None:
        return normalize_newlines(text), "utf-8"
    if hint:
        hint = hint.strip().lower()
        candidates = ["cp1252", hint] if hint in _LATIN1_ALIASES else [hint]
        for encoding in candidates:
            text = _try(data, encoding)
            if text is not None:
                return normalize_newlines(text), codecs.lookup(encoding).name
    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        # Short UTF-8 text with a few stray bytes fails _mostly_utf8's minimum and every
        # detector; it is still text: keep it with U+FFFD rather than lose the file.
        text = data.decode("utf-8", errors="replace")
        if text.count("\ufffd") <= _LAST_RESORT_BAD * len(text):
            return normalize_newlines(text), "utf-8"
        raise LoaderError(
            f"{name} could not be decoded as text in any known encoding: re-save it as UTF-8."
        )
    # Western text often scores (nearly) a tie between cp1250/cp1252/hp_roman8/...: prefer
    # cp1252, by far the most common legacy encoding, unless it is clearly worse.
    for match in matches:
        if _WESTERN & {match.encoding, *match.could_be_from_charset}:
            tie = (
                match.chaos <= best.chaos + _TIE_CHAOS
                and match.coherence >= best.coherence - _TIE_COHERENCE
            )
            if tie:
                best = match
            break
    # Name the common code page when several give this very same text.
    encoding = "cp1252" if "cp1252" in best.could_be_from_charset else best.encoding
    return normalize_newlines(str(best)), encoding


def normalize_newlines(text: str) -> str:
    """Turn CRLF and lone CR line endings into LF."""
    return _NEWLINES.sub("\n", text) if "\r" in text else text
