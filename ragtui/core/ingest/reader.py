"""Reading files under a time and a memory limit, so that one hostile or broken file fails
alone instead of hanging a run or taking the machine's memory.

Formats whose cost can run far past their size (PDF, office zips, EPUB, images and OCR,
mail, gzip, RTF) and any file over :data:`IN_PROCESS_BYTES` are parsed in a reader
process (:mod:`ragtui.core.ingest.worker`), started on the first such file and kept for
the rest of the run. It is held to the memory limit by ``RLIMIT_AS`` and to the time
limit by this side, which kills it past the deadline and starts another for the next
file. Small plain-text formats are parsed here: their cost follows their size, and a
round trip to the reader would cost more than reading them.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn

from ragtui.core.ingest import loaders, worker
from ragtui.core.ingest.document import LoadedDocument, LoaderError, Unsupported
from ragtui.core.ingest.ocr import OcrOptions

#: Loaders whose time and memory follow the size of the file (no unpacking, no images).
PLAIN = frozenset(
    {"text", "markdown", "rst", "html", "code", "csv", "notebook", "subtitles", "org", "latex"}
)
#: Files of a plain format up to this size are parsed in ragtui's own process.
IN_PROCESS_BYTES = 1024 * 1024
#: How long a new reader process may take to import its loaders.
_START_TIMEOUT_S = 60.0
#: How often a wait looks at the cancel event.
_POLL_S = 0.25
#: What a wait returns when the deadline passes first.
_LATE = object()


@dataclass(frozen=True, slots=True)
class FileLimits:
    """How long and how much memory reading one file may take (``ingest.file_*``)."""

    timeout_s: float = 60.0
    ocr_timeout_s: float = 900.0
    memory_mb: float = 2048.0


class ReadCancelled(Exception):
    """The run was cancelled while a file was being read; the file is left for next time."""


def isolates(loader: str, size: int) -> bool:
    """Whether a file read by ``loader`` with ``size`` bytes goes to the reader process."""
    return loader not in PLAIN or size > IN_PROCESS_BYTES


def _usable() -> bool:
    return os.name == "posix" and bool(sys.executable)


class Reader:
    """Parses files, the costly ones in a reader process under :class:`FileLimits`."""

    def __init__(self, limits: FileLimits, *, isolate: bool = True) -> None:
        self.limits = limits
        self.isolate = isolate and _usable()
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def parse(
        self,
        data: bytes,
        path: Path,
        *,
        max_bytes: int,
        ocr: OcrOptions | None,
        cancel: threading.Event | None = None,
    ) -> LoadedDocument:
        """Parse ``data`` as the file ``path``; raises what ``loaders.parse_bytes`` raises,
        ``LoaderError`` past a limit and ``ReadCancelled`` when ``cancel`` is set."""
        loader = loaders.loader_for(path) or ""
        if not self.isolate or not isolates(loader.split("+")[0], len(data)):
            return loaders.parse_bytes(data, path, max_bytes=max_bytes, ocr=ocr)
        memory = int(self.limits.memory_mb * 1024 * 1024)
        request = worker.Request(data, str(path), max_bytes, ocr, memory)
        process = self._started()
        try:
            worker.send(_pipe(process.stdin), request)
        except OSError:  # it died between files
            self._failed(path, process)
        reply = self._wait(process, path, loader == "image", cancel)
        kind = reply[0]
        if kind == "done":
            document: LoadedDocument = reply[1]
            return document
        if kind == "unsupported":
            raise Unsupported(reply[1])
        if kind == "memory":
            self.close()  # a fresh process for the next file, whatever this one kept
            raise LoaderError(
                f"{path} needs more than {self.limits.memory_mb:g} MB of memory to read "
                "(ingest.file_memory_mb): raise it or add the file to ingest.ignore."
            )
        raise LoaderError(reply[1])

    def close(self) -> None:
        """Stop the reader process (if one runs): asked first, killed if it does not go."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            _pipe(process.stdin).close()
            process.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
        _pipe(process.stdout).close()

    def _started(self) -> subprocess.Popen[bytes]:
        if self._process is not None and self._process.poll() is None:
            return self._process
        self.close()
        env = dict(os.environ, MALLOC_ARENA_MAX="2")  # each malloc arena reserves 64 MB
        process = subprocess.Popen(
            [sys.executable, "-m", worker.__name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=0,
            env=env,
        )
        self._process = process
        ready = _next(process, time.monotonic() + _START_TIMEOUT_S, None)
        if ready != ("ready",):
            self.close()
            raise LoaderError(
                "ragtui's reader process did not start: run `ragtui doctor`, or set "
                "ingest.reader_process = false to read files in ragtui's own process."
            )
        return process

    def _wait(
        self,
        process: subprocess.Popen[bytes],
        path: Path,
        ocr_from_start: bool,
        cancel: threading.Event | None,
    ) -> worker.Message:
        """The reader's answer, within the time limit (OCR's from the moment it needs OCR)."""
        started = time.monotonic()
        ocr = ocr_from_start
        while True:
            limit = self.limits.ocr_timeout_s if ocr else self.limits.timeout_s
            try:
                message = _next(process, started + limit, cancel)
            except ReadCancelled:
                self._kill()
                raise
            if message is _LATE:
                self._kill()
                setting = "ingest.ocr_timeout_s" if ocr else "ingest.file_timeout_s"
                raise LoaderError(
                    f"{path} took longer than {limit:g} s to read"
                    f"{' with OCR' if ocr else ''} ({setting}): raise it or add the file "
                    "to ingest.ignore."
                )
            if message is None:
                self._failed(path, process)
            if message == ("ocr",):
                ocr = True
            else:
                return tuple(message)

    def _kill(self) -> None:
        if self._process is not None:
            self._process.kill()
        self.close()

    def _failed(self, path: Path, process: subprocess.Popen[bytes]) -> NoReturn:
        """Report a reader process that died on ``path`` (it is replaced for the next file)."""
        try:
            code = process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        self._kill()
        if code is not None and code < 0:
            how = f"it was killed by {signal.Signals(-code).name}"
        else:
            how = f"it exited with status {code}"
        raise LoaderError(
            f"{path} made ragtui's reader process stop ({how}): add the file to "
            "ingest.ignore, and please report it."
        )


def _pipe(stream: IO[bytes] | None) -> IO[bytes]:
    assert stream is not None  # the process is always started with both pipes
    return stream


def _next(process: subprocess.Popen[bytes], deadline: float, cancel: threading.Event | None) -> Any:
    """The reader's next message, None if it ended, or ``_LATE`` past the deadline."""
    out = _pipe(process.stdout)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return _LATE
        ready, _, _ = select.select([out], [], [], min(left, _POLL_S))
        if cancel is not None and cancel.is_set():
            raise ReadCancelled
        if ready:
            return worker.receive(out)
