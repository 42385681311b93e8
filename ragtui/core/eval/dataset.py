"""Evaluation datasets: JSONL files, one case per line.

A case may name a ``corpus`` (a folder holding a BEIR-style ``corpus.jsonl``,
relative to the dataset file) that is indexed into the run's own index; cases
without one are asked against the user's own index. A case with a ``history`` is a
follow-up asked after those turns.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ragtui.core.errors import PathProblem


class HistoryTurn(BaseModel):
    """An earlier turn of the conversation a case is asked in."""

    model_config = ConfigDict(extra="forbid")

    question: str
    answer: str = ""


class EvalCase(BaseModel):
    """One question with what a good answer looks like."""

    model_config = ConfigDict(extra="forbid")

    id: str
    question: str
    expected_answer: str | None = None
    alternatives: list[str] = Field(
        default_factory=list, description="Other acceptable answers (SQuAD has several)."
    )
    expected_sources: list[str] = Field(
        default_factory=list, description="Paths, document ids or chunk ids that answer it."
    )
    answerable: bool = True
    tags: list[str] = Field(default_factory=list)
    corpus: str | None = None
    history: list[HistoryTurn] = Field(
        default_factory=list, description="Earlier turns, oldest first: a follow-up question."
    )

    def answers(self) -> list[str]:
        """Every acceptable answer."""
        return [a for a in [self.expected_answer, *self.alternatives] if a]


def read_cases(path: Path) -> list[EvalCase]:
    """Cases of a JSONL dataset; a bad line is one sentence naming the file and line."""
    if not path.is_file():
        raise PathProblem(
            f"{path} does not exist: give a JSONL dataset (`ragtui eval import` writes one)."
        )
    cases = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            case = EvalCase.model_validate(json.loads(line))
        except (ValueError, ValidationError) as exc:
            detail = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
            raise PathProblem(
                f"{path} line {number} is not a valid case ({detail}): each line needs at "
                "least an id and a question."
            ) from None
        if case.id in seen:
            raise PathProblem(
                f"{path} line {number} repeats case id {case.id!r}: ids must be unique."
            )
        seen.add(case.id)
        cases.append(case)
    if not cases:
        raise PathProblem(f"{path} holds no cases: add one JSON object per line.")
    return cases


def write_cases(path: Path, cases: Iterable[EvalCase]) -> int:
    """Write cases as JSONL; returns how many."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as fh:
        for case in cases:
            fh.write(case.model_dump_json(exclude_defaults=True) + "\n")
            count += 1
    return count


def corpus_dir(dataset: Path, case: EvalCase) -> Path | None:
    """The folder of a case's corpus, resolved against the dataset file."""
    if case.corpus is None:
        return None
    folder = Path(case.corpus)
    return folder if folder.is_absolute() else (dataset.parent / folder).resolve()
