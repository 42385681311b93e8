"""Reading a GGUF file's header: metadata and tensor extents, without loading the model."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ragtui.core.errors import ModelInvalid

_MAGIC = b"GGUF"
# value type id → struct format (scalars)
_SCALARS = {
    0: "B",
    1: "b",
    2: "H",
    3: "h",
    4: "I",
    5: "i",
    6: "f",
    7: "?",
    10: "Q",
    11: "q",
    12: "d",
}
_STRING, _ARRAY = 8, 9


# ggml tensor type id → (elements per block, bytes per block), as in ggml's type traits.
# Types retired from the format (4, 5, 31–33, 36–38) are absent on purpose.
_TYPE_SIZES: dict[int, tuple[int, int]] = {
    0: (1, 4),
    1: (1, 2),
    2: (32, 18),
    3: (32, 20),
    6: (32, 22),
    7: (32, 24),
    8: (32, 34),
    9: (32, 36),
    10: (256, 84),
    11: (256, 110),
    12: (256, 144),
    13: (256, 176),
    14: (256, 210),
    15: (256, 292),
    16: (256, 66),
    17: (256, 74),
    18: (256, 98),
    19: (256, 50),
    20: (32, 18),
    21: (256, 110),
    22: (256, 82),
    23: (256, 136),
    24: (1, 1),
    25: (1, 2),
    26: (1, 4),
    27: (1, 8),
    28: (1, 8),
    29: (256, 56),
    30: (1, 2),
    34: (256, 54),
    35: (256, 66),
    39: (32, 17),
}
_DEFAULT_ALIGNMENT = 32
_MAX_DIMS = 8


@dataclass(frozen=True)
class GGUFHeader:
    """What the header says: version, metadata (long arrays summarised) and tensor count."""

    version: int
    metadata: dict[str, Any]
    tensor_count: int


@dataclass(frozen=True)
class TensorInfo:
    """One tensor's entry in the header: where its data sits relative to the data section."""

    name: str
    shape: tuple[int, ...]
    type_id: int
    offset: int
    nbytes: int | None  # None for a tensor type this reader does not know


@dataclass(frozen=True)
class GGUFLayout:
    """The header plus every tensor's extent: what a complete file must hold."""

    header: GGUFHeader
    tensors: tuple[TensorInfo, ...]
    data_start: int
    data_end: int  # end of the last tensor whose size is known
    file_size: int


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


def _header(fh: BinaryIO) -> GGUFHeader:
    if fh.read(4) != _MAGIC:
        raise ValueError("it does not start with the GGUF magic bytes")
    version = _read(fh, "I")
    if version not in (2, 3):
        raise ValueError(f"GGUF version {version} is not supported")
    tensors, kv_count = _read(fh, "Q"), _read(fh, "Q")
    if tensors > 1 << 24 or kv_count > 1 << 24:
        raise ValueError("its header counts are out of range")
    metadata: dict[str, Any] = {}
    for _ in range(kv_count):
        key = _string(fh)
        metadata[key] = _value(fh, _read(fh, "I"), keep_arrays=False)
    return GGUFHeader(version, metadata, tensors)


def _tensor(fh: BinaryIO) -> TensorInfo:
    name = _string(fh)
    n_dims = _read(fh, "I")
    if not 1 <= n_dims <= _MAX_DIMS:
        raise ValueError(f"tensor {name!r} has {n_dims} dimensions")
    shape = tuple(_read(fh, "Q") for _ in range(n_dims))
    type_id, offset = _read(fh, "I"), _read(fh, "Q")
    nbytes = None
    if type_id in _TYPE_SIZES:
        block, block_bytes = _TYPE_SIZES[type_id]
        if shape[0] % block:
            raise ValueError(f"tensor {name!r} has a row of {shape[0]} values, not whole blocks")
        elements = 1
        for dim in shape:
            elements *= dim
        nbytes = elements // block * block_bytes
    return TensorInfo(name, shape, type_id, offset, nbytes)


def _unreadable(path: Path, exc: BaseException) -> ModelInvalid:
    reason = "it ends inside its header" if isinstance(exc, EOFError) else str(exc)
    return ModelInvalid(
        f"{path} is not a readable GGUF model ({reason}): re-download or re-copy it."
    )


def read_header(path: Path) -> GGUFHeader:
    """Parse the header; raise :class:`ModelInvalid` with one sentence if it is not a GGUF."""
    try:
        with path.open("rb") as fh:
            return _header(fh)
    except (EOFError, ValueError, struct.error, OSError) as exc:
        raise _unreadable(path, exc) from None


def read_layout(path: Path) -> GGUFLayout:
    """Parse the header and the tensor infos and check that every tensor lies inside the file.

    This is what llama.cpp checks before it maps the file, so a truncated or cut
    download is refused here with one sentence instead of failing at load time.
    Corrupted bytes inside tensor data are not visible to it: that takes a sha256.
    """
    try:
        with path.open("rb") as fh:
            header = _header(fh)
            tensors = tuple(_tensor(fh) for _ in range(header.tensor_count))
            alignment = header.metadata.get("general.alignment", _DEFAULT_ALIGNMENT)
            if not isinstance(alignment, int) or alignment <= 0 or alignment & (alignment - 1):
                raise ValueError(f"its general.alignment {alignment!r} is not a power of two")
            position = fh.tell()
            data_start = (position + alignment - 1) // alignment * alignment
            file_size = path.stat().st_size
    except (EOFError, ValueError, struct.error, OSError) as exc:
        raise _unreadable(path, exc) from None
    data_end = data_start
    for tensor in tensors:
        if tensor.offset % alignment:
            raise ModelInvalid(
                f"{path} is not a readable GGUF model (tensor {tensor.name!r} is misaligned): "
                "re-download or re-copy it."
            )
        end = data_start + tensor.offset + (tensor.nbytes or 0)
        data_end = max(data_end, end)
    if data_end > file_size:
        raise ModelInvalid(
            f"{path} is truncated (its tensors need {data_end:,} bytes, the file has "
            f"{file_size:,}): the download or copy stopped early, so download or copy it again."
        )
    return GGUFLayout(header, tensors, data_start, data_end, file_size)


def prompt_format(path: Path) -> str:
    """``chat`` if the GGUF carries a chat template, else ``completion``."""
    return "chat" if read_header(path).metadata.get("tokenizer.chat_template") else "completion"
