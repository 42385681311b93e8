"""A follow-up on the Ask screen: the conversation's earlier turns reach the Engine, a new
conversation (Ctrl-N) has none, a reopened one passes its stored turns, and a rewritten
follow-up shows what was searched for it."""

from __future__ import annotations

from textual.widgets import Static

from ragtui.tui.app import create_app
from ragtui.tui.screens.ask import AskScreen
from ragtui.tui.widgets.answer_view import TurnView
from tests.tui.fixed import FixedEngine
from tests.tui.test_screens import SIZE, _ask


def _searched(turn: TurnView) -> str | None:
    """The turn's "searched for" line, or None when it is hidden."""
    line = turn.query_one(".searched", Static)
    return str(line.render()) if line.display else None


async def test_followups_pass_the_conversations_turns(fixed_engine: FixedEngine) -> None:
    app = create_app(fixed_engine, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, AskScreen)
        await _ask(app, pilot, "When is the timing belt replaced?")
        await _ask(app, pilot, "And the spark plugs?")
        first = screen.conversation
        assert fixed_engine.histories[0] == []
        assert [e.question for e in fixed_engine.histories[1]] == [
            "When is the timing belt replaced?"
        ]
        await pilot.press("ctrl+n")
        await pilot.pause()
        await _ask(app, pilot, "What is the router's address?")
        assert fixed_engine.histories[2] == []
        assert first is not None
        await screen.open_conversation(first)
        await pilot.pause()
        await _ask(app, pilot, "And the oil?")
        assert [e.question for e in fixed_engine.histories[3]] == [
            "When is the timing belt replaced?",
            "And the spark plugs?",
        ]


async def test_a_rewritten_followup_shows_what_was_searched(fixed_engine: FixedEngine) -> None:
    app = create_app(fixed_engine, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, AskScreen)
        first = await _ask(app, pilot, "What pressure should the front tyres on the Kestrel be?")
        followup = await _ask(app, pilot, "And the rear ones?")
        assert _searched(first) is None
        searched = _searched(followup)
        assert searched is not None and searched.startswith("searched for: And the rear ones? ")
        assert "Kestrel" in searched and "tyres" in searched
        conversation = screen.conversation

        await pilot.press("ctrl+n")
        await pilot.pause()
        fresh = await _ask(app, pilot, "And the rear ones?")
        assert fixed_engine.histories[-1] == []
        assert _searched(fresh) is None

        assert conversation is not None
        await screen.open_conversation(conversation)
        await pilot.pause()
        reopened = list(screen.query(TurnView))
        assert [_searched(t) for t in reopened] == [None, searched]
