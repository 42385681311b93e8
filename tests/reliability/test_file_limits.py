"""The per-file time and memory limits (issue 18): a file that reads too long or needs too
much memory fails alone with one sentence, in the reader process that is really held to
them, while the rest of the run is indexed and the index stays consistent."""

from __future__ import annotations

import io
import json
import threading
import time
import zlib
from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, StreamObject

from ragtui.core.engine import create_engine
from ragtui.core.ingest import ocr
from ragtui.core.ingest.document import LoaderError
from ragtui.core.ingest.reader import FileLimits, ReadCancelled, Reader
from tests.reliability.conftest import cli, doctor, keyword_only, one_sentence
from tests.reliability.test_hostile_files import DEMO_FILES, gzip_bomb, pdf_with_text
from tests.unit.test_loaders_image import huge_png


def wordy_pdf(words: int) -> bytes:
    """A PDF of a few KB whose one page draws ``words`` words from a compressed stream:
    pypdf takes about a second per 10,000 of them."""
    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
    )
    stream = StreamObject()
    stream._data = zlib.compress(b"BT /F1 12 Tf " + b"(ocelot) Tj " * words + b"ET", 9)
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    page[NameObject("/Contents")] = writer._add_object(stream)
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def index_with(home: Path, tmp_path: Path, docs: Path, ingest: str) -> dict[str, object]:
    """``ragtui index --json`` over ``docs`` with these [ingest] settings, checked to have
    run to the end; the report."""
    keyword_only(home, tmp_path, f"[ingest]\n{ingest}\n\n")
    assert cli("add", str(docs)).exit_code == 0
    result = cli("index", "--json")
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    return dict(json.loads(result.stdout))


def assert_failed_alone(report: dict[str, object], bad: Path, pattern: str, others: int) -> None:
    """``bad`` failed with one sentence matching ``pattern``; the ``others`` were indexed,
    and the index is consistent."""
    assert (report["added"], report["failed"]) == (others, 1), report
    [error] = report["errors"]  # type: ignore[misc]
    assert error["path"] == str(bad) and one_sentence(error["error"]), error
    assert pattern in error["error"], error["error"]
    status = {Path(f.path).name: (f.status, f.error) for f in create_engine().files()}
    assert status.pop(bad.name) == ("failed", error["error"])
    assert {s for s, _ in status.values()} == {"indexed"} and len(status) == others
    checked = doctor()
    assert checked["consistent"] and not checked["problems"], checked


def test_a_file_over_the_time_limit_fails_alone_and_the_run_goes_on(
    ragtui_home: Path, tmp_path: Path, demo_docs: Path
) -> None:
    slow = demo_docs / "a-wordy.pdf"
    slow.write_bytes(wordy_pdf(100_000))  # 5 KB, about ten seconds of pypdf
    (demo_docs / "b-survey.pdf").write_bytes(pdf_with_text(["the margay survey"]))
    started = time.monotonic()
    report = index_with(ragtui_home, tmp_path, demo_docs, "file_timeout_s = 1")
    assert time.monotonic() - started < 8
    message = f"{slow} took longer than 1 s to read (ingest.file_timeout_s): raise it or add "
    assert_failed_alone(report, slow, message + "the file to ingest.ignore.", DEMO_FILES + 1)
    [hit] = json.loads(cli("search", "margay", "--mode", "bm25", "--json").stdout)["hits"]
    assert hit["path"].endswith("b-survey.pdf")  # read by the reader started after the kill


def test_a_bomb_over_the_memory_limit_fails_alone(
    ragtui_home: Path, tmp_path: Path, demo_docs: Path
) -> None:
    """512 MB of text from 500 KB of gzip, let past the size limit: the memory limit stops
    it, in the reader process, whatever this one's memory."""
    bomb = demo_docs / "bomb.log.gz"
    bomb.write_bytes(gzip_bomb(512))
    report = index_with(
        ragtui_home, tmp_path, demo_docs, "max_file_mb = 1024\nfile_memory_mb = 128"
    )
    message = (
        f"{bomb} needs more than 128 MB of memory to read (ingest.file_memory_mb): raise it "
        "or add the file to ingest.ignore."
    )
    assert_failed_alone(report, bomb, message, DEMO_FILES)


@pytest.mark.skipif(not ocr.installed(), reason="needs rapidocr-onnxruntime (images are skipped)")
def test_a_huge_image_let_past_the_pixel_limit_is_stopped_by_the_memory_limit(
    ragtui_home: Path, tmp_path: Path, demo_docs: Path
) -> None:
    poster = demo_docs / "poster.png"
    poster.write_bytes(huge_png(10_000, 10_000))  # 100 megapixels declared, 1 KiB of data
    ingest = "ocr_max_megapixels = 1000\nfile_memory_mb = 64"
    report = index_with(ragtui_home, tmp_path, demo_docs, ingest)
    assert_failed_alone(report, poster, "needs more than 64 MB of memory to read", DEMO_FILES)


def test_the_reader_process_is_kept_between_files_and_replaced_after_a_timeout() -> None:
    """One process reads file after file (OCR's model would load once); past the deadline
    it is killed, and the next file gets a new one."""
    good = pdf_with_text(["a quiet ocelot"])
    with Reader(FileLimits(timeout_s=2)) as reader:
        assert reader.parse(good, Path("one.pdf"), max_bytes=2**20, ocr=None).sections
        first = reader._process
        assert reader.parse(good, Path("two.pdf"), max_bytes=2**20, ocr=None).sections
        assert reader._process is first and first is not None
        with pytest.raises(LoaderError, match=r"slow\.pdf took longer than 2 s to read"):
            reader.parse(wordy_pdf(100_000), Path("slow.pdf"), max_bytes=2**20, ocr=None)
        assert first.poll() is not None and reader._process is None
        assert reader.parse(good, Path("three.pdf"), max_bytes=2**20, ocr=None).sections
    assert reader._process is None


def test_cancelling_stops_a_long_read_at_once() -> None:
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    started = time.monotonic()
    with Reader(FileLimits(timeout_s=60)) as reader:
        with pytest.raises(ReadCancelled):
            reader.parse(
                wordy_pdf(100_000), Path("slow.pdf"), max_bytes=2**20, ocr=None, cancel=cancel
            )
        assert reader._process is None
    assert time.monotonic() - started < 3


def test_a_reader_that_dies_on_a_file_fails_that_file_and_is_replaced() -> None:
    with Reader(FileLimits(timeout_s=60)) as reader:
        reader._started()
        assert reader._process is not None
        threading.Timer(0.5, reader._process.kill).start()
        with pytest.raises(LoaderError) as err:
            reader.parse(wordy_pdf(100_000), Path("slow.pdf"), max_bytes=2**20, ocr=None)
        assert str(err.value) == (
            "slow.pdf made ragtui's reader process stop (it was killed by SIGKILL): add the "
            "file to ingest.ignore, and please report it."
        )
        good = pdf_with_text(["a quiet ocelot"])
        assert reader.parse(good, Path("after.pdf"), max_bytes=2**20, ocr=None).sections
