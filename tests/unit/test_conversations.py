"""Conversations: stored turns, titles, rename, delete, history and Markdown export."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragtui.core.conversations import ConversationStore, answer_labels, default_title
from ragtui.core.errors import PathProblem
from ragtui.core.models import Answer, Citation, Location


def _answer(question: str, text: str = "Every 100,000 km [1].", **flags: object) -> Answer:
    cite = Citation(
        n=1,
        chunk_id="c1",
        path="/docs/car.md",
        location=Location(heading=("Car", "Belt"), line_start=3, line_end=9),
        snippet="timing belt",
        inferred=False,
    )
    return Answer(
        question=question,
        answer=text,
        citations=(cite,),
        timings_ms={},
        tokens={},
        model="m",
        prompt_version="qa@1",
        **flags,
    )  # type: ignore[arg-type]


def test_turns_titles_history_and_export(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite")
    cid = store.create()
    store.add_turn(cid, _answer("When is the timing belt replaced?"))
    store.add_turn(cid, _answer("And the brake fluid?", "Not in your documents.", abstained=True))
    info = store.get(cid)
    assert info.title == "When is the timing belt replaced?" and info.turns == 2
    turns = store.turns(cid)
    assert [t.question for t in turns] == [
        "When is the timing belt replaced?",
        "And the brake fluid?",
    ]
    assert turns[0].answer.citations[0].location.line_start == 3
    assert store.questions() == ["When is the timing belt replaced?", "And the brake fluid?"]
    md = store.to_markdown(cid)
    assert md.startswith("# When is the timing belt replaced?")
    assert "- [1] `/docs/car.md` · Car > Belt · lines 3-9" in md
    assert "*not found in your documents*" in md
    out = store.export(cid, tmp_path / "out" / "conv.md")
    assert out.read_text() == md
    with pytest.raises(PathProblem):
        store.export(cid, tmp_path)


def test_rename_delete_and_order(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite")
    first, second = store.create(), store.create()
    store.add_turn(first, _answer("q1"))
    assert [c.id for c in store.all()] == [first, second]
    store.rename(second, "  Trip   plans ")
    assert store.get(second).title == "Trip plans"
    with pytest.raises(PathProblem):
        store.rename(second, "   ")
    store.delete(first)
    assert [c.id for c in store.all()] == [second]
    assert store.turns(first) == []
    with pytest.raises(PathProblem):
        store.get(first)


def test_labels_and_titles() -> None:
    assert answer_labels(_answer("q", cached="exact", fallback=True)) == [
        "cached (exact)",
        "extractive fallback",
    ]
    assert default_title("x " * 100).endswith("…")
    assert len(default_title("x " * 100)) == 60
