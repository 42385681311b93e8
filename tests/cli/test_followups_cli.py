"""``ragtui ask --continue`` and ``--conversation ID``: the earlier turns reach the Engine
and the new turn is stored (the Engine's ask is a fake; the conversations are real)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ragtui.cli import app
from ragtui.core.engine import Engine, create_engine
from ragtui.core.models import Answer
from tests.cli.test_json_contracts import problems

runner = CliRunner()


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[Any]]]:
    """Every (question, history) the CLI asked; answers are canned."""
    calls: list[tuple[str, list[Any]]] = []

    def ask(self: Engine, question: str, *, history: Any = (), **kwargs: Any) -> Answer:
        calls.append((question, list(history)))
        return Answer(
            question=question,
            answer=f"answer {len(calls)}",
            citations=(),
            timings_ms={"retrieve": 1.0, "ttft": 0.0, "total": 2.0},
            tokens={"prompt": 0, "completion": 0},
            model="fake",
            prompt_version="qa@1",
            retrieval_query=f"{question} carried" if history else None,
        )

    monkeypatch.setattr(Engine, "ask", ask)
    return calls


def _turns(conversation: int) -> list[str]:
    engine = create_engine()
    try:
        return [t.question for t in engine.conversations.turns(conversation)]
    finally:
        engine.close()


def test_continue_asks_with_the_latest_conversations_turns(
    asked: list[tuple[str, list[Any]]],
) -> None:
    first = runner.invoke(
        app, ["ask", "What pressure do the front tyres take?", "--continue", "--json"]
    )
    assert first.exit_code == 0, first.output
    started = json.loads(first.stdout)
    assert started["conversation"] == 1 and problems("ask", started) == []
    second = runner.invoke(app, ["ask", "And the rear ones?", "--continue"])
    assert second.exit_code == 0, second.output
    assert "searched for: And the rear ones? carried" in second.stderr
    assert "conversation 1 · turn 2" in second.stderr
    assert asked[0][1] == []
    (earlier,) = asked[1][1]
    assert (earlier.question, earlier.answer) == (
        "What pressure do the front tyres take?",
        "answer 1",
    )
    assert _turns(1) == ["What pressure do the front tyres take?", "And the rear ones?"]


def test_conversation_id_continues_that_conversation(
    asked: list[tuple[str, list[Any]]], ragtui_home: Path
) -> None:
    engine = create_engine()
    try:
        store = engine.conversations
        old, recent = store.create(), store.create()
        store.add_turn(
            old,
            Answer(
                question="Which hotel in Lisbon?",
                answer="Casa do Rio",
                citations=(),
                timings_ms={},
                tokens={},
                model="m",
                prompt_version="qa@1",
            ),
        )
    finally:
        engine.close()
    result = runner.invoke(
        app, ["ask", "What time can we check in?", "--conversation", str(old), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["conversation"] == old
    assert [e.question for e in asked[0][1]] == ["Which hotel in Lisbon?"]
    assert _turns(old) == ["Which hotel in Lisbon?", "What time can we check in?"]
    assert _turns(recent) == []


def test_plain_ask_keeps_no_conversation(asked: list[tuple[str, list[Any]]]) -> None:
    result = runner.invoke(app, ["ask", "Which DNS servers?", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["conversation"] is None and asked[0][1] == []


def test_bad_conversation_options_are_one_sentence(asked: list[tuple[str, list[Any]]]) -> None:
    missing = runner.invoke(app, ["ask", "And then?", "--conversation", "999"])
    assert missing.exit_code == 1 and asked == []
    assert missing.stderr.count("\n") == 1 and "no conversation 999" in missing.stderr
    both = runner.invoke(app, ["ask", "And then?", "--continue", "--conversation", "1"])
    assert both.exit_code == 1 and "not both" in both.stderr
