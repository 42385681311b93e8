"""TUI figures: first frame from process start, key latency while indexing, streaming delay.

Usage: python tests/bench/tui_bench.py [--runs 5] [--files 300] [--keys 40] [--questions 3]
       [--skip first_frame,keys,stream]
Prints one JSON object. Figures, not asserts; run on an otherwise idle machine.

- first_frame_s: ``ragtui`` spawned in a 100x30 pseudo-terminal over the indexed demo
  corpus; time from the spawn until the Ask screen's text reaches the terminal.
- key_latency_ms: Pilot presses screen-switch and table keys while the app indexes
  ``--files`` files of ../shared/data/personal-docs (parse and embed in its worker thread);
  time from the key until the new screen state has been processed and refreshed.
- stream_latency_ms: per token, from the core's ``on_token`` call (llama.cpp thread) until
  the answer's Markdown widget holds it (TokenStream with ``record=True``), for demo
  questions with the default model, and for a synthetic 200 tokens/s stream.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import json
import os
import pty
import select
import shutil
import signal
import struct
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "assets" / "demo" / "corpus"
PERSONAL = REPO.parent / "shared" / "data" / "personal-docs"
QUESTIONS = REPO / "assets" / "demo" / "questions.jsonl"


def _spread(values: list[float]) -> dict[str, Any]:
    from ragtui.core.stats import percentile

    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "p50": round(percentile(values, 50) or 0, 2),
        "p95": round(percentile(values, 95) or 0, 2),
        "max": round(max(values), 2),
    }


def _home_with_demo_index(root: Path) -> Path:
    """A RAGTUI_HOME whose index holds the demo corpus (embedded)."""
    home = root / "home"
    os.environ["RAGTUI_HOME"] = str(home)
    from ragtui.core.engine import create_engine

    docs = root / "docs"
    shutil.copytree(DEMO, docs)
    engine = create_engine()
    try:
        engine.add_folder(docs)
        engine.index()
    finally:
        engine.close()
    return home


def first_frame(home: Path, runs: int) -> dict[str, Any]:
    """Spawn ``ragtui`` in a pty; seconds until the first frame's text arrives."""
    ragtui = Path(sys.executable).parent / "ragtui"
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:  # child
            os.environ.update({"RAGTUI_HOME": str(home), "TERM": "xterm-256color"})
            os.execv(str(ragtui), [str(ragtui)])
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        seen = b""
        took = None
        deadline = started + 30
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
            if b"question about your documents" in seen:
                took = time.perf_counter() - started
                break
        os.write(fd, b"\x11")  # ctrl+q
        end = time.perf_counter() + 10
        while time.perf_counter() < end:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                with contextlib.suppress(OSError):
                    os.read(fd, 65536)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
        if took is not None:
            times.append(took)
    return {
        "runs": runs,
        "seconds": [round(t, 3) for t in times],
        "p50_s": round(sorted(times)[len(times) // 2], 3) if times else None,
        "min_s": round(min(times), 3) if times else None,
    }


async def _key_latency(files: int, presses: int) -> dict[str, Any]:
    """Screen switches (F2-F5) sent as key events through the driver, like a terminal's;
    latency = until the app has composed and rendered a frame of the new screen (the
    headless driver drops the bytes, so the render is hooked at ``App._display``)."""
    from textual import events

    from ragtui.core.engine import create_engine
    from ragtui.tui.app import create_app

    root = Path(tempfile.mkdtemp(prefix="ragtui-tui-keys-"))
    os.environ["RAGTUI_HOME"] = str(root / "home")
    docs = root / "docs"
    chosen = sorted(p for p in PERSONAL.rglob("*") if p.is_file())[:files]
    for path in chosen:
        target = docs / path.relative_to(PERSONAL)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    engine = create_engine()
    engine.add_folder(docs)
    app = create_app(engine, watch=False)
    idle: list[float] = []
    busy: list[float] = []
    log: list[tuple[str, float]] = []
    frames: list[tuple[float, Any]] = []
    modes = {"f2": "ask", "f3": "library", "f4": "traces", "f5": "stats"}
    cycle = ["f4", "f3", "f5", "f2", "f3"]
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            real_display = app._display

            def display(screen: Any, renderable: Any) -> None:
                frames.append((time.perf_counter(), screen))
                real_display(screen, renderable)

            app._display = display  # type: ignore[method-assign]

            async def press(key: str, into: list[float]) -> None:
                started = time.perf_counter()
                event = events.Key(key, None)
                event.set_sender(app)
                app._driver.send_message(event)  # type: ignore[union-attr]
                deadline = started + 10
                while time.perf_counter() < deadline:
                    await asyncio.sleep(0.001)
                    hit = [
                        t
                        for t, screen in frames
                        if t > started and getattr(screen, "MODE", None) == modes[key]
                    ]
                    if hit:
                        into.append((hit[0] - started) * 1000)
                        log.append((key, round(into[-1], 1)))
                        return

            for key in cycle * 2:  # build every screen once, then measure when idle
                await press(key, [])
                await pilot.pause(0.3)
            for key in cycle * 2:
                await press(key, idle)
                await pilot.pause(0.3)
            app.service.reindex()
            app.ensure_service()
            deadline = time.monotonic() + 60
            while not app.service.busy() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            n = 0
            while app.service.busy() and len(busy) < presses:
                await press(cycle[n % len(cycle)], busy)
                n += 1
                await asyncio.sleep(0.3)
            indexing_done = not app.service.busy()
            app.service.stop()
            deadline = time.monotonic() + 120
            while app.service.busy() and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
    finally:
        app.shutdown_background()
        engine.close()
        shutil.rmtree(root, ignore_errors=True)
    return {
        "files": len(chosen),
        "idle": _spread(idle),
        "while_indexing": _spread(busy),
        "indexing_finished_before_enough_presses": indexing_done,
        "log": log if os.environ.get("TUI_BENCH_LOG") else None,
    }


async def _stream_latency(home: Path, questions: int) -> dict[str, Any]:
    from ragtui.core.engine import create_engine
    from ragtui.tui.app import create_app
    from ragtui.tui.screens.ask import AskScreen

    os.environ["RAGTUI_HOME"] = str(home)
    asked = [
        json.loads(line)["question"]
        for line in QUESTIONS.read_text().splitlines()
        if line.strip() and json.loads(line).get("answerable", True)
    ][:questions]
    engine = create_engine()
    engine.settings.answer.cache = False  # every question streams
    app = create_app(engine, watch=False)
    real: list[float] = []
    tokens = appends = 0
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            screen = app.screen
            assert isinstance(screen, AskScreen)
            screen.record_latency = True
            for question in asked:
                await screen.ask(question)
                while screen._asking:
                    await pilot.pause(0.05)
                stream = screen.last_stream
                assert stream is not None
                real += stream.latencies_ms
                tokens += stream.tokens
                appends += stream.appends
            synthetic = await _synthetic(app, screen, pilot)
    finally:
        engine.close()
    return {
        "model": {
            "questions": len(asked),
            "tokens": tokens,
            "markdown_appends": appends,
            "added_ms": _spread(real),
        },
        "synthetic_200_tps": synthetic,
    }


async def _synthetic(app: Any, screen: Any, pilot: Any) -> dict[str, Any]:
    """A 200 tokens/s producer thread feeding a TokenStream (no model)."""
    from textual.widgets import Markdown

    from ragtui.tui.widgets.answer_view import TokenStream

    markdown = Markdown("")
    await screen.query_one("#transcript").mount(markdown)
    stream = TokenStream(markdown, record=True)

    def produce() -> None:
        for i in range(400):
            stream.put(f"word{i} " if i % 40 else "\n\n")
            time.sleep(0.005)

    thread = threading.Thread(target=produce)
    thread.start()
    while thread.is_alive():
        await pilot.pause(0.05)
    await stream.finish()
    return {
        "tokens": stream.tokens,
        "markdown_appends": stream.appends,
        "added_ms": _spread(stream.latencies_ms),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--keys", type=int, default=40)
    parser.add_argument("--questions", type=int, default=3)
    parser.add_argument("--skip", default="")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    figures: dict[str, Any] = {}
    root = Path(tempfile.mkdtemp(prefix="ragtui-tui-bench-"))
    try:
        home = _home_with_demo_index(root) if skip != {"first_frame", "stream"} else root
        if "first_frame" not in skip:
            figures["first_frame"] = first_frame(home, args.runs)
        if "keys" not in skip:
            if PERSONAL.is_dir():
                figures["key_latency_ms"] = asyncio.run(_key_latency(args.files, args.keys))
            else:
                figures["key_latency_ms"] = f"skipped: {PERSONAL} not found"
        if "stream" not in skip:
            figures["stream_latency"] = asyncio.run(_stream_latency(home, args.questions))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
