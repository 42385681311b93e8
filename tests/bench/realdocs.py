"""Ask the real-documents question set (assets/realdocs) with the configured models.

Copies the files listed in ``assets/realdocs/corpus.txt`` (from ../shared/data/personal-docs
and the Debian manuals that ``get-debian-docs.sh`` unpacks) into a work folder, indexes
them, asks every question without the answer cache and prints one JSON object: per
question the answer, its evidence and citations, whether every expected fact is in the
answer or its evidence (and in the answer alone), whether an expected file is cited, and
the totals the issue's figures are read from. A declined answer is never right, whatever
its evidence holds.

    python tests/bench/realdocs.py [--data DIR] [--debian DIR] [--ids rd-001,rd-002]
        [--retrieval-only] [--out FILE]

``--data`` keeps the index between runs (indexing the ~12 MB corpus embeds for minutes);
``--retrieval-only`` skips the model and reports evidence and abstention only.
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
from typing import Any

from ragtui.core.eval.metrics import has_facts, percentile

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
SET = REPO / "assets" / "realdocs"


def _debian_root(given: str | None) -> Path:
    root = Path(given or os.environ.get("RAGTUI_DEBIAN_DOCS", "/tmp/ragtui-debian-docs"))
    if not (root / "debian").is_dir():
        subprocess.run(
            ["bash", str(SHARED / "personal-docs" / "get-debian-docs.sh"), str(root)], check=True
        )
    return root


def build_corpus(docs: Path, debian: Path) -> int:
    """Copy every corpus.txt entry under ``docs`` (same relative paths); returns files."""
    roots = {"personal-docs": SHARED / "personal-docs", "debian-docs": debian}
    count = 0
    for line in (SET / "corpus.txt").read_text().splitlines():
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        prefix, _, rest = entry.partition("/")
        source = roots[prefix] / rest
        target = docs / entry
        if target.exists():
            count += sum(1 for p in target.rglob("*") if p.is_file()) if target.is_dir() else 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, symlinks=False)
            count += sum(1 for p in target.rglob("*") if p.is_file())
        else:
            shutil.copy2(source, target)
            count += 1
    return count


def _relative(path: str, docs: Path) -> str:
    try:
        return Path(path).relative_to(docs).as_posix()
    except ValueError:
        return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", help="data dir to keep the index in between runs")
    parser.add_argument("--debian", help="where get-debian-docs.sh unpacked (or will unpack)")
    parser.add_argument("--ids", help="only these question ids, comma-separated")
    parser.add_argument("--retrieval-only", action="store_true")
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()

    if args.retrieval_only:  # no model: every answer is the extractive one, with evidence
        os.environ["RAGTUI_LLM__MODEL_PATH"] = str(Path(tempfile.gettempdir()) / "none.gguf")
    from ragtui.config import load_settings
    from ragtui.core.engine import Engine

    work = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="ragtui-realdocs-"))
    docs = work / "docs"
    files = build_corpus(docs, _debian_root(args.debian))
    engine = Engine(load_settings(), work / "data")
    engine.add_folder(docs)
    started = time.perf_counter()
    report = engine.index()
    index_s = time.perf_counter() - started
    cases = [json.loads(line) for line in (SET / "questions.jsonl").open()]
    if args.ids:
        wanted = set(args.ids.split(","))
        cases = [c for c in cases if c["id"] in wanted]
    rows: list[dict[str, Any]] = []
    for case in cases:
        rows.append(ask_case(engine, case, docs))
        print(
            json.dumps({k: rows[-1][k] for k in ("id", "right", "abstained", "answer")}),
            file=sys.stderr,
            flush=True,
        )
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    answered = [r for r in rows if not r["abstained"]]
    total_ms = [r["total_ms"] for r in answered]

    def share(part: list[Any], whole: list[Any]) -> float:
        return round(len(part) / len(whole), 3) if whole else 0.0

    result = {
        "files": files,
        "chunks": engine.stats.counts().chunks,
        "index_s": round(index_s, 1),
        "indexed_now": report.added + report.updated,
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "right": share([r for r in answerable if r["right"]], answerable),
        "answer_alone_right": share([r for r in answerable if r["answer_right"]], answerable),
        "evidence_has_facts": share([r for r in answerable if r["evidence_facts"]], answerable),
        "facts_in_answer_or_evidence": share([r for r in answerable if r["facts"]], answerable),
        "source_cited": share([r for r in answerable if r["source"]], answerable),
        "answerable_declined": share([r for r in answerable if r["abstained"]], answerable),
        "unanswerable_abstained": share([r for r in unanswerable if r["abstained"]], unanswerable),
        "looped": sum(r["looped"] for r in rows),
        "quoted": sum(r["quoted"] for r in rows),
        "total_ms_p50": round(percentile(total_ms, 50)),
        "total_ms_p95": round(percentile(total_ms, 95)),
        "cases": rows,
    }
    text = json.dumps(result, indent=1, ensure_ascii=False)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    engine.close()
    if not args.data:
        shutil.rmtree(work, ignore_errors=True)


def ask_case(engine: Any, case: dict[str, Any], docs: Path) -> dict[str, Any]:
    """Ask ``case`` and score it: facts in the answer or its evidence, source cited."""
    answer = engine.ask(case["question"], use_cache=False)
    cited = {_relative(p, docs) for c in answer.citations for p in (c.path, *c.also_at)}
    evidence_text = " ".join(e.text for e in answer.evidence)
    expected = set(case.get("expected_sources", []))
    facts = case.get("facts", [])
    shown = answer.answer if not (answer.abstained or answer.fallback) else ""
    in_answer = bool(facts) and has_facts(shown, facts)
    in_evidence = bool(facts) and has_facts(evidence_text, facts)
    both = bool(facts) and has_facts(shown + " " + evidence_text, facts)
    source = bool(cited & expected) or bool(
        {_relative(e.path, docs) for e in answer.evidence} & expected
    )
    return {
        "id": case["id"],
        "question": case["question"],
        "answerable": case["answerable"],
        "answer": answer.answer,
        "abstained": answer.abstained,
        "quoted": answer.quoted,
        "fallback": answer.fallback,
        "looped": answer.error == "the model started repeating itself",
        "evidence": [
            {
                "text": e.text,
                "path": _relative(e.path, docs),
                "location": e.location.label(),
                "score": e.score,
            }
            for e in answer.evidence
        ],
        "cited": sorted(cited),
        "facts": both,
        "answer_right": in_answer and source,
        "evidence_facts": in_evidence,
        "source": source,
        "right": both and source and not answer.abstained,  # a decline answers nothing
        "total_ms": round(answer.timings_ms.get("total", 0.0)),
        "ttft_ms": round(answer.timings_ms.get("ttft", 0.0)),
    }


if __name__ == "__main__":
    main()
