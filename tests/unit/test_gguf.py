"""GGUF structure checks: header, tensor infos, and tensor data against the file size."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest

from ragtui.core.errors import ModelInvalid
from ragtui.core.gguf import read_header, read_layout


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def write_gguf(path: Path, *, offsets: tuple[int, int] = (0, 64), cut: int = 0) -> int:
    """A real two-tensor GGUF v3 (an F32 [4, 4] and a Q8_0 [32, 2]); returns its size."""
    header = b"GGUF" + struct.pack("<IQQ", 3, 2, 2)
    header += _string("general.architecture") + struct.pack("<I", 8) + _string("test")
    header += _string("general.alignment") + struct.pack("<II", 4, 32)
    tensors = [("a", (4, 4), 0), ("b", (32, 2), 8)]
    for (name, shape, type_id), offset in zip(tensors, offsets, strict=True):
        header += _string(name) + struct.pack("<I", len(shape))
        header += b"".join(struct.pack("<Q", d) for d in shape)
        header += struct.pack("<IQ", type_id, offset)
    header += b"\0" * (-len(header) % 32)
    data = bytes(64) + bytes(2 * 34)  # 16 float32, then 2 Q8_0 blocks of 34 bytes
    blob = (header + data)[: len(header) + len(data) - cut]
    path.write_bytes(blob)
    return len(blob)


def test_a_complete_file_ends_where_its_last_tensor_ends(tmp_path: Path) -> None:
    size = write_gguf(tmp_path / "ok.gguf")
    layout = read_layout(tmp_path / "ok.gguf")
    assert [t.name for t in layout.tensors] == ["a", "b"]
    assert [t.nbytes for t in layout.tensors] == [64, 68]
    assert layout.data_end == size == layout.file_size
    assert layout.header.metadata["general.architecture"] == "test"


def test_a_truncated_file_is_refused_in_one_sentence(tmp_path: Path) -> None:
    write_gguf(tmp_path / "cut.gguf", cut=1)
    read_header(tmp_path / "cut.gguf")  # the header alone looks fine
    with pytest.raises(ModelInvalid) as err:
        read_layout(tmp_path / "cut.gguf")
    message = str(err.value)
    assert "truncated" in message and "cut.gguf" in message and "again" in message
    assert message.count(". ") == 0 and "\n" not in message


def test_damaged_headers_are_refused(tmp_path: Path) -> None:
    write_gguf(tmp_path / "x.gguf", offsets=(0, 60))  # second tensor off its 32-byte alignment
    with pytest.raises(ModelInvalid, match="misaligned"):
        read_layout(tmp_path / "x.gguf")
    write_gguf(tmp_path / "far.gguf", offsets=(0, 1 << 20))  # points far past the end
    with pytest.raises(ModelInvalid, match="truncated"):
        read_layout(tmp_path / "far.gguf")
    (tmp_path / "text.gguf").write_text("not a model at all")
    with pytest.raises(ModelInvalid, match="GGUF magic"):
        read_layout(tmp_path / "text.gguf")
    (tmp_path / "short.gguf").write_bytes(b"GGUF\x03\0\0\0")
    with pytest.raises(ModelInvalid, match="ends inside its header"):
        read_layout(tmp_path / "short.gguf")


@pytest.mark.slow
def test_the_bundled_gguf_layout_matches_its_size(
    bundled_models: dict[str, Path], tmp_path: Path
) -> None:
    gguf = bundled_models["llm"]
    layout = read_layout(gguf)
    assert len(layout.tensors) == layout.header.tensor_count > 100
    assert all(t.nbytes is not None for t in layout.tensors)  # every type in the table
    assert layout.data_end == layout.file_size  # block sizes of F32, Q5_0, Q8_0, Q4_K, Q6_K
    cut = tmp_path / "cut.gguf"
    with gguf.open("rb") as src, cut.open("wb") as out:
        shutil.copyfileobj(src, out, length=1 << 20)
        out.truncate(layout.file_size - 4096)
    with pytest.raises(ModelInvalid, match="truncated"):
        read_layout(cut)
