"""Subtitle loader: SRT and WebVTT cues, located by their time range.

Cues are a few words each, so neighbouring cues are packed into groups of about one chunk,
headed by the time they span (``00:01:02–00:01:40``). Formatting tags are dropped, a
WebVTT voice (``<v Alice>``) becomes ``Alice:``, a line a rolling caption repeats from
the cue before is kept once, and WebVTT ``NOTE``, ``STYLE`` and ``REGION`` blocks, which
a viewer never sees, are left out.
"""

from __future__ import annotations

import html
import re

from ragtui.core.ingest.document import LoadedDocument, LoaderError
from ragtui.core.ingest.loaders._decode import decode_text
from ragtui.core.ingest.loaders._groups import Unit, pack_units
from ragtui.core.ingest.sections import split_lines

NAME = "subtitles"
SUFFIXES = frozenset({".srt", ".vtt"})

_TIME = r"(?:(\d{1,3}):)?(\d{1,2}):(\d{2})(?:[,.]\d{1,3})?"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>|<\d[\d:.,]*>|\{\\[^}]*\}")
_SPACE = re.compile(r"[ \t]+")


def _clock(hours: str | None, minutes: str, seconds: str) -> str:
    return f"{int(hours or 0):02d}:{int(minutes):02d}:{int(seconds):02d}"


def _label(first: str, last: str) -> str:
    return first if first == last else f"{first}–{last}"


def _clean(line: str) -> str:
    line = _VOICE.sub(lambda m: f"{m.group(1).strip()}: ", line)
    return _SPACE.sub(" ", html.unescape(_TAG.sub("", line))).strip()


def cues(lines: list[str]) -> list[Unit]:
    """One unit per cue: its text, start and end times (``HH:MM:SS``)."""
    units: list[Unit] = []
    previous = ""  # the last line kept, to drop a rolling caption's repeat
    i, n = 0, len(lines)
    while i < n:
        timing = _TIMING.match(lines[i])
        i += 1
        if timing is None:
            continue  # cue numbers and ids, the WEBVTT header, NOTE/STYLE/REGION blocks
        start = _clock(*timing.group(1, 2, 3))
        end = _clock(*timing.group(4, 5, 6))
        kept: list[str] = []
        while i < n and lines[i].strip() and not _TIMING.match(lines[i]):
            text = _clean(lines[i])
            if text and text != previous:
                kept.append(text)
                previous = text
            i += 1
        if kept:
            units.append(Unit(" ".join(kept), start, end))
    return units


def parse_bytes(data: bytes, name: str) -> LoadedDocument:
    """Read an ``.srt`` or ``.vtt`` file into time-located groups of cues."""
    text, encoding = decode_text(data, name)
    if not text.strip():
        return LoadedDocument(loader=NAME, encoding=encoding)
    found = cues(split_lines(text))
    if not found:
        raise LoaderError(
            f'{name} has no subtitle cues (no "00:00:01,000 --> 00:00:04,000" timing lines): '
            "check that it is an SRT or WebVTT file."
        )
    return LoadedDocument(loader=NAME, sections=pack_units(found, _label), encoding=encoding)
