"""What the model admin returns: a listing row, a verification, an import and a switch."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ragtui.core.model_registry import Kind, ModelRecord

KINDS: tuple[Kind, ...] = ("embedding", "llm", "reranker")
Origin = Literal["bundled", "imported", "pulled", "catalogue", "config", "server"]


@dataclass(frozen=True)
class ModelInfo:
    """One row of ``ragtui models list``."""

    name: str
    kind: Kind
    origin: Origin  # bundled | imported | pulled | catalogue (not installed) | config | server
    installed: bool
    path: Path | None
    size: int | None
    sha256: str | None  # the GGUF's, or a directory's model.onnx
    sha256_from: str | None  # catalogue | import | None (unknown)
    verified: bool | None  # True: matches its sha256 as of the last check and unchanged since
    source: str
    active: bool
    description: str = ""
    license: str | None = None
    prompt_format: str | None = None
    dim: int | None = None

    def as_json(self) -> dict[str, Any]:
        """The JSON row (``path`` as a string)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "path": str(self.path) if self.path else None,
            "size": self.size,
            "sha256": self.sha256,
            "verified": self.verified,
            "source": self.source,
            "active": self.active,
            "origin": self.origin,
            "installed": self.installed,
            "sha256_from": self.sha256_from,
            "description": self.description,
            "license": self.license,
            "prompt_format": self.prompt_format,
            "dim": self.dim,
        }


@dataclass(frozen=True)
class VerifyResult:
    """One model's verification: ``problem`` is the one sentence to show when it failed."""

    name: str
    kind: Kind
    path: Path | None
    files: int
    ok: bool
    problem: str = ""
    note: str = ""  # what was not checked, or how (e.g. "not installed")


@dataclass(frozen=True)
class ImportResult:
    """What ``import`` registered (or found already there)."""

    record: ModelRecord
    already: bool = False
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class UseResult:
    """What ``use`` wrote, and whether the index now needs a rebuild."""

    name: str
    kind: Kind
    config_file: Path
    changed: dict[str, Any]
    removed: tuple[str, ...]
    reindex: str = ""  # the re-index prompt, when switching embedders
    notes: tuple[str, ...] = field(default_factory=tuple)
