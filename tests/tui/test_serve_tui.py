"""The app and ``ragtui serve``: it attaches to a running service (which then follows the
folders and answers, token stream and all), works standalone without one or beside a
stale socket, starts and stops one itself, and answers in-process, after one line, when
the service dies mid-answer."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ragtui import paths
from ragtui.core.engine import Engine, create_engine
from ragtui.service import attach, client, protocol
from ragtui.tui.app import RagtuiApp, create_app
from ragtui.tui.screens.ask import AskScreen
from ragtui.tui.screens.stats import StatsScreen
from ragtui.tui.widgets.answer_view import TurnView
from tests.cli.test_serve import _end, _start, _status
from tests.conftest import DEMO_CORPUS, install_bundled
from tests.reliability.conftest import ragtui, write_config

pytestmark = pytest.mark.timeout(180)
QUESTION = "When is the timing belt replaced?"


@pytest.fixture
def library(ragtui_home: Path, tmp_path: Path, bundled_models: dict[str, Path]) -> Path:
    """The demo corpus indexed with the default embedding model and no language model
    (answers are extractive: no GGUF needed)."""
    install_bundled(bundled_models, ragtui_home)
    write_config(ragtui_home, f'[llm]\nmodel_path = "{tmp_path / "no-model.gguf"}"\n')
    assert ragtui(ragtui_home, "add", str(DEMO_CORPUS)).returncode == 0
    assert ragtui(ragtui_home, "index").returncode == 0
    return ragtui_home


@pytest.fixture
def engine(library: Path) -> Iterator[Engine]:
    engine = create_engine()
    yield engine
    engine.close()


@pytest.fixture
def service(library: Path) -> Iterator[Any]:
    process = _start(library)
    yield process
    _end(process)


def _messages(app: RagtuiApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def _palette(app: RagtuiApp) -> list[str]:
    return [c.title for c in app.get_system_commands(app.screen)]


async def _until(pilot: Any, done: Callable[[], object], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


async def _settle(pilot: Any, *groups: str) -> None:
    """Wait for the workers of ``groups`` (not the indexer, which runs for good)."""
    workers = [w for w in pilot.app.workers if w.group in groups]
    if workers:  # (none would wait for every worker)
        await pilot.app.workers.wait_for_complete(workers)
    await pilot.pause()


async def _ask(pilot: Any, question: str, timeout: float = 60.0) -> TurnView:
    screen = pilot.app.screen
    assert isinstance(screen, AskScreen)
    turn = await screen.ask(question)
    await _until(pilot, lambda: not screen._asking, timeout)
    await _settle(pilot, "ask", "finish")
    return turn


async def _system_panel(pilot: Any) -> str:
    await pilot.press("f5")
    screen = pilot.app.screen
    assert isinstance(screen, StatsScreen)
    await _until(pilot, lambda: screen.figures is not None)
    await pilot.pause()
    return str(screen.query_one("#panel-system").render())


async def test_the_app_attaches_and_asks_through_the_service(
    library: Path, engine: Engine, service: Any
) -> None:
    app = create_app(engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await _until(pilot, lambda: app.attached is not None)
        assert app.link is not None and app.link.pid == service.pid
        assert f"Attached to ragtui serve, pid {service.pid}" in _messages(app)[-1]
        assert not app.service_started and not app._warmed  # the service does both
        requests = _status(library)["requests"]  # type: ignore[index]

        turn = await _ask(pilot, QUESTION)
        assert turn.answer is not None and turn.answer.fallback and turn.answer.citations
        assert turn.answer.question == QUESTION
        assert _status(library)["requests"] == requests + 1  # type: ignore[index]
        screen = app.screen
        assert isinstance(screen, AskScreen) and screen.conversation is not None

        follow = await _ask(pilot, "and the serpentine belt?")  # --conversation: it stores it
        assert follow.answer is not None and follow.answer.retrieval_query
        assert _status(library)["requests"] == requests + 2  # type: ignore[index]
        turns = engine.conversations.turns(screen.conversation)
        assert [t.question for t in turns] == [QUESTION, "and the serpentine belt?"]

        panel = await _system_panel(pilot)
        assert f"attached to ragtui serve, pid {service.pid}" in panel

        await pilot.press("f8")  # stop it: the app works standalone
        await _until(pilot, lambda: app.attached is None and app.service_started)
        assert service.wait(timeout=30) == 0
        assert "Stopped ragtui serve" in _messages(app)[-1]


async def test_without_a_service_the_app_is_standalone(library: Path, engine: Engine) -> None:
    app = create_app(engine)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.attached is None and app.service_started
        turn = await _ask(pilot, QUESTION)
        assert turn.answer is not None and turn.answer.citations
        assert "standalone" in await _system_panel(pilot)


async def test_a_stale_socket_leaves_the_app_standalone(library: Path, engine: Engine) -> None:
    path = protocol.socket_path(library / "data")
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))
    stale.close()  # the file stays; nothing listens
    app = create_app(engine)
    async with app.run_test() as pilot:
        await _until(pilot, lambda: app.service_started)
        assert app.attached is None
        assert not any("serve" in m for m in _messages(app))


async def test_the_app_starts_the_service_and_attaches(library: Path, engine: Engine) -> None:
    app = create_app(engine, watch=False)
    try:
        async with app.run_test() as pilot:
            await pilot.pause()
            assert app.attached is None
            assert "Start ragtui serve" in _palette(app)
            await pilot.press("f8")
            await _until(pilot, lambda: app.attached is not None, timeout=120)
            assert "Stop ragtui serve" in _palette(app)
            state = _status(library)
            assert state is not None and app.link is not None and state["pid"] == app.link.pid
            turn = await _ask(pilot, QUESTION)
            assert turn.answer is not None and turn.answer.citations
            assert _status(library)["requests"] == 1  # type: ignore[index]
    finally:
        state = _status(library)
        if state is not None:
            os.kill(int(state["pid"]), signal.SIGTERM)
            deadline = time.monotonic() + 30
            while protocol.socket_path(library / "data").exists() and time.monotonic() < deadline:
                time.sleep(0.1)


async def test_a_service_that_cannot_start_is_one_sentence(library: Path, engine: Engine) -> None:
    data = library / "data"
    with open(data / protocol.LOCK_NAME, "a+") as lock:  # as if another serve held it
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        app = create_app(engine, watch=False)
        async with app.run_test() as pilot:
            await pilot.press("f8")
            await _until(pilot, lambda: "exited at once" in _messages(app)[-1], timeout=120)
            message = _messages(app)[-1]
            assert str(paths.log_file()) in message and message.endswith(".")
            assert app.attached is None


class _FakeService:
    """A stand-in ``ragtui serve``: it answers status, streams one token of an answer, then
    dies (``"dies"``), waits for the client's cancel and ends as ``ask`` does
    (``"stops"``), or takes the cancel and goes on regardless (``"deaf"``)."""

    def __init__(self, data_dir: Path, then: str) -> None:
        self.then = then
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(protocol.socket_path(data_dir)))
        self.listener.listen(4)
        self.asked: list[list[str]] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self.listener.accept()
                with conn, conn.makefile("rb") as reader:
                    request = json.loads(reader.readline())
                    if request.get("control"):
                        state = {"pid": 4242, "warm": True}
                        conn.sendall(protocol.encode({"ok": True, "status": state, "refused": ""}))
                        continue
                    self.asked.append(request["argv"])
                    conn.sendall(protocol.encode({"ok": True, "pid": 4242}))
                    token = json.dumps({"token": "The belt "}) + "\n"
                    conn.sendall(protocol.encode({"fd": 1, "text": token}))
                    if self.then == "dies":
                        continue  # the connection closes: the service died mid-answer
                    cancelled = json.loads(reader.readline()).get("cancel")
                    if self.then == "deaf":
                        reader.readline()  # until the client leaves
                    elif cancelled:
                        conn.sendall(protocol.encode({"fd": 2, "text": "\nstopped.\n"}))
                        conn.sendall(protocol.encode({"exit": 130}))

    def close(self) -> None:
        self.listener.close()


@pytest.mark.parametrize("then", ["stops", "deaf"])
async def test_escape_sends_the_cancel_to_the_service(
    library: Path, engine: Engine, then: str
) -> None:
    fake = _FakeService(library / "data", then)
    try:
        app = create_app(engine, watch=False)
        async with app.run_test() as pilot:
            await _until(pilot, lambda: app.attached is not None)
            screen = app.screen
            assert isinstance(screen, AskScreen)
            turn = await screen.ask(QUESTION)
            await _until(
                pilot, lambda: screen.last_stream is not None and screen.last_stream.tokens
            )
            await pilot.press("escape")
            started = time.monotonic()
            await _until(pilot, lambda: not screen._asking)
            assert time.monotonic() - started < attach.CANCEL_GRACE_S + 3  # deaf: no hang
            await _settle(pilot, "ask", "finish")
            assert turn.answer is None
            assert "Stopped." in str(turn.query_one(".labels").render())
            assert app.attached is not None  # a cancel is not a failure
    finally:
        fake.close()


async def test_a_service_dying_mid_answer_is_replaced_in_process(
    library: Path, engine: Engine
) -> None:
    fake = _FakeService(library / "data", "dies")
    try:
        app = create_app(engine, watch=False)
        async with app.run_test() as pilot:
            await _until(pilot, lambda: app.attached is not None)
            turn = await _ask(pilot, QUESTION)
            assert fake.asked == [["ask", "--stream-json", "--", QUESTION]]
            assert turn.answer is not None and turn.answer.citations  # answered here
            said = [m for m in _messages(app) if "mid-answer" in m]
            assert said == ["ragtui serve stopped mid-answer: answering here instead."]
            assert app.attached is None
    finally:
        fake.close()


def test_stream_json_through_the_service(library: Path, service: Any) -> None:
    done = ragtui(library, "ask", QUESTION, "--stream-json")
    assert done.returncode == 0, done.stderr
    assert _status(library)["requests"] == 1  # type: ignore[index]
    *tokens, final = [json.loads(line) for line in done.stdout.splitlines()]
    assert all(set(t) == {"token"} for t in tokens)
    assert set(final) == {"answer", "record"}
    assert final["answer"]["citations"] and final["record"]["question"] == QUESTION


@pytest.mark.slow
async def test_a_real_model_answers_through_the_service(
    bundled_models: dict[str, Path], ragtui_home: Path
) -> None:
    install_bundled(bundled_models, ragtui_home)
    assert ragtui(ragtui_home, "add", str(DEMO_CORPUS)).returncode == 0
    assert ragtui(ragtui_home, "index").returncode == 0
    process = _start(ragtui_home)
    engine = create_engine()
    try:
        app = create_app(engine)
        async with app.run_test() as pilot:
            await _until(pilot, lambda: app.attached is not None)
            turn = await _ask(pilot, "At what mileage is the timing belt replaced?", 120)
            screen = app.screen
            assert isinstance(screen, AskScreen) and screen.last_stream is not None
            assert screen.last_stream.tokens > 0  # streamed from the service
            assert turn.answer is not None and "45,000" in turn.answer.answer
            assert not turn.answer.fallback
            assert _status(ragtui_home)["requests"] == 1  # type: ignore[index]
    finally:
        engine.close()
        _end(process)
    assert client.request(ragtui_home / "data", {"control": "status"}) is None
