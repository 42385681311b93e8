"""Peak RSS of `ragtui index` on a folder that mixes every format ragtui reads.

The folder holds real files (personal-docs Markdown, .docx, Gutenberg text and HTML, its
PDFs; Debian HTML manuals and the two biggest Debian PDFs), one generated file of each
other format (the integration test's corpus: CSV, ipynb, eml, mbox, srt, EPUB, org, tex,
XLSX, PPTX, ODT, ODS, ODP, RTF) plus a .vtt, and a typeset page saved as a PNG and as a
scanned (image-only) PDF for OCR. The indexer and its reader process are sampled with
psutil every 0.1 s; the peaks are reported per phase (parse, embed) from the indexer's
progress lines; target: each ≤ 1.5 GB. ``--stop-after S`` ends the run after S seconds
(embedding the big PDFs' chunks on a slow machine takes an hour) and says so;
``--file-timeout S`` raises ``ingest.file_timeout_s`` so the big PDFs are read, not
stopped at 60 s.

    PYTHONPATH=. python tests/bench/mixed_rss.py [--keep DIR] [--md 300] [--html 200]
                                                 [--stop-after S] [--file-timeout S]

A benchmark, not a test: run it by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO.parent / "shared/data/personal-docs"
DEBIAN = REPO.parent / "debian-docs/debian"
BIG_PDFS = (
    "octave-doc/usr/share/doc/octave/octave.pdf",
    "r-doc-pdf/usr/share/R/doc/manual/refman.pdf",
)
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")


def _copy(files: list[Path], out: Path, limit: int) -> int:
    out.mkdir(parents=True, exist_ok=True)
    for n, path in enumerate(sorted(files)[:limit]):
        shutil.copyfile(path, out / f"{n:04d}-{path.name}")
    return min(limit, len(files))


def _scanned(out: Path) -> None:
    """One typeset page of a Gutenberg book as a PNG and as an image-only PDF."""
    from tests.bench.ocr_cer import BOOK, book_words, typeset

    page, _ = typeset(book_words(BOOK), FONT, 1)[0]
    page.save(out / "scan.png")  # type: ignore[attr-defined]
    page.save(out / "scan.pdf", "PDF", resolution=300)  # type: ignore[attr-defined]


def build(root: Path, md: int, html: int) -> dict[str, int]:
    """Fill ``root`` with the mixed folder; files per part."""
    from tests.integration.test_formats import _corpus

    counts = {
        "md": _copy(list(DOCS.rglob("*.md")), root / "md", md),
        "docx": _copy(list(DOCS.rglob("*.docx")), root / "docx", 1000),
        "txt": _copy(list((DOCS / "gutenberg").rglob("*.txt")), root / "txt", 8),
        "gutenberg-html": _copy(list((DOCS / "gutenberg").rglob("*.html")), root / "ghtml", 8),
        "pdf": _copy(list(DOCS.rglob("*.pdf")), root / "pdf", 1000),
        "debian-html": _copy(list(DEBIAN.rglob("*.html")), root / "dhtml", html),
        "big-pdf": _copy([DEBIAN / p for p in BIG_PDFS], root / "bigpdf", 10),
    }
    _corpus(root / "generated")
    (root / "generated" / "talk.vtt").write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nThe mayfly hatch starts in May.\n"
    )
    _scanned(root / "generated")
    counts["generated"] = len(list((root / "generated").iterdir()))
    return counts


def _phase(log: Path) -> tuple[str, int]:
    """The indexer's phase and chunks embedded, from its last progress line."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    for line in reversed(lines):
        try:
            progress = json.loads(line)
        except ValueError:
            continue
        if isinstance(progress, dict) and "phase" in progress:
            return str(progress["phase"]), int(progress.get("chunks_embedded", 0))
    return "parse", 0


def measure(
    folder: Path, home: Path, stop_after: float | None, file_timeout: float | None
) -> dict[str, object]:
    """Run `ragtui index` on ``folder``; peak RSS (MB) of the indexer and of its readers,
    per phase."""
    ragtui = [sys.executable, "-m", "ragtui"]
    subprocess.run([*ragtui, "--home", str(home), "add", str(folder)], check=True, stdout=-3)
    log = home / "index.jsonl"
    env = dict(os.environ)
    if file_timeout is not None:  # the big PDFs take minutes on a loaded machine
        env["RAGTUI_INGEST__FILE_TIMEOUT_S"] = str(file_timeout)
    started = time.monotonic()
    with log.open("wb") as out:
        command = [*ragtui, "--home", str(home), "index", "--json"]
        process = subprocess.Popen(command, stdout=out, stderr=out, env=env)  # progress: stderr
    parent = psutil.Process(process.pid)
    peaks: dict[str, dict[str, float]] = {}
    stopped = False
    while process.poll() is None:
        if stop_after is not None and time.monotonic() - started > stop_after:
            process.terminate()
            stopped = True
            break
        try:
            own = parent.memory_info().rss / 2**20
            kids = [c.memory_info().rss / 2**20 for c in parent.children(recursive=True)]
        except psutil.Error:
            continue
        phase = peaks.setdefault(_phase(log)[0], {"parent_mb": 0.0, "reader_mb": 0.0})
        phase["parent_mb"] = round(max(phase["parent_mb"], own), 1)
        phase["reader_mb"] = round(max(phase["reader_mb"], max(kids, default=0.0)), 1)
        time.sleep(0.1)
    process.wait()
    return {
        "peaks_by_phase": peaks,
        "seconds": round(time.monotonic() - started, 1),
        "chunks_embedded": _phase(log)[1],
        "stopped_early": stopped,
        "returncode": process.returncode,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", type=Path, help="build the folder here and keep it")
    parser.add_argument("--md", type=int, default=300, help="Markdown files to copy")
    parser.add_argument("--html", type=int, default=200, help="Debian HTML pages to copy")
    parser.add_argument("--stop-after", type=float, help="end the index run after S seconds")
    parser.add_argument("--file-timeout", type=float, help="ingest.file_timeout_s for the run")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mixed-rss-"))
    folder = args.keep or work / "docs"
    counts = build(folder, args.md, args.html) if not folder.exists() else {}
    print(json.dumps({"files": counts}), flush=True)
    (work / "home").mkdir()
    print(
        json.dumps(measure(folder, work / "home", args.stop_after, args.file_timeout)), flush=True
    )
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
