"""The app's one error path: a worker's unexpected error is logged with its traceback and
shown as a notification naming the log; a RagtuiError is shown as its sentence."""

from __future__ import annotations

import pytest

from ragtui import paths
from ragtui.core.errors import PathProblem
from ragtui.tui.app import RagtuiApp, create_app
from ragtui.tui.screens.stats import StatsScreen
from tests.tui.fixed import FixedEngine


async def _open_stats(app: RagtuiApp, pilot: object) -> None:
    await pilot.press("f5")  # type: ignore[attr-defined]
    await app.workers.wait_for_complete()
    for _ in range(3):
        await pilot.pause()  # type: ignore[attr-defined]
    assert isinstance(app.screen, StatsScreen)


def _messages(app: RagtuiApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_a_bug_in_a_show_method_is_logged_and_shown(
    fixed_engine: FixedEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(self: StatsScreen, figures: object) -> None:
        raise ZeroDivisionError("a bug in show")

    monkeypatch.setattr(StatsScreen, "show", broken)
    app = create_app(fixed_engine, watch=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await _open_stats(app, pilot)
        shown = [m for m in _messages(app) if "ZeroDivisionError" in m]
        assert shown and str(paths.log_file()) in shown[0]
    log = paths.log_file().read_text(encoding="utf-8")
    assert "command: app" in log
    assert "Traceback" in log and "a bug in show" in log and "in broken" in log


async def test_a_ragtui_error_is_its_sentence_without_a_traceback(
    fixed_engine: FixedEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(self: StatsScreen, figures: object) -> None:
        raise PathProblem("The figures cannot be shown: try again.")

    monkeypatch.setattr(StatsScreen, "show", refused)
    app = create_app(fixed_engine, watch=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await _open_stats(app, pilot)
        assert "The figures cannot be shown: try again." in _messages(app)
    assert "Traceback" not in paths.log_file().read_text(encoding="utf-8")
