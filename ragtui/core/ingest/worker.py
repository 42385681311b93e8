"""The reader process: parses the files :mod:`ragtui.core.ingest.reader` sends it, each under
a memory limit, and answers with the document or why it could not be read.

Run as ``python -m ragtui.core.ingest.worker`` (so it imports through :mod:`ragtui.core`,
which turns onnxruntime's telemetry off). Messages are pickles framed by their length, on
stdin and on a copy of stdout; stdout itself is pointed at stderr so that a library's
stray print cannot corrupt them. It reads until stdin closes and ignores Ctrl-C, which
its parent handles.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ragtui.core.ingest import loaders, ocr
from ragtui.core.ingest.document import LoaderError, Unsupported

_HEADER = struct.Struct("<Q")


@dataclass(frozen=True, slots=True)
class Request:
    """One file to parse: its bytes, its path, the unpacked-size and memory limits, OCR."""

    data: bytes
    path: str
    max_bytes: int
    ocr: ocr.OcrOptions | None
    memory_bytes: int


#: The messages the reader sends: ("ready",) once started, ("ocr",) when a file starts
#: needing OCR, then one of ("done", document), ("unsupported", why), ("error", sentence)
#: or ("memory",) per request.
Message = tuple[Any, ...]


def send(stream: IO[bytes], message: object) -> None:
    """Write one framed message (all of it, even on a raw pipe)."""
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(payload)) + payload)
    while view:
        written = stream.write(view)
        view = view[written if written is not None else len(view) :]
    stream.flush()


def receive(stream: IO[bytes]) -> Any:
    """Read one framed message; None at the end of the stream."""
    header = _read_exactly(stream, _HEADER.size)
    if header is None:
        return None
    payload = _read_exactly(stream, _HEADER.unpack(header)[0])
    return None if payload is None else pickle.loads(payload)


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    parts: list[bytes] = []
    left = size
    while left:
        part = stream.read(left)
        if not part:
            return None
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _mapped_bytes() -> int | None:
    """The address space this process maps now (Linux), or None where it cannot be told."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return None


def _limit_memory(extra: int | None) -> None:
    """Cap the address space at what is mapped now plus ``extra`` bytes (None: no cap)."""
    try:
        import resource
    except ImportError:  # not POSIX: no memory limit
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    mapped = _mapped_bytes() if extra is not None else None
    soft = hard if mapped is None or extra is None else mapped + extra
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def parse(request: Request) -> Message:
    """Parse one file under its memory limit; the answer to send back."""
    try:
        _limit_memory(request.memory_bytes)
        try:
            doc = loaders.parse_bytes(
                request.data, Path(request.path), max_bytes=request.max_bytes, ocr=request.ocr
            )
        finally:
            _limit_memory(None)
    except Unsupported as exc:
        return ("unsupported", str(exc))
    except LoaderError as exc:
        if isinstance(exc.__cause__, MemoryError):
            return ("memory",)
        return ("error", str(exc))
    except MemoryError:
        return ("memory",)
    return ("done", doc)


def main() -> None:
    """Serve requests from stdin until it closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    requests = sys.stdin.buffer
    told: list[bool] = [False]

    def tell_ocr() -> None:
        if not told[0]:
            told[0] = True
            send(channel, ("ocr",))

    ocr.listen(tell_ocr)
    send(channel, ("ready",))
    while (request := receive(requests)) is not None:
        told[0] = False
        send(channel, parse(request))


if __name__ == "__main__":
    main()
