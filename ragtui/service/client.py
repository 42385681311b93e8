"""The CLI's side of the service: send a command to ``ragtui serve`` if one answers for
this data dir, and relay its output, Ctrl-C and exit status.

This module is what every ``ragtui`` run loads before it knows whether a service answers,
so it imports only the standard library and :mod:`ragtui.paths`. :func:`run_served`
returns None whenever the command should run in-process instead: no service, a stale
socket, a service that does not answer within :data:`ANSWER_TIMEOUT_S`, one that refuses
(its settings differ), or one that dies mid-command (the command is then run here,
after one line saying so).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ragtui import paths
from ragtui.service import protocol

ANSWER_TIMEOUT_S = 3.0
NO_SERVE_ENV = "RAGTUI_NO_SERVE"  # set to 1: never use a running service


def command_of(argv: list[str]) -> tuple[list[str], list[str]] | None:
    """Split argv into the root options and the command's own argv, if the command is
    one the service runs (None otherwise, or for ``--help``)."""
    root: list[str] = []
    rest = list(argv)
    while rest and rest[0].startswith("--home"):
        option = rest.pop(0)
        root.append(option)
        if option == "--home" and rest:
            root.append(rest.pop(0))
    if (
        not rest
        or "--help" in rest
        or "--model" in rest
        or any(a.startswith("--model=") for a in rest)
    ):
        return None
    for served in protocol.SERVED:
        words = served.split()
        if rest[: len(words)] == words:
            return root, rest
    return None


def _home_from(root: list[str]) -> None:
    """Apply ``--home DIR`` as the root command would, so the right socket is found."""
    for n, option in enumerate(root):
        value = root[n + 1] if option == "--home" and n + 1 < len(root) else None
        if option.startswith("--home="):
            value = option.split("=", 1)[1]
        if value:
            os.environ["RAGTUI_HOME"] = str(Path(value).expanduser().resolve())


def connect(data_dir: Path, timeout: float = ANSWER_TIMEOUT_S) -> socket.socket | None:
    """A connection to the data dir's service, or None when none listens."""
    if os.environ.get(NO_SERVE_ENV) == "1":
        return None
    path = protocol.socket_path(data_dir)
    if not protocol.owned_by_me(path):  # none, or not ours: never send it a question
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(timeout)
    try:
        conn.connect(str(path))
    except OSError:  # stale socket (refused), or not ours to open
        conn.close()
        return None
    return conn


def request(data_dir: Path, message: dict[str, Any]) -> dict[str, Any] | None:
    """One request answered by one frame (``serve --status`` / ``--stop``), or None."""
    conn = connect(data_dir)
    if conn is None:
        return None
    with conn:
        try:
            conn.sendall(protocol.encode(message))
            return protocol.decode(conn.makefile("rb").readline())
        except (OSError, ValueError):
            return None


def ask_to_run(
    conn: socket.socket,
    reader: Any,
    argv: list[str],
    tty: dict[str, bool],
    setup: dict[str, Any],
) -> dict[str, Any]:
    """Ask the service on ``conn`` to run ``argv``; its answer (``ok``, or ``why`` not).
    Raises OSError or ValueError when it does not answer."""
    conn.sendall(protocol.encode({"argv": argv, "tty": tty, "setup": setup}))
    return protocol.decode(reader.readline())


def run_served(argv: list[str]) -> int | None:
    """Run ``argv`` in the service and return its exit status; None: run it here."""
    split = command_of(argv)
    if split is None:
        return None
    root, command = split
    _home_from(root)
    data_dir = paths.data_dir()
    conn = connect(data_dir)
    if conn is None:
        return None
    with conn:
        reader = conn.makefile("rb")
        try:
            answer = ask_to_run(
                conn,
                reader,
                command,
                {"stdout": sys.stdout.isatty(), "stderr": sys.stderr.isatty()},
                protocol.setup_fingerprint(paths.config_file()),
            )
        except (OSError, ValueError):
            _say("ragtui serve did not answer; running the command here instead.")
            return None
        if not answer.get("ok"):
            _say(f"ragtui serve did not take the command ({answer.get('why')}); running it here.")
            return None
        conn.settimeout(None)
        with _ctrl_c_cancels(conn):
            status = _relay(reader)
    if status is None:
        _say("\nragtui serve stopped before the command finished; running it here instead.")
    return status


def _relay(reader: Any) -> int | None:
    """Write the service's output frames to our streams; its exit status, or None if it
    went away first."""
    streams = {1: sys.stdout, 2: sys.stderr}
    try:
        for line in reader:
            frame = protocol.decode(line)
            if "exit" in frame:
                return int(frame["exit"])
            stream = streams.get(int(frame.get("fd", 2)), sys.stderr)
            stream.write(str(frame.get("text", "")))
            stream.flush()
    except (OSError, ValueError):
        return None
    return None


@contextlib.contextmanager
def _ctrl_c_cancels(conn: socket.socket) -> Iterator[None]:
    """The first Ctrl-C asks the served command to stop; a second one leaves at once."""
    asked = False

    def handler(signum: int, frame: object) -> None:
        nonlocal asked
        if asked:
            raise KeyboardInterrupt
        asked = True
        with contextlib.suppress(OSError):
            conn.sendall(protocol.encode({"cancel": True}))

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _say(message: str) -> None:
    print(f"ragtui: {message}", file=sys.stderr, flush=True)
