"""Thumbs up and down for the shown answer with one key on the Ask screen (Pilot)."""

from __future__ import annotations

from textual.widgets import Static

from ragtui.tui.app import create_app
from ragtui.tui.screens.ask import AskScreen
from tests.tui.fixed import FixedEngine, fixed_answer
from tests.tui.test_screens import SIZE, _ask
from tests.unit.test_prompt_stats import ask_trace


async def test_ctrl_g_and_ctrl_b_rate_the_selected_answer(fixed_engine: FixedEngine) -> None:
    trace = ask_trace("qa@2")
    fixed_engine.tracing.store.write([trace])
    fixed_engine._answer = lambda q: fixed_answer(
        q, fixed_engine.docs, trace_id=trace.trace_id, prompt_candidate=True
    ).model_copy(update={"prompt_version": "qa@2"})
    app = create_app(fixed_engine, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, AskScreen)
        await pilot.press("ctrl+g")  # nothing to rate yet
        await pilot.pause()
        assert [n.message for n in app._notifications][-1] == "No answer to rate yet."
        turn = await _ask(app, pilot, "When is the timing belt replaced?")
        meta = turn.query_one(".meta", Static)
        assert "qa@2 (candidate)" in str(meta.render())
        await pilot.press("ctrl+g")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert fixed_engine.real.traces.rating(trace.trace_id) is True
        assert turn.rating is True and "rated up" in str(meta.render())
        await pilot.press("ctrl+b")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert fixed_engine.real.traces.rating(trace.trace_id) is False
        assert "rated down" in str(meta.render())
