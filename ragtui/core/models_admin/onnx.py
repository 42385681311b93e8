"""ONNX model directories: which files make one, and loading one to check it runs."""

from __future__ import annotations

import json
from pathlib import Path

from ragtui.core.errors import ModelInvalid, PathProblem
from ragtui.core.model_registry import Kind
from ragtui.core.models_admin.common import short

# model.onnx may arrive under the name its exporter gave it
_ONNX_NAMES = ("model.onnx", "model_optimized.onnx", "onnx/model.onnx", "model_quantized.onnx")
_TOKENIZER_REQUIRED = ("tokenizer.json", "tokenizer_config.json")
_TOKENIZER_OPTIONAL = ("config.json", "special_tokens_map.json", "vocab.txt")


def onnx_dir_files(source: Path) -> dict[str, Path]:
    """local name → source file for an ONNX model directory; refuses an incomplete one."""
    if not source.is_dir():
        raise PathProblem(
            f"{source} is not a directory: give a model directory (model.onnx + tokenizer files)."
        )
    onnx = next((source / n for n in _ONNX_NAMES if (source / n).is_file()), None)
    if onnx is None:
        raise ModelInvalid(
            f"{source} holds no model.onnx: point at the directory of an ONNX export "
            "(model.onnx, tokenizer.json, tokenizer_config.json)."
        )
    missing = [n for n in _TOKENIZER_REQUIRED if not (source / n).is_file()]
    if missing:
        raise ModelInvalid(
            f"{source} has no {' or '.join(missing)}: copy the tokenizer files from the model's "
            "source next to model.onnx."
        )
    files = {"model.onnx": onnx}
    for name in (*_TOKENIZER_REQUIRED, *_TOKENIZER_OPTIONAL):
        if (source / name).is_file():
            files[name] = source / name
    for extra in onnx.parent.iterdir():  # external weights an ONNX file refers to
        if extra.is_file() and (extra.name.endswith(("_data", ".data"))):
            files[extra.name] = extra
    return files


def check_onnx_dir(directory: Path, kind: Kind) -> int:
    """Load the model with onnxruntime and its tokenizer, run one input through it and
    return the output's last dimension (the embedding size). Raises :class:`ModelInvalid`."""
    import numpy as np

    try:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        json.loads((directory / "tokenizer_config.json").read_text(encoding="utf-8"))
        if kind == "reranker":
            encoding = tokenizer.encode("what is checked", "this model is checked")
        else:
            encoding = tokenizer.encode("ragtui checks this model")
    except Exception as exc:
        raise ModelInvalid(
            f"The tokenizer in {directory} does not load ({short(exc)}): copy tokenizer.json and "
            "tokenizer_config.json from the model's source again."
        ) from None
    try:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.log_severity_level = 3
        session = ort.InferenceSession(
            str(directory / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        feeds = {
            "input_ids": np.array([encoding.ids], dtype=np.int64),
            "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
            "token_type_ids": np.array([encoding.type_ids], dtype=np.int64),
        }
        names = [i.name for i in session.get_inputs()]
        unknown = [n for n in names if n not in feeds]
        if unknown:
            raise ValueError(f"unexpected inputs {unknown}")
        output = session.run(None, {n: feeds[n] for n in names})[0]
    except Exception as exc:
        raise ModelInvalid(
            f"{directory / 'model.onnx'} does not load or run in onnxruntime ({short(exc)}): "
            "download or export the model again."
        ) from None
    if not np.all(np.isfinite(output)):
        raise ModelInvalid(
            f"{directory / 'model.onnx'} computes NaN or infinite values, so its "
            "weights are damaged: download or export the model again."
        )
    return int(output.shape[-1])
