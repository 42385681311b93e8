"""Replayed probes: one hostile file among the demo notes. Each is indexed, skipped or
failed on its own with a clear reason in `ragtui index --json`; the nine demo files are
indexed all the same, a second run leaves everything as it was, and `ragtui doctor
--json` finds the index consistent. Real loaders, real Tantivy; keyword only (no model)."""

from __future__ import annotations

import gzip
import io
import json
import random
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from ragtui.core.engine import create_engine
from tests.reliability.conftest import cli, doctor, one_sentence

DEMO_FILES = 9
MB = 1024 * 1024


def pdf_with_text(pages: list[str], user_password: str | None = None) -> bytes:
    """A real PDF with one line of Helvetica text per page (optionally RC4-encrypted)."""
    writer = PdfWriter()
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
    )
    for text in pages:
        page = writer.add_blank_page(612, 792)
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode())
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
    if user_password is not None:
        writer.encrypt(user_password=user_password, owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def gzip_bomb(expanded_mb: int) -> bytes:
    """~``expanded_mb`` MB of text once gunzipped, from a few KB: one 8 MB member repeated
    (a multi-member gzip is one valid stream to every reader)."""
    member = gzip.compress(b"bomb " * (8 * MB // 5), compresslevel=9)
    return member * (expanded_mb // 8)


def docx_bomb(expanded_mb: int) -> bytes:
    """A well-formed .docx whose word/document.xml unpacks to ~``expanded_mb`` MB."""
    ns = "http://schemas.openxmlformats.org/"
    content_types = (
        f'<?xml version="1.0"?><Types xmlns="{ns}package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    rels = (
        f'<?xml version="1.0"?><Relationships xmlns="{ns}package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{ns}officeDocument/2006/relationships/'
        'officeDocument" Target="word/document.xml"/></Relationships>'
    )
    paragraph = b"<w:p><w:r><w:t>" + b"zebra " * 150 + b"</w:t></w:r></w:p>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", rels)
        with archive.open("word/document.xml", "w") as body:
            body.write(
                f'<?xml version="1.0"?><w:document xmlns:w="{ns}'
                'wordprocessingml/2006/main"><w:body>'.encode()
            )
            for _ in range(expanded_mb * MB // len(paragraph)):
                body.write(paragraph)
            body.write(b"</w:body></w:document>")
    return out.getvalue()


def _truncated_pdf() -> bytes:
    whole = pdf_with_text([f"page {n} about the truncated ocelot" for n in range(1, 6)])
    return whole[: len(whole) // 2]


def _garbage_pdf() -> bytes:
    return b"%PDF-1.7\n" + random.Random(15).randbytes(8000)


@dataclass(frozen=True)
class Probe:
    """One hostile file: its name, how to make it and what ragtui must do with it."""

    name: str
    make: Callable[[], bytes]
    outcome: str  # "indexed", "empty", "skipped" or "failed"
    expect: str = ""  # a word search must find (indexed) or the reason's pattern


PROBES = [
    # PDFs
    Probe(
        "truncated.pdf",
        _truncated_pdf,
        "failed",
        r"truncated\.pdf is not a readable PDF \(.+\): re-save or re-download it\.",
    ),
    Probe(
        "garbage.pdf",
        _garbage_pdf,
        "failed",
        r"garbage\.pdf is not a readable PDF \(.+\): re-save or re-download it\.",
    ),
    Probe(
        "encrypted.pdf",
        lambda: pdf_with_text(["locked ocelot"], "s3cret"),
        "failed",
        r"encrypted\.pdf is an encrypted PDF that needs a password: save an unencrypted "
        r"copy to index it\.",
    ),
    Probe(
        "no-password.pdf",
        lambda: pdf_with_text(["an openly encrypted margay"], ""),
        "indexed",
        "margay",
    ),
    Probe(
        "survey.pdf",
        lambda: pdf_with_text([f"page {n} of the ocelot survey" for n in range(1, 151)]),
        "indexed",
        "ocelot",
    ),
    # decompression bombs (the limit is 1 MB in these tests)
    Probe(
        "bomb.txt.gz",
        lambda: gzip_bomb(512),
        "failed",
        r"bomb\.txt\.gz decompresses to more than 1\.0 MiB, over the ingest\.max_file_mb "
        r"limit: raise ingest\.max_file_mb to read it\.",
    ),
    Probe(
        "bomb.docx",
        lambda: docx_bomb(64),
        "failed",
        r"bomb\.docx unpacks to 64\.\d MiB, over the 1\.0 MiB limit set by "
        r"ingest\.max_file_mb: raise ingest\.max_file_mb to read it\.",
    ),
    Probe(
        "bad.txt.gz",
        lambda: gzip.compress(b"a gzipped note")[:-12] + b"\xff" * 12,
        "failed",
        r"bad\.txt\.gz is not a valid gzip file \(.+\): re-download or re-compress it\.",
    ),
    # mailboxes
    Probe(
        "broken.mbox",
        lambda: b"Subject: not a mailbox\n\nno From line here\n",
        "failed",
        r'broken\.mbox is not an mbox mailbox \(it does not begin with a "From " line\)',
    ),
    Probe(
        "mangled.mbox",
        lambda: (
            b"From a@example.org Tue Mar  5 09:30:00 2024\nSubject: tapir\n\nthe tapir wallows\n"
            b"From b@example.org Tue Mar  5 09:31:00 2024\n" + random.Random(7).randbytes(4000)
        ),
        "indexed",
        "tapir",
    ),
    # encodings
    Probe(
        "utf16.txt",
        lambda: "Grüße vom Erdferkel aardvark\n".encode("utf-16"),
        "indexed",
        "aardvark",
    ),
    Probe(
        "utf16be.txt",
        lambda: b"\xfe\xff" + "wide quetzal\n".encode("utf-16-be"),
        "indexed",
        "quetzal",
    ),
    Probe(
        "latin1.txt",
        lambda: "Crème brûlée: caramélisez le sucre.".encode("latin-1"),
        "indexed",
        "caramélisez",
    ),
    Probe(
        "mixed.txt",
        lambda: (
            "Über café naïve résumé façade jalapeño piñata ".encode()
            + b"\xff\xfe broken \xc3 bytes pangolin\n"
        ),
        "indexed",
        "pangolin",
    ),
    Probe("nul.txt", lambda: b"text\x00with\x00nul bytes " * 40, "skipped", r"binary file"),
    Probe("zero.txt", lambda: b"", "empty"),
    Probe(
        "crlf.txt", lambda: b"# CRLF\r\n\r\nline one axolotl\r\nline two\r\n", "indexed", "axolotl"
    ),
    Probe("cr.md", lambda: b"# CR only\r\rline one capybara\rline two\r", "indexed", "capybara"),
]


@pytest.mark.parametrize("probe", PROBES, ids=[p.name for p in PROBES])
def test_one_hostile_file_among_good_ones(
    probe: Probe, keyword_home: Path, demo_docs: Path
) -> None:
    bad = demo_docs / probe.name
    bad.write_bytes(probe.make())
    assert bad.stat().st_size <= MB  # the limit is not what stops it
    assert cli("add", str(demo_docs)).exit_code == 0
    result = cli("index", "--json")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    report = json.loads(result.stdout)
    readable = probe.outcome in ("indexed", "empty")
    assert report["added"] == DEMO_FILES + readable, report
    assert report["failed"] == (probe.outcome == "failed"), report
    assert report["skipped"] == (probe.outcome == "skipped"), report
    if probe.outcome == "failed":
        [error] = report["errors"]
        assert error["path"] == str(bad) and one_sentence(error["error"])
        assert re.search(probe.expect, error["error"]), error["error"]
    elif probe.outcome == "skipped":
        [skip] = report["skips"]
        assert skip["path"] == str(bad) and re.search(probe.expect, skip["reason"])
    status = {Path(f.path).name: f.status for f in create_engine().files()}
    assert status.pop(probe.name) == probe.outcome
    assert set(status.values()) == {"indexed"} and len(status) == DEMO_FILES

    hits = json.loads(cli("search", "oil change", "--mode", "bm25", "--json").stdout)["hits"]
    assert hits and hits[0]["path"].endswith("car-maintenance.md")
    if probe.outcome == "indexed":
        found = cli("search", probe.expect, "--mode", "bm25", "--json")
        assert json.loads(found.stdout)["hits"][0]["path"] == str(bad), found.stdout
        snippet = json.loads(found.stdout)["hits"][0]["snippet"]
        assert "\r" not in snippet and "\x00" not in snippet

    again = json.loads(cli("index", "--json").stdout)
    assert (again["added"], again["updated"], again["failed"], again["skipped"]) == (
        0,
        0,
        0,
        probe.outcome == "skipped",
    )
    report = doctor()
    assert report["consistent"] and not report["problems"], report
    failed = [path for path, _ in report["failed_files"]]
    assert failed == ([str(bad)] if probe.outcome == "failed" else [])


def test_crlf_and_cr_only_files_keep_their_lines(keyword_home: Path, tmp_path: Path) -> None:
    docs = tmp_path / "lines"
    docs.mkdir()
    (docs / "crlf.txt").write_bytes(b"first line\r\nsecond line\r\nthird wombat line\r\n")
    (docs / "cr.txt").write_bytes(b"first line\rsecond line\rthird numbat line\r")
    engine = create_engine()
    engine.index([docs], embed=False)
    for word, name in (("wombat", "crlf.txt"), ("numbat", "cr.txt")):
        [hit] = engine.search(word, mode="bm25").hits
        assert hit.path.endswith(name) and hit.text.splitlines() == [
            "first line",
            "second line",
            f"third {word} line",
        ]
        assert (hit.location.line_start, hit.location.line_end) == (1, 3)
    engine.close()


def test_a_gzip_bomb_stops_at_the_limit_without_inflating_it(tmp_path: Path) -> None:
    """The loader gives up at the limit: half a GB of output would cost seconds and as
    much memory."""
    import resource
    import time

    from ragtui.core.ingest import loaders
    from ragtui.core.ingest.document import LoaderError

    bomb = tmp_path / "huge.log.gz"
    bomb.write_bytes(gzip_bomb(512))
    assert bomb.stat().st_size < MB
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(LoaderError, match=r"decompresses to more than 1\.0 MiB"):
        loaders.load_file(bomb, max_bytes=MB)
    assert time.monotonic() - started < 2.0
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 64 * 1024
