"""OCR accuracy and speed on real text: character error rate (CER) and pages per minute.

Pages of a Project Gutenberg book (shared/data, read in place) are typeset with Pillow at
300 dpi (US Letter, 11-pt DejaVu Serif, 1-inch margins) and read back through ragtui's
image loader, clean and degraded (2° skew, Gaussian blur, noise). CER is the Levenshtein
distance over characters divided by the reference length, whitespace normalised; the
median over pages is reported. Targets: ≤ 3 % clean, ≤ 8 % degraded.

    PYTHONPATH=. python tests/bench/ocr_cer.py [--pages 6] [--threads 2]

Needs a TTF font: DejaVu (Debian: ``apt-get install fonts-dejavu-core``) or --font PATH.
A benchmark, not a test: run it by hand.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BOOK = (
    REPO.parent
    / "shared/data/personal-docs/gutenberg"
    / "News-from-Nowhere--Or-An-Epoch-of-Rest--13-Being-Some-Chapte/3261.txt"
)
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
DPI = 300
PAGE = (int(8.5 * DPI), 11 * DPI)
MARGIN = DPI
POINT = 11


def book_words(path: Path) -> list[str]:
    """The book's words, between the Gutenberg header and footer."""
    text = path.read_text(encoding="utf-8")
    start, end = re.search(r"\*\*\* ?START OF", text), re.search(r"\*\*\* ?END OF", text)
    return text[start.end() if start else 0 : end.start() if end else len(text)].split()[20:]


def typeset(words: list[str], font_path: Path, count: int) -> list[tuple[object, str]]:
    """Fill ``count`` pages with the words; each page with the exact text it shows."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(font_path), round(POINT * DPI / 72))
    leading = round(POINT * 1.4 * DPI / 72)
    width = PAGE[0] - 2 * MARGIN
    pages: list[tuple[object, str]] = []
    position = 0
    while position < len(words) and len(pages) < count:
        page = Image.new("L", PAGE, 255)
        draw = ImageDraw.Draw(page)
        shown: list[str] = []
        y = MARGIN
        while y + leading <= PAGE[1] - MARGIN and position < len(words):
            line = words[position]
            position += 1
            while position < len(words):
                longer = f"{line} {words[position]}"
                if draw.textlength(longer, font=font) > width:
                    break
                line, position = longer, position + 1
            draw.text((MARGIN, y), line, font=font, fill=0)
            shown.append(line)
            y += leading
        pages.append((page, " ".join(shown)))
    return pages


def degrade(page: object, seed: int) -> object:
    """A poor scan: turned 2°, blurred, speckled with noise, saved as JPEG."""
    import numpy as np
    from PIL import Image, ImageFilter

    assert isinstance(page, Image.Image)
    turned = page.rotate(2, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    blurred = turned.filter(ImageFilter.GaussianBlur(1.2))
    rng = np.random.default_rng(seed)
    noisy = np.asarray(blurred, dtype=np.float32) + rng.normal(
        0, 18, (blurred.height, blurred.width)
    )
    out = io.BytesIO()
    Image.fromarray(noisy.clip(0, 255).astype(np.uint8)).save(out, "JPEG", quality=75)
    return Image.open(io.BytesIO(out.getvalue()))


def levenshtein(a: str, b: str) -> int:
    """Edit distance over characters (two rows)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char != other))
            )
        previous = current
    return previous[-1]


def cer(reference: str, found: str) -> float:
    reference, found = " ".join(reference.split()), " ".join(found.split())
    return levenshtein(reference, found) / max(len(reference), 1)


def read(page: object, name: str) -> tuple[str, float]:
    """OCR one page through ragtui's image loader; (text, seconds)."""
    from ragtui.core.ingest.loaders import parse_bytes
    from ragtui.core.ingest.ocr import OcrOptions

    out = io.BytesIO()
    page.save(out, "PNG")  # type: ignore[attr-defined]
    started = time.perf_counter()
    doc = parse_bytes(out.getvalue(), Path(name), ocr=OcrOptions())
    return "\n".join(s.text for s in doc.sections), time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=6)
    parser.add_argument("--skip", type=int, default=3, help="pages of the book left out first")
    parser.add_argument("--threads", type=int, default=2, help="cores onnxruntime may use")
    parser.add_argument("--book", type=Path, default=BOOK)
    parser.add_argument("--font", type=Path, default=FONT)
    args = parser.parse_args()
    if not args.font.exists():
        sys.exit(f"{args.font} is missing: apt-get install fonts-dejavu-core, or pass --font.")
    if not args.book.exists():
        sys.exit(f"{args.book} is missing: the shared data lives beside the repository.")
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: args.threads]))

    pages = typeset(book_words(args.book), args.font, args.skip + args.pages)[args.skip :]
    read(pages[0][0], "warm-up.png")  # loads the models; not timed
    results: dict[str, list[tuple[float, float]]] = {"clean": [], "degraded": []}
    for number, (page, reference) in enumerate(pages, 1):
        for kind, picture in (("clean", page), ("degraded", degrade(page, number))):
            text, seconds = read(picture, f"page-{number}-{kind}.png")
            results[kind].append((cer(reference, text), seconds))
            print(f"page {number} {kind:8} CER {results[kind][-1][0]:6.2%}  {seconds:5.1f} s")
    print(f"\n{len(pages)} pages, {PAGE[0]}×{PAGE[1]} px ({DPI} dpi), {args.threads} cores")
    for kind, rows in results.items():
        rates = [r for r, _ in rows]
        seconds = statistics.median(s for _, s in rows)
        print(
            f"{kind:8} CER median {statistics.median(rates):.2%} (max {max(rates):.2%}), "
            f"{60 / seconds:.1f} pages/min (median {seconds:.1f} s/page)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
