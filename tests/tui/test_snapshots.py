"""SVG snapshots of every screen at 100x30 over fixed data (no clock, no model, no paths
of this machine). Update after a deliberate UI change with ``--snapshot-update``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ragtui import paths
from ragtui.tui.app import RagtuiApp, create_app
from ragtui.tui.screens.ask import AskScreen
from tests.tui.fixed import FixedEngine

SIZE = (100, 30)
DOCS = Path("/home/you/documents")  # shown in the UI: the same on every machine


@pytest.fixture
def snapshot_app(ragtui_home: Path) -> Iterator[RagtuiApp]:
    engine = FixedEngine(DOCS, paths.data_dir())
    yield create_app(engine, watch=False)
    engine.close()


async def _settle(pilot: Any) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _goto(key: str) -> Callable[[Any], Any]:
    async def run_before(pilot: Any) -> None:
        await pilot.press(key)
        await _settle(pilot)

    return run_before


async def _ask(pilot: Any) -> None:
    await pilot.press(*"When is the timing belt replaced?", "enter")
    screen = pilot.app.screen
    assert isinstance(screen, AskScreen)
    for _ in range(1000):  # up to 20 s: a loaded machine streams slowly
        await pilot.pause(0.02)
        if not screen._asking:
            break
    await _settle(pilot)


def test_ask_screen(snap_compare: Any, snapshot_app: RagtuiApp) -> None:
    assert snap_compare(snapshot_app, terminal_size=SIZE, run_before=_ask)


def test_library_screen(snap_compare: Any, snapshot_app: RagtuiApp) -> None:
    assert snap_compare(snapshot_app, terminal_size=SIZE, run_before=_goto("f3"))


def test_traces_screen(snap_compare: Any, snapshot_app: RagtuiApp) -> None:
    async def run_before(pilot: Any) -> None:
        await _goto("f4")(pilot)
        await pilot.press("w", "down", "down", "down")  # select retrieve.bm25
        await _settle(pilot)

    assert snap_compare(snapshot_app, terminal_size=SIZE, run_before=run_before)


def test_traces_chunks_tab(snap_compare: Any, snapshot_app: RagtuiApp) -> None:
    async def run_before(pilot: Any) -> None:
        await _goto("f4")(pilot)
        await pilot.click("#span-tabs Tab#--content-tab-tab-chunks")
        await _settle(pilot)

    assert snap_compare(snapshot_app, terminal_size=SIZE, run_before=run_before)


def test_stats_screen(snap_compare: Any, snapshot_app: RagtuiApp) -> None:
    assert snap_compare(snapshot_app, terminal_size=SIZE, run_before=_goto("f5"))


def test_help_screen(snap_compare: Any, snapshot_app: RagtuiApp) -> None:
    assert snap_compare(snapshot_app, terminal_size=SIZE, run_before=_goto("f1"))


def test_evals_screen(snap_compare: Any, snapshot_app: RagtuiApp) -> None:
    assert snap_compare(snapshot_app, terminal_size=SIZE, run_before=_goto("f6"))
