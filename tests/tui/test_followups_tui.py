"""A follow-up on the Ask screen: the conversation's earlier turns reach the Engine, a new
conversation (Ctrl-N) has none, and a reopened one passes its stored turns."""

from __future__ import annotations

from ragtui.tui.app import create_app
from ragtui.tui.screens.ask import AskScreen
from tests.tui.fixed import FixedEngine
from tests.tui.test_screens import SIZE, _ask


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
