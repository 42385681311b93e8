"""Per-request stdout and stderr in a process that runs several commands at once.

The CLI's commands print through ``sys.stdout`` and ``sys.stderr`` (via click and rich). In
the service each request runs in its own thread, so both are replaced by a
:class:`ThreadStream` that writes to the stream the current thread has bound, and to the
process's own stream otherwise. Each bound stream also answers ``isatty`` as the client's
terminal would, so colours and progress bars follow the client, not the service.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO


class ClientStream:
    """Text written to one of a client's output streams (``fd`` 1 or 2), sent as frames."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, fd: int, send: Callable[[int, str], None], tty: bool) -> None:
        self.fd = fd
        self._send = send
        self._tty = tty

    def write(self, text: str | bytes) -> int:
        """Send ``text`` (click may hand over encoded bytes: it wraps odd streams)."""
        if text:
            self._send(self.fd, text if isinstance(text, str) else text.decode("utf-8", "replace"))
        return len(text)

    def flush(self) -> None:
        """Frames are sent as they are written."""

    def isatty(self) -> bool:
        return self._tty

    def writable(self) -> bool:
        return True


class ThreadStream:
    """Stands in for ``sys.stdout`` or ``sys.stderr``: each write goes to the stream the
    writing thread bound, or to the original one."""

    def __init__(self, original: TextIO) -> None:
        self.original = original
        self._local = threading.local()

    @property
    def current(self) -> Any:
        return getattr(self._local, "stream", None) or self.original

    def bind(self, stream: Any) -> None:
        self._local.stream = stream

    def unbind(self) -> None:
        self._local.stream = None

    def __getattr__(self, name: str) -> Any:  # encoding, errors, fileno, buffer…
        return getattr(self.current, name)

    def write(self, text: str) -> int:
        return int(self.current.write(text))

    def flush(self) -> None:
        self.current.flush()

    def isatty(self) -> bool:
        return bool(self.current.isatty())


def install() -> tuple[ThreadStream, ThreadStream]:
    """Replace ``sys.stdout`` and ``sys.stderr`` by thread-routed streams (once)."""
    out, err = sys.stdout, sys.stderr
    if not isinstance(out, ThreadStream):
        out = sys.stdout = ThreadStream(out)
    if not isinstance(err, ThreadStream):
        err = sys.stderr = ThreadStream(err)
    return out, err


@contextmanager
def routed(stdout: Any, stderr: Any) -> Iterator[None]:
    """While inside, this thread's ``sys.stdout`` and ``sys.stderr`` are these streams."""
    out, err = install()
    out.bind(stdout)
    err.bind(stderr)
    try:
        yield
    finally:
        out.unbind()
        err.unbind()
