"""What a program driving ragtui (the app) uses to work through ``ragtui serve``: find a
service that takes its commands, start one detached, stop it, and ask through it.

Standard library only, like :mod:`~ragtui.service.client`, whose connection it reuses;
the frames are those of :mod:`~ragtui.service.protocol`.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragtui.service import client, protocol

START_TIMEOUT_S = 90.0  # a cold start imports the models' libraries and opens the indexes
STOP_TIMEOUT_S = 30.0
CANCEL_GRACE_S = 5.0  # after a cancel, how long the service may take to end the command


class ServiceGone(Exception):
    """The service went away before the command finished."""


class StartFailed(Exception):
    """``ragtui serve`` did not start; the message is one sentence saying where to look."""


@dataclass(frozen=True)
class Found:
    """A running service for the data dir: its pid, and why it would not take our
    commands (empty when it would)."""

    pid: int
    refused: str = ""


@dataclass(frozen=True)
class Served:
    """A command run by the service: its exit status, the JSON lines it printed, and
    what it wrote to stderr."""

    status: int
    lines: list[dict[str, Any]]
    stderr: str


def probe(data_dir: Path, setup: dict[str, Any]) -> Found | None:
    """The service running for ``data_dir``, if one answers."""
    reply = client.request(data_dir, {"control": "status", "setup": setup})
    if not reply or not reply.get("ok"):
        return None
    return Found(int(reply["status"]["pid"]), str(reply.get("refused") or ""))


def launch(log_file: Path) -> subprocess.Popen[bytes]:
    """Start ``ragtui serve`` for the configured data dir as a detached process (its own
    session; output to ``log_file``)."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ragtui", "serve"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )


def start(
    data_dir: Path,
    setup: dict[str, Any],
    log_file: Path,
    timeout_s: float = START_TIMEOUT_S,
    stop: threading.Event | None = None,
) -> Found:
    """The service for ``data_dir``: the running one, or one started now and answering
    within ``timeout_s`` (``stop`` set: give up waiting). Raises :class:`StartFailed`."""
    found = probe(data_dir, setup)
    if found is not None:
        return found
    child = launch(log_file)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not (stop and stop.is_set()):
        found = probe(data_dir, setup)
        if found is not None:
            return found
        if child.poll() is not None:
            raise StartFailed(
                f"ragtui serve exited at once (status {child.returncode}): see {log_file}."
            )
        time.sleep(0.2)
    raise StartFailed(
        f"ragtui serve (pid {child.pid}) did not answer within {timeout_s:.0f} s: see {log_file}."
    )


def stop(data_dir: Path, timeout_s: float = STOP_TIMEOUT_S) -> bool:
    """Ask the service to stop and wait until its socket is gone; whether one ran."""
    if client.request(data_dir, {"control": "stop"}) is None:
        return False
    path = protocol.socket_path(data_dir)
    deadline = time.monotonic() + timeout_s
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    return True


def run(
    data_dir: Path,
    setup: dict[str, Any],
    argv: list[str],
    on_line: Callable[[dict[str, Any]], None],
    cancel: threading.Event,
) -> Served | None:
    """Run ``argv`` (a command printing JSON lines) in the service, handing each line to
    ``on_line`` as it comes; ``cancel`` set sends the protocol's cancel (and, when the
    service has not ended the command :data:`CANCEL_GRACE_S` later, leaves it: status
    130). None: no service took it (run it here). Raises :class:`ServiceGone` if the
    service dies midway."""
    conn = client.connect(data_dir)
    if conn is None:
        return None
    with conn:
        reader = conn.makefile("rb")
        try:
            tty = {"stdout": False, "stderr": False}
            if not client.ask_to_run(conn, reader, argv, tty, setup).get("ok"):
                return None
        except (OSError, ValueError):
            return None
        conn.settimeout(None)
        done = threading.Event()
        threading.Thread(
            target=_cancel_when, args=(conn, cancel, done), name="ragtui-attach", daemon=True
        ).start()
        try:
            return _relay(reader, on_line)
        except ServiceGone:
            if cancel.is_set():  # we left it, or it died while stopping: stopped either way
                return Served(130, [], "stopped.")
            raise
        finally:
            done.set()


def _relay(reader: Any, on_line: Callable[[dict[str, Any]], None]) -> Served:
    lines: list[dict[str, Any]] = []
    stdout, stderr = "", list[str]()
    while True:
        try:
            raw = reader.readline()
            frame = protocol.decode(raw) if raw else None
        except (OSError, ValueError) as exc:
            raise ServiceGone(str(exc)) from exc
        if frame is None:
            raise ServiceGone("the connection closed before the command finished")
        if "exit" in frame:
            return Served(int(frame["exit"]), lines, "".join(stderr))
        text = str(frame.get("text", ""))
        if int(frame.get("fd", 2)) != 1:
            stderr.append(text)
            continue
        stdout += text
        *whole, stdout = stdout.split("\n")
        for line in filter(None, whole):
            lines.append(protocol.decode(line.encode()))
            on_line(lines[-1])


def _cancel_when(conn: socket.socket, cancel: threading.Event, done: threading.Event) -> None:
    """Send the protocol's cancel once ``cancel`` is set (until ``done``); close the
    connection if the service has not ended the command :data:`CANCEL_GRACE_S` later."""
    while not done.wait(0.05):
        if cancel.is_set():
            with contextlib.suppress(OSError):
                conn.sendall(protocol.encode({"cancel": True}))
            if not done.wait(CANCEL_GRACE_S):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            return
