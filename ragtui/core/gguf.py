"""Reading a GGUF file's header: metadata and tensor extents, without loading the model."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ragtui.core.errors import ModelInvalid

_MAGIC = b"GGUF"
# value type id → struct format (scalars)
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q",
            12: "d"}
_STRING, _ARRAY = 8, 9


@dataclass(frozen=True)
class GGUFHeader:
    """What the header says: version, metadata (long arrays summarised) and tensor count."""

    version: int
    metadata: dict[str, Any]
    tensor_count: int


def _read(fh: BinaryIO, fmt: str) -> Any:
    size = struct.calcsize("<" + fmt)
    data = fh.read(size)
    if len(data) != size:
        raise EOFError
    return struct.unpack("<" + fmt, data)[0]


def _string(fh: BinaryIO) -> str:
    length = _read(fh, "Q")
    if length > 1 << 30:
        raise ValueError("string length out of range")
    data = fh.read(length)
    if len(data) != length:
        raise EOFError
    return data.decode("utf-8", "replace")


def _value(fh: BinaryIO, kind: int, keep_arrays: bool) -> Any:
    if kind in _SCALARS:
        return _read(fh, _SCALARS[kind])
    if kind == _STRING:
        return _string(fh)
    if kind == _ARRAY:
        item_kind, count = _read(fh, "I"), _read(fh, "Q")
        if item_kind in _SCALARS and not keep_arrays:
            fh.seek(struct.calcsize("<" + _SCALARS[item_kind]) * count, 1)
            return f"<array of {count}>"
        items = [_value(fh, item_kind, keep_arrays) for _ in range(count)]
        return items if keep_arrays else f"<array of {count}>"
    raise ValueError(f"unknown metadata type {kind}")


def read_header(path: Path) -> GGUFHeader:
    """Parse the header; raise :class:`ModelInvalid` with one sentence if it is not a GGUF."""
    try:
        with path.open("rb") as fh:
            if fh.read(4) != _MAGIC:
                raise ValueError("it does not start with the GGUF magic bytes")
            version = _read(fh, "I")
            tensors, kv_count = _read(fh, "Q"), _read(fh, "Q")
            metadata: dict[str, Any] = {}
            for _ in range(kv_count):
                key = _string(fh)
                metadata[key] = _value(fh, _read(fh, "I"), keep_arrays=False)
            return GGUFHeader(version, metadata, tensors)
    except (EOFError, ValueError, struct.error, OSError) as exc:
        reason = "it ends too early" if isinstance(exc, EOFError) else str(exc)
        raise ModelInvalid(
            f"{path} is not a readable GGUF model ({reason}): re-download or re-copy it."
        ) from None


def prompt_format(path: Path) -> str:
    """``chat`` if the GGUF carries a chat template, else ``completion``."""
    return "chat" if read_header(path).metadata.get("tokenizer.chat_template") else "completion"
