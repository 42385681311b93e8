"""The subtitle loader: SRT and WebVTT cues grouped and located by their time range."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ragtui.core.ingest.document import LoadedDocument, LoaderError
from ragtui.core.ingest.loaders import load_file, loader_for
from tests.unit.reference_text import assert_one_sentence, in_order, paragraphs, recall

_RANGE = re.compile(r"^(\d\d:\d\d:\d\d)(?:–(\d\d:\d\d:\d\d))?$")


def stamp(seconds: float, sep: str) -> str:
    whole = int(seconds)
    millis = round((seconds - whole) * 1000)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}{sep}{millis:03d}"


def cue_lines(text: str) -> list[list[str]]:
    """The reference text as cues of about eight words, two lines each."""
    words = text.split()
    starts = range(0, len(words), 8)
    return [[" ".join(words[i : i + 4]), " ".join(words[i + 4 : i + 8])] for i in starts]


def srt(text: str) -> str:
    blocks = []
    for n, lines in enumerate(cue_lines(text)):
        start, end = 3.5 * n, 3.5 * n + 3.2
        body = "\n".join(line for line in lines if line)
        if n == 1:
            body = "<i>" + body + "</i>"
        if n == 2:
            body = "{\\an8}" + body
        blocks.append(f"{n + 1}\n{stamp(start, ',')} --> {stamp(end, ',')}\n{body}\n")
    return "\n".join(blocks)


def vtt(text: str) -> str:
    out = ["WEBVTT - The Angler", "", "STYLE", "::cue { color: yellow }", "",
           "NOTE this comment is never shown to the viewer", ""]  # fmt: skip
    for n, lines in enumerate(cue_lines(text)):
        start, end = 3.5 * n, 3.5 * n + 3.2
        body = "\n".join(line for line in lines if line)
        if n == 0:
            body = "<v Piscator>" + body.replace("\n", "</v>\n", 1)
        if n == 3:
            body = body.replace(" ", " <00:00:12.500><c.yellow>", 1) + "</c>"
        out += [f"cue-{n}", f"{stamp(start, '.')} --> {stamp(end, '.')} align:start", body, ""]
    return "\n".join(out)


def located(doc: LoadedDocument, needle: str) -> tuple[str, str]:
    heading = next(s.heading for s in doc.sections if needle in s.text)
    match = _RANGE.match(heading[-1])
    assert match, heading
    return match.group(1), match.group(2) or match.group(1)


@pytest.mark.parametrize(("name", "make"), [("angler.srt", srt), ("angler.vtt", vtt)])
def test_cues_grouped_by_time(tmp_path: Path, name: str, make: object) -> None:
    reference = " ".join(paragraphs()[:3])
    path = tmp_path / name
    path.write_text(make(reference), encoding="utf-8")  # type: ignore[operator]
    doc = load_file(path)
    assert doc.loader == "subtitles" == loader_for(path)
    text = "\n".join(s.text for s in doc.sections)
    assert recall(reference, text) >= 0.98 and in_order(reference, text) >= 0.98
    assert "<" not in text and "{" not in text and "color" not in text and "comment" not in text
    assert len(doc.sections) > 3 and all(s.kind == "entry" for s in doc.sections)
    # the 30th cue (0-based 29) starts at 101.5 s: 00:01:41
    words = reference.split()
    start, end = located(doc, " ".join(words[29 * 8 : 29 * 8 + 4]))
    assert start <= "00:01:41" <= end
    if name.endswith(".vtt"):
        assert doc.sections[0].text.startswith("Piscator: ")


def test_rolling_captions_keep_each_line_once(tmp_path: Path) -> None:
    path = tmp_path / "auto.vtt"
    path.write_text(
        "WEBVTT\n\n00:00.000 --> 00:02.000\nthe river was low\n\n"
        "00:02.000 --> 00:04.000\nthe river was low\nthat summer\n\n"
        "1:00:04.000 --> 1:00:06.000\nthat summer\nand the angler walked\n",
        encoding="utf-8",
    )
    doc = load_file(path)
    assert doc.sections[0].text == "the river was low\nthat summer\nand the angler walked"
    assert doc.sections[0].heading == ("00:00:00–01:00:06",)


def test_no_cues_fails_with_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "broken.srt"
    path.write_text("1\n00:00:01 -> 00:00:04\nan arrow that is not one\n", encoding="utf-8")
    with pytest.raises(LoaderError, match="has no subtitle cues") as err:
        load_file(path)
    assert_one_sentence(str(err.value), str(path))
    empty = tmp_path / "empty.vtt"
    empty.write_text("", encoding="utf-8")
    assert load_file(empty).sections == []
