"""The Evals screen's continuous-evaluation trend and regression flag, and the app's
background run: started with the watcher, cancelled when the app closes."""

from __future__ import annotations

import threading
from collections.abc import Callable

from textual.widgets import Static

from ragtui.core.api import ContinuousOutcome, ContinuousRun, ContinuousTrend, EvalRun
from ragtui.tui.app import create_app
from ragtui.tui.screens.evals import EvalsScreen
from ragtui.tui.widgets.trend import sparkline
from tests.tui.fixed import FixedEngine, eval_runs_data


class FakeContinuous:
    """A fixed trend (the fixed runs, oldest first, compared) and a loop that waits."""

    def __init__(self, trend: ContinuousTrend | None = None) -> None:
        self.trend_data = trend
        self.started = threading.Event()
        self.stopped = threading.Event()

    @property
    def enabled(self) -> bool:
        return True

    def loop(
        self,
        cancel: threading.Event,
        on_outcome: Callable[[ContinuousOutcome], None] | None = None,
    ) -> None:
        self.started.set()
        cancel.wait(30)
        if cancel.is_set():
            self.stopped.set()

    def trend(self) -> ContinuousTrend:
        assert self.trend_data is not None
        return self.trend_data


def _continuous_runs(engine: FixedEngine) -> ContinuousTrend:
    runs = [EvalRun.model_validate(r) for r in eval_runs_data()]
    listed = [
        ContinuousRun(
            run_id=r.run_id,
            name=f"continuous-set@1-{i}",
            created=r.created,
            status=r.status,
            reason="retrieval.mode hybrid → bm25" if i else "no eval set yet",
            set_version=1,
            done=3,
            total=3,
            metrics={k: v.mean for k, v in r.metrics.items()},
        )
        for i, r in enumerate(reversed(runs))
    ]
    comparison = engine.evals.compare(runs[1].run_id, runs[0].run_id)
    return ContinuousTrend(runs=listed, comparison=comparison, regressions=comparison.regressions)


def test_sparkline_scales_between_the_lowest_and_highest() -> None:
    assert sparkline([0.0, 0.5, 1.0]) == "▁▅█"
    assert sparkline([0.5, None, 0.5]) == "█·█" and sparkline([]) == ""


async def test_the_trend_shows_and_flags_a_regression(fixed_engine: FixedEngine) -> None:
    trend = _continuous_runs(fixed_engine)
    fake = FakeContinuous(trend)
    fixed_engine.continuous = fake  # type: ignore[assignment]
    marked = [
        r | {"config": r["config"] | {"continuous": {"reason": "x"}}} for r in eval_runs_data()
    ]
    fixed_engine.evals.runs = lambda: [EvalRun.model_validate(r) for r in marked]  # type: ignore[method-assign]
    app = create_app(fixed_engine, watch=False)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f6")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, EvalsScreen)
        box = screen.query_one("#eval-trend", Static)
        assert box.display and box.has_class("-regressed")
        text = str(box.render())
        assert "nDCG@10" in text and "0.412" in text and "-0.441" in text
        assert "REGRESSION ndcg@10, token_f1: bm25-k1 against baseline (3 cases)" in text
    assert not fake.started.is_set()  # watch=False: no background work


async def test_no_trend_without_continuous_runs(fixed_engine: FixedEngine) -> None:
    app = create_app(fixed_engine, watch=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f6")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not app.screen.query_one("#eval-trend", Static).display


async def test_the_app_runs_it_in_the_background_and_cancels_it_on_exit(
    fixed_engine: FixedEngine,
) -> None:
    fake = FakeContinuous()
    fixed_engine.continuous = fake  # type: ignore[assignment]
    fixed_engine.folders = lambda: []  # type: ignore[method-assign]
    app = create_app(fixed_engine, watch=True, warm=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert fake.started.wait(5)
        await pilot.press("ctrl+q")
    assert fake.stopped.wait(5)
    app.shutdown_background(5)
