"""``ragtui serve`` as real processes: commands answered over its socket give the same JSON
as in-process; a second service is refused; a stale socket, a frozen service and one
killed mid-answer all leave the CLI working in its own process."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ragtui.service import client, protocol
from tests.cli.test_json_contracts import problems
from tests.conftest import DEMO_CORPUS, install_bundled
from tests.reliability.conftest import keyword_only, one_sentence, ragtui

RAGTUI = [sys.executable, "-m", "ragtui"]


def _in_process(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"RAGTUI_NO_SERVE": "1"}
    return subprocess.run(
        [*RAGTUI, "--home", str(home), *args], capture_output=True, text=True, env=env, timeout=120
    )


def _status(home: Path) -> dict[str, Any] | None:
    reply = client.request(home / "data", {"control": "status"})
    return reply["status"] if reply else None


def _start(home: Path, warm_timeout: float = 120.0) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [*RAGTUI, "--home", str(home), "serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + warm_timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        state = _status(home)
        if state and state["warm"]:
            return process
        time.sleep(0.1)
    process.kill()
    raise AssertionError("ragtui serve did not get warm")


def _end(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)


@pytest.fixture
def keyword_service(ragtui_home: Path, tmp_path: Path) -> Iterator[tuple[Path, Any]]:
    """The demo corpus indexed keyword-only, with ``ragtui serve`` running over it."""
    keyword_only(ragtui_home, tmp_path)
    assert ragtui(ragtui_home, "add", str(DEMO_CORPUS)).returncode == 0
    assert ragtui(ragtui_home, "index").returncode == 0
    process = _start(ragtui_home)
    yield ragtui_home, process
    _end(process)


def _without_timings(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "timings_ms"}


def test_served_commands_print_what_in_process_ones_do(keyword_service: Any) -> None:
    home, _ = keyword_service
    socket_file = protocol.socket_path(home / "data")
    assert stat.S_IMODE(socket_file.stat().st_mode) == 0o600
    for args in (("search", "timing belt", "--json"), ("folders", "--json")):
        before = _status(home)["requests"]  # type: ignore[index]
        served = ragtui(home, *args)
        assert _status(home)["requests"] == before + 1  # type: ignore[index]
        alone = _in_process(home, *args)
        assert served.returncode == alone.returncode == 0, served.stderr + alone.stderr
        assert _without_timings(json.loads(served.stdout)) == _without_timings(
            json.loads(alone.stdout)
        )
    bad = ragtui(home, "search", "belt", "--mode", "fuzzy")
    assert bad.returncode == 1 and "Unknown mode 'fuzzy'" in bad.stderr


def test_a_second_service_is_refused_and_stop_ends_the_first(keyword_service: Any) -> None:
    home, process = keyword_service
    status = json.loads(ragtui(home, "serve", "--status", "--json").stdout)
    assert status["running"] and status["pid"] == process.pid and status["warm"]
    assert problems("serve-status", status) == []
    second = ragtui(home, "serve", timeout=60)
    message = second.stderr.strip().splitlines()[-1]
    assert second.returncode == 1
    assert f"pid {process.pid}" in message and one_sentence(message)
    stopped = ragtui(home, "serve", "--stop")
    assert stopped.returncode == 0 and "stopping" in stopped.stdout
    assert process.wait(timeout=30) == 0
    assert not protocol.socket_path(home / "data").exists()
    assert "not running" in ragtui(home, "serve", "--status").stdout


def test_a_killed_service_leaves_a_stale_socket_the_cli_ignores(keyword_service: Any) -> None:
    home, process = keyword_service
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert protocol.socket_path(home / "data").exists()  # stale
    found = ragtui(home, "search", "timing belt", "--json")
    assert found.returncode == 0 and json.loads(found.stdout)["hits"]
    assert "serve" not in found.stderr  # no service: nothing to say
    again = _start(home)  # the next service replaces the stale socket
    try:
        assert ragtui(home, "search", "belt", "--json").returncode == 0
        assert _status(home)["requests"] == 1  # type: ignore[index]
    finally:
        _end(again)


def test_a_frozen_service_does_not_hang_the_cli(keyword_service: Any) -> None:
    home, process = keyword_service
    process.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        found = ragtui(home, "search", "timing belt", "--json", timeout=60)
        assert time.monotonic() - started < client.ANSWER_TIMEOUT_S + 10
    finally:
        process.send_signal(signal.SIGCONT)
    assert found.returncode == 0 and json.loads(found.stdout)["hits"]
    assert "ragtui serve did not answer" in found.stderr


def test_changed_settings_are_not_answered_with_the_old_ones(keyword_service: Any) -> None:
    home, _ = keyword_service
    env = os.environ | {"RAGTUI_RETRIEVAL__K": "2"}
    done = subprocess.run(
        [*RAGTUI, "--home", str(home), "search", "the", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "did not take the command" in done.stderr
    assert len(json.loads(done.stdout)["hits"]) == 2


@pytest.mark.slow
def test_a_service_killed_mid_answer_is_replaced_by_the_cli(
    bundled_models: dict[str, Path], ragtui_home: Path
) -> None:
    install_bundled(bundled_models, ragtui_home)
    assert ragtui(ragtui_home, "add", str(DEMO_CORPUS)).returncode == 0
    assert ragtui(ragtui_home, "index").returncode == 0
    service = _start(ragtui_home)
    asking = subprocess.Popen(
        [*RAGTUI, "--home", str(ragtui_home), "ask", "How often are the tires rotated?"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert asking.stdout is not None
        first = asking.stdout.read(1)  # the service has started streaming the answer
        assert first
        service.send_signal(signal.SIGKILL)
        out, err = asking.communicate(timeout=180)
    finally:
        _end(service)
        if asking.poll() is None:
            asking.kill()
    assert asking.returncode == 0, err
    assert "ragtui serve stopped before the command finished" in err
    assert "5,000" in first + out


def test_serve_runs_continuous_evaluation_and_stops_it(ragtui_home: Path, tmp_path: Path) -> None:
    """With no question for ``continuous_idle_s``, the service takes a continuous turn (here
    it cannot: no model, which it logs), and ``--stop`` still ends it at once."""
    extra = (
        f'[llm]\nmodel_path = "{tmp_path / "no-model.gguf"}"\n'
        "[eval]\ncontinuous_idle_s = 0\ncontinuous_cases = 2\n"
    )
    keyword_only(ragtui_home, tmp_path, extra)
    assert ragtui(ragtui_home, "add", str(DEMO_CORPUS)).returncode == 0
    assert ragtui(ragtui_home, "index").returncode == 0
    process = _start(ragtui_home)
    try:
        log_file = ragtui_home / "data" / "logs" / "ragtui.log"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "continuous evaluation:" not in (
            log_file.read_text() if log_file.exists() else ""
        ):
            time.sleep(0.2)
        assert "continuous evaluation:" in log_file.read_text()
        started = time.monotonic()
        assert ragtui(ragtui_home, "serve", "--stop").returncode == 0
        assert process.wait(timeout=30) == 0 and time.monotonic() - started < 15
    finally:
        _end(process)
