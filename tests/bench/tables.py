"""Table questions (assets/tables): is the answer cell's row in the top 3 hybrid hits?

Copies the HTML manuals and the PDF from the Debian docs, writes the spreadsheets with
``table_files.py``, indexes them with the configured embedding model and searches every
question (hybrid, k 3, no model). Prints one JSON object: per question the rank of the
first hit from the expected file that holds both the answer cell and the row cell, and the
share found in the top 3.

    python tests/bench/tables.py [--debian DIR] [--data DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.bench.table_files import PG, PY, write

REPO = Path(__file__).resolve().parents[2]
SET = REPO / "assets" / "tables"
HTML = [
    f"{PG}/datatype-numeric.html",
    f"{PG}/functions-math.html",
    f"{PY}/struct.html",
    f"{PY}/stdtypes.html",
    "debian/sqlite3-doc/usr/share/doc/sqlite3/datatype3.html",
]
PDF = ["debian/debian-reference-en/usr/share/debian-reference/debian-reference.en.pdf"]


def build_corpus(debian: Path, docs: Path) -> None:
    for folder, names in (("html", HTML), ("pdf", PDF)):
        (docs / folder).mkdir(parents=True, exist_ok=True)
        for name in names:
            target = docs / folder / Path(name).name
            if not target.exists():
                shutil.copy2(debian / name, target)
    write(debian, docs / "sheets")


def _norm(text: str) -> str:
    return " ".join(text.split())


def rank(hits: Any, case: dict[str, Any], docs: Path) -> int | None:
    """1-based rank of the first hit from the case's file holding answer and row cells."""
    for n, hit in enumerate(hits, 1):
        text = _norm(hit.text)
        if (
            Path(hit.path).resolve() == (docs / case["file"]).resolve()
            and _norm(case["answer"]) in text
            and _norm(case["row"]) in text
        ):
            return n
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--debian", default=os.environ.get("RAGTUI_DEBIAN_DOCS", "/work/debian-docs")
    )
    parser.add_argument("--data", help="work folder to keep between runs")
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()
    os.environ["RAGTUI_LLM__MODEL_PATH"] = str(Path(tempfile.gettempdir()) / "none.gguf")
    from ragtui.config import load_settings
    from ragtui.core.engine import Engine

    work = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="ragtui-tables-"))
    docs = work / "docs"
    build_corpus(Path(args.debian), docs)
    engine = Engine(load_settings(), work / "data")
    engine.add_folder(docs)
    started = time.perf_counter()
    engine.index()
    index_s = time.perf_counter() - started
    cases = [json.loads(line) for line in (SET / "questions.jsonl").open()]
    rows = []
    for case in cases:
        result = engine.search(case["question"], k=3, mode="hybrid")
        found = rank(result.hits, case, docs)
        top = [f"{Path(h.path).name} {h.location.label()}" for h in result.hits]
        rows.append({"id": case["id"], "file": case["file"], "rank": found, "top": top})
    by_kind: dict[str, list[bool]] = {}
    for row in rows:
        by_kind.setdefault(row["file"].split("/")[0], []).append(row["rank"] is not None)
    report = {
        "questions": len(rows),
        "top3": round(sum(r["rank"] is not None for r in rows) / len(rows), 3),
        "top3_by_kind": {k: f"{sum(v)}/{len(v)}" for k, v in sorted(by_kind.items())},
        "chunks": engine.stats.counts().chunks,
        "index_s": round(index_s, 1),
        "cases": rows,
    }
    engine.close()
    text = json.dumps(report, indent=1, ensure_ascii=False)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    if not args.data:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
