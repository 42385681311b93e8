"""Turn public datasets into ragtui eval cases (JSONL) plus, where needed, a corpus.

``beir`` cases point at the BEIR folder's own corpus; ``squad`` and ``clapnq``
write their passages next to the cases as ``<out>.corpus/corpus.jsonl`` so a run
indexes exactly those passages (gold ones and every other one as distractors).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ragtui.core.errors import PathProblem
from ragtui.core.eval.beir import BeirDataset
from ragtui.core.eval.dataset import EvalCase, write_cases

FORMATS = ("beir", "squad", "clapnq")


def _sample(items: list[Any], limit: int | None, seed: int) -> list[Any]:
    """A seeded sample in the original order (the first N would all be one topic)."""
    if limit is None or limit >= len(items):
        return items
    keep = set(random.Random(seed).sample(range(len(items)), limit))
    return [item for i, item in enumerate(items) if i in keep]


def _write_corpus(out: Path, rows: Iterable[dict[str, str]]) -> str:
    """Write ``<out>.corpus/corpus.jsonl``; returns its folder name relative to ``out``."""
    folder = out.with_name(out.stem + ".corpus")
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return folder.name


def import_beir(
    path: Path, out: Path, split: str = "test", limit: int | None = None, seed: int = 0
) -> int:
    """Queries with relevance judgements of one split; the corpus stays where it is."""
    dataset = BeirDataset(path, split)
    dataset.check()
    queries, qrels = dataset.queries(), dataset.qrels()
    judged = [qid for qid in qrels if qid in queries and any(g > 0 for g in qrels[qid].values())]
    root = path.resolve()
    name = root.parent.name if root.name in ("beir", "beir_view") else root.name
    cases = (
        EvalCase(
            id=f"{name}-{qid}",
            question=queries[qid],
            expected_sources=[d for d, g in qrels[qid].items() if g > 0],
            tags=["beir", name, split],
            corpus=str(root),
        )
        for qid in _sample(judged, limit, seed)
    )
    return write_cases(out, cases)


def _squad_file(path: Path) -> Path:
    if path.is_dir():
        found = sorted(path.glob("*.json"))
        if not found:
            raise PathProblem(f"{path} holds no SQuAD .json file: give dev-v1.1.json itself.")
        return found[0]
    return path


def import_squad(path: Path, out: Path, limit: int | None = None, seed: int = 0) -> int:
    """SQuAD v1.1: every question with its gold answers; its paragraph is the source."""
    source = _squad_file(path)
    try:
        articles = json.loads(source.read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError) as exc:
        raise PathProblem(f"{source} is not a SQuAD v1.1 JSON file ({exc}).") from None
    corpus, questions = [], []
    for article in articles:
        title = article["title"].replace("_", " ")
        for number, paragraph in enumerate(article["paragraphs"]):
            doc_id = f"squad-{article['title']}-{number}"
            corpus.append({"_id": doc_id, "title": title, "text": paragraph["context"]})
            for qa in paragraph["qas"]:
                answers = list(dict.fromkeys(a["text"].strip() for a in qa["answers"]))
                questions.append((qa, answers, doc_id, title))
    folder = _write_corpus(out, corpus)
    cases = (
        EvalCase(
            id=qa["id"],
            question=qa["question"],
            expected_answer=answers[0],
            alternatives=answers[1:],
            expected_sources=[doc_id],
            tags=["squad", title],
            corpus=folder,
        )
        for qa, answers, doc_id, title in _sample(questions, limit, seed)
    )
    return write_cases(out, cases)


def _clapnq_files(path: Path, split: str) -> tuple[Path, Path]:
    for base in (path, path / "annotated_data" / split, path / split):
        answerable = base / f"clapnq_{split}_answerable.jsonl"
        unanswerable = base / f"clapnq_{split}_unanswerable.jsonl"
        if answerable.is_file() and unanswerable.is_file():
            return answerable, unanswerable
    raise PathProblem(
        f"{path} holds no clapnq_{split}_answerable.jsonl and clapnq_{split}_unanswerable.jsonl: "
        "give the CLAP NQ folder (or its annotated_data/<split> folder)."
    )


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def import_clapnq(
    path: Path, out: Path, split: str = "dev", limit: int | None = None, seed: int = 0
) -> int:
    """CLAP NQ: answerable questions (gold passage, long answer) and unanswerable ones (their
    passage is in the corpus but does not answer them); ``limit`` applies to each kind."""
    answerable, unanswerable = _clapnq_files(path, split)
    corpus, cases = [], []
    for kind, file in (("answerable", answerable), ("unanswerable", unanswerable)):
        rows = list(_rows(file))
        for row in rows:
            for number, passage in enumerate(row["passages"]):
                corpus.append(
                    {
                        "_id": f"clapnq-{row['id']}-{number}",
                        "title": passage.get("title", ""),
                        "text": passage["text"],
                    }
                )
        for row in _sample(rows, limit, seed):
            answers = [o["answer"] for o in row.get("output", []) if o.get("answer")]
            gold = [f"clapnq-{row['id']}-{n}" for n in range(len(row["passages"]))]
            cases.append(
                EvalCase(
                    id=f"clapnq-{row['id']}",
                    question=row["input"],
                    expected_answer=answers[0] if answers else None,
                    alternatives=answers[1:],
                    expected_sources=gold if kind == "answerable" else [],
                    answerable=kind == "answerable",
                    tags=["clapnq", kind],
                )
            )
    folder = _write_corpus(out, corpus)
    return write_cases(out, (c.model_copy(update={"corpus": folder}) for c in cases))


def import_dataset(
    fmt: str,
    path: Path,
    out: Path,
    split: str | None = None,
    limit: int | None = None,
    seed: int = 0,
) -> int:
    """Dispatch on the format name; returns how many cases were written."""
    if not path.exists():
        raise PathProblem(f"{path} does not exist: check the path to the {fmt} data.")
    if fmt == "beir":
        return import_beir(path, out, split or "test", limit, seed)
    if fmt == "squad":
        return import_squad(path, out, limit, seed)
    if fmt == "clapnq":
        return import_clapnq(path, out, split or "dev", limit, seed)
    raise PathProblem(f"Unknown dataset format {fmt!r}: use one of {', '.join(FORMATS)}.")
