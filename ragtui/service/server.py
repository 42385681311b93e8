"""The service's socket side: one process per data dir, requests served in threads.

It holds ``serve.lock`` in the data dir (an ``flock``: a second service is refused, and a
socket left by a killed one is known stale and replaced), listens on a socket only its
user may open, and runs each request's command through the ``run`` callable it is given,
with that request's output streams and a cancel event set when the client asks (Ctrl-C)
or goes away.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ragtui.core.errors import RagtuiError
from ragtui.service import protocol
from ragtui.service.streams import ClientStream, routed

log = logging.getLogger("ragtui.service")

#: Runs one command: (argv, cancel event) → exit status.
Runner = Callable[[list[str], threading.Event], int]
REQUEST_TIMEOUT_S = 5.0  # a client that connects and says nothing is dropped


class CannotServe(RagtuiError):
    """Another service holds this data dir, or its socket's folder is not private."""


@dataclass
class ServiceState:
    """What ``ragtui serve --status`` shows."""

    pid: int
    data_dir: str
    socket: str
    started: float = field(default_factory=time.time)
    warm: bool = False
    requests: int = 0
    active: int = 0
    watching: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "data_dir": self.data_dir,
            "socket": self.socket,
            "uptime_s": round(time.time() - self.started, 1),
            "warm": self.warm,
            "requests": self.requests,
            "active": self.active,
            "watching": self.watching,
        }


def holder_pid(data_dir: Path) -> int | None:
    """The pid written in the lock file by the service that holds it (None if none does)."""
    try:
        with open(data_dir / protocol.LOCK_NAME, "rb") as lock:
            fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return None  # nobody holds it
    except BlockingIOError:
        try:
            return int((data_dir / protocol.LOCK_NAME).read_text().strip() or 0) or None
        except (OSError, ValueError):
            return None
    except OSError:
        return None


class Service:
    """Listens on the data dir's socket and serves requests until :meth:`stop`."""

    def __init__(self, data_dir: Path, run: Runner, setup: dict[str, Any]) -> None:
        self.data_dir = data_dir
        self.path = protocol.socket_path(data_dir)
        self._run = run
        self._setup = setup
        self.state = ServiceState(os.getpid(), str(data_dir), str(self.path))
        self.stopping = threading.Event()
        self._lock_file: Any = None
        self._socket: socket.socket | None = None
        self._count = threading.Lock()

    def bind(self) -> None:
        """Take the data dir's service lock and listen on its socket."""
        lock = open(self.data_dir / protocol.LOCK_NAME, "a+")  # noqa: SIM115 (held for life)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            pid = holder_pid(self.data_dir)
            raise CannotServe(
                f"ragtui serve already runs for {self.data_dir}"
                + (f" (pid {pid})" if pid else "")
                + ": use it, or stop it with `ragtui serve --stop`."
            ) from None
        lock.truncate(0)
        lock.write(str(os.getpid()))
        lock.flush()
        self._lock_file = lock
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not protocol.owned_by_me(self.path.parent, private_dir=True):
            lock.close()
            self._lock_file = None
            raise CannotServe(
                f"The folder for ragtui's socket, {self.path.parent}, belongs to someone else "
                "or others may write it: remove it, or set RAGTUI_HOME to a shorter path."
            )
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # left by a service that was killed: we hold the lock
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            listener.bind(str(self.path))
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)
        listener.listen(16)
        listener.settimeout(0.2)
        self._socket = listener

    def serve_forever(self) -> None:
        """Accept requests until :meth:`stop`; each runs in its own thread."""
        assert self._socket is not None, "bind() first"
        while not self.stopping.is_set():
            try:
                conn, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                if self.stopping.is_set():
                    break
                raise
            threading.Thread(
                target=self._handle, args=(conn,), name="ragtui-request", daemon=True
            ).start()
        self._close()

    def stop(self) -> None:
        """Stop accepting; requests in flight are told to cancel by their clients' exit."""
        self.stopping.set()

    def drain(self, timeout_s: float) -> None:
        """Wait (up to ``timeout_s``) for the requests in flight to finish."""
        deadline = time.monotonic() + timeout_s
        while self.state.active and time.monotonic() < deadline:
            time.sleep(0.05)

    def _close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    # one request --------------------------------------------------------------------------
    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(REQUEST_TIMEOUT_S)
            reader = conn.makefile("rb")
            try:
                request = protocol.decode(reader.readline())
            except (OSError, ValueError):
                return  # not a client of ours, or gone: nothing to answer
            conn.settimeout(None)
            sender = _Sender(conn)
            control = request.get("control")
            if control is not None:
                self._control(str(control), request, sender)
                return
            why = self._refusal(request)
            if why:
                sender.send({"ok": False, "why": why})
                return
            sender.send({"ok": True, "pid": self.state.pid})
            cancel = threading.Event()
            threading.Thread(
                target=_watch_client, args=(reader, cancel), name="ragtui-cancel", daemon=True
            ).start()
            tty = request.get("tty") or {}
            stdout = ClientStream(1, sender.output, bool(tty.get("stdout")))
            stderr = ClientStream(2, sender.output, bool(tty.get("stderr")))
            with self._count:
                self.state.requests += 1
                self.state.active += 1
            try:
                with routed(stdout, stderr):
                    status = self._run([str(a) for a in request.get("argv", [])], cancel)
            except BaseException:  # a bug must not end the service; the client gets a line
                log.exception("a served command failed")
                sender.output(
                    2, "ragtui: the command failed in the service (details in the log).\n"
                )
                status = 1
            finally:
                with self._count:
                    self.state.active -= 1
            sender.send({"exit": status})

    def _refusal(self, request: dict[str, Any]) -> str:
        """Why this request must run in the client's process instead ('' to serve it)."""
        if request.get("setup") != self._setup:
            return (
                "the config or RAGTUI_* settings changed since `ragtui serve` started "
                "(restart it to use them)"
            )
        if self.stopping.is_set():
            return "ragtui serve is stopping"
        return ""

    def _control(self, command: str, request: dict[str, Any], sender: _Sender) -> None:
        if command == "status":
            reply = {"ok": True, "status": self.state.as_json()}
            if "setup" in request:  # would it take this client's commands?
                reply["refused"] = self._refusal(request)
            sender.send(reply)
        elif command == "stop":
            sender.send({"ok": True, "status": self.state.as_json()})
            self.stop()
        else:
            sender.send({"ok": False, "why": f"unknown control {command!r}"})


class _Sender:
    """Frames to one client, whole and in order across threads; a client gone is ignored
    here (its request's cancel event is set by the reader)."""

    def __init__(self, conn: socket.socket) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self.gone = False

    def send(self, message: dict[str, Any]) -> None:
        with self._lock:
            if self.gone:
                return
            try:
                self._conn.sendall(protocol.encode(message))
            except OSError:
                self.gone = True

    def output(self, fd: int, text: str) -> None:
        self.send({"fd": fd, "text": text})
        if self.gone:
            raise BrokenPipeError("the client went away")


def _watch_client(reader: Any, cancel: threading.Event) -> None:
    """Set ``cancel`` when the client asks to stop or goes away."""
    try:
        for line in reader:
            with contextlib.suppress(ValueError):
                if protocol.decode(line).get("cancel"):
                    cancel.set()
    except OSError:
        pass
    cancel.set()
