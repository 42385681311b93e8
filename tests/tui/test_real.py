"""The app over the real Engine, the demo corpus and the default models (slow)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import DataTable, ProgressBar

from ragtui.core.engine import Engine, create_engine
from ragtui.tui.app import create_app
from ragtui.tui.screens.ask import AskScreen
from ragtui.tui.screens.evals import EvalsScreen, RunDialog
from ragtui.tui.screens.library import LibraryScreen
from ragtui.tui.screens.preview import SourcePreview
from ragtui.tui.screens.traces import TracesScreen
from ragtui.tui.widgets.answer_view import TurnView
from ragtui.tui.widgets.source_list import SourceList
from ragtui.tui.widgets.waterfall import Waterfall

pytestmark = pytest.mark.slow
QUESTION = "At what mileage is the timing belt replaced?"


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = create_engine()
    yield engine
    engine.close()


async def test_ask_stream_citation_preview_and_trace(engine: Engine, demo_docs: Path) -> None:
    engine.add_folder(demo_docs)
    engine.index()
    app = create_app(engine, watch=False)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, AskScreen)
        await pilot.press(*QUESTION, "enter")
        deadline = time.monotonic() + 300
        while screen._asking and time.monotonic() < deadline:
            await pilot.pause(0.2)
        await app.workers.wait_for_complete()
        await pilot.pause()
        turn = list(screen.query(TurnView))[-1]
        assert turn.answer is not None, "no answer within 300 s"
        assert "45,000" in turn.answer.answer
        assert screen.last_stream is not None and screen.last_stream.tokens > 0
        assert screen.last_stream.appends <= screen.last_stream.tokens
        sources = screen.query_one(SourceList)
        assert sources.citations
        sources.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SourcePreview)
        assert any(c.path.endswith("car-maintenance.md") for c in sources.citations)
        await pilot.press("escape", "f4")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        traces = app.screen
        assert isinstance(traces, TracesScreen)
        assert traces.traces[0].name == "ask"
        names = [r.span.name for r in traces.query_one(Waterfall).rows]
        assert {"ask", "search", "llm.generate", "prompt.render"} <= set(names)


async def test_index_progress_table_and_live_edits(engine: Engine, demo_docs: Path) -> None:
    engine.add_folder(demo_docs)
    app = create_app(engine, watch=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f3")
        screen = app.screen
        assert isinstance(screen, LibraryScreen)
        table = screen.query_one("#files", DataTable)
        assert table.row_count == 0
        await pilot.press("i")
        seen_progress = False
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            await pilot.pause(0.05)
            seen_progress = seen_progress or app.service.progress() is not None
            if app.service.state == "watching":
                break
        # with warm models the demo corpus indexes in under a second, between two polls
        assert seen_progress or app.service.progress_reports > 0
        assert app.service.state == "watching"
        await pilot.pause(1.0)
        files = sum(1 for p in demo_docs.rglob("*") if p.is_file())
        assert table.row_count == files
        assert any("sync" in e for e in app.service.events)
        # an edit while the app is open shows up in the table
        (demo_docs / "new-note.md").write_text("# Bike\n\nThe chain is oiled every 300 km.\n")
        deadline = time.monotonic() + 60
        while table.row_count < files + 1 and time.monotonic() < deadline:
            await pilot.pause(0.2)
        assert table.row_count == files + 1
    app.shutdown_background()


def _tiny_eval(root: Path) -> Path:
    """A BEIR-style corpus of four documents and a dataset of three cases over it."""
    docs = {
        "belt": (
            "Timing belt",
            "The timing belt of the Kestrel wagon is replaced at 45,000 miles.",
        ),
        "oil": ("Engine oil", "Change the engine oil every 7,500 miles."),
        "wifi": ("Home network", "The router sits in the hallway cupboard."),
        "bread": ("Recipes", "Sourdough bread needs a starter fed the day before."),
    }
    corpus = root / "beir"
    corpus.mkdir(parents=True)
    (corpus / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": i, "title": t, "text": x}) + "\n" for i, (t, x) in docs.items())
    )
    cases = [
        {
            "id": "q1",
            "question": "When is the timing belt replaced?",
            "expected_sources": ["belt"],
            "corpus": "beir",
        },
        {
            "id": "q2",
            "question": "How often is the engine oil changed?",
            "expected_sources": ["oil"],
            "corpus": "beir",
        },
        {
            "id": "q3",
            "question": "What does sourdough bread need?",
            "expected_sources": ["bread"],
            "corpus": "beir",
        },
    ]
    dataset = root / "cases.jsonl"
    dataset.write_text("".join(json.dumps(c) + "\n" for c in cases))
    return dataset


async def test_eval_run_from_the_evals_screen(engine: Engine, tmp_path: Path) -> None:
    dataset = _tiny_eval(tmp_path / "eval")
    app = create_app(engine, watch=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f6")
        await app.workers.wait_for_complete()
        screen = app.screen
        assert isinstance(screen, EvalsScreen)
        assert screen.query_one("#eval-runs", DataTable).row_count == 0
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, RunDialog)
        await pilot.press(*str(dataset), "tab", *"tiny", "tab", "tab", "space")  # retrieval only
        await pilot.click("#run-start")
        await pilot.pause()  # with warm models three cases may already be done here
        deadline = time.monotonic() + 300
        while screen.running and time.monotonic() < deadline:
            await pilot.pause(0.2)
        assert not screen.running, "the run did not finish within 300 s"
        await app.workers.wait_for_complete()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.query_one("#eval-bar", ProgressBar).progress == 3
        runs = screen.query_one("#eval-runs", DataTable)
        assert runs.row_count == 1
        row = runs.get_row_at(0)
        assert str(row[1]) == "tiny" and str(row[3]) == "complete"
        assert float(str(row[5])) > 0.5  # nDCG@10: the right document ranks near the top
        assert screen.query_one("#eval-cases", DataTable).row_count == 3
        assert screen.current is not None and screen.current.config["retrieval_only"]


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_real_terminal_smoke(engine: Engine, demo_docs: Path, ragtui_home: Path) -> None:
    """`ragtui` in tmux: type a question, read the answer and a citation from the screen."""
    engine.add_folder(demo_docs)
    engine.index()
    engine.close()
    ragtui = Path(sys.executable).parent / "ragtui"
    session = f"ragtui-smoke-{os.getpid()}-{time.monotonic_ns()}"  # unique even after a kill

    def tmux(*args: str) -> str:
        return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout

    def screen() -> str:
        return tmux("capture-pane", "-p", "-t", session)

    def wait_for(text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        shown = ""
        while time.monotonic() < deadline:
            shown = screen()
            if text in shown:
                return shown
            time.sleep(0.3)
        raise AssertionError(f"{text!r} not on screen after {timeout} s:\n{shown}")

    subprocess.run(
        [
            "tmux",
            "new-session",
            "-d",
            "-s",
            session,
            "-x",
            "100",
            "-y",
            "30",
            f"RAGTUI_HOME={ragtui_home} TERM=xterm-256color {ragtui}",
        ],
        check=True,
    )
    try:
        wait_for("Ask a question", 30)
        tmux("send-keys", "-t", session, "-l", QUESTION)
        tmux("send-keys", "-t", session, "Enter")
        shown = wait_for("first token", 300)  # the timings line ends an answer
        assert "45,000" in shown
        assert "car-maintenance.md" in shown  # the Sources list beside the answer
        tmux("send-keys", "-t", session, "Tab")
        tmux("send-keys", "-t", session, "Enter")
        shown = wait_for("Open in $EDITOR", 10)  # the source preview of the first citation
        assert f"{demo_docs}/" in shown
        tmux("send-keys", "-t", session, "Escape")
        tmux("send-keys", "-t", session, "C-q")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and session in tmux("ls"):
            time.sleep(0.3)
        assert session not in tmux("ls")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)
