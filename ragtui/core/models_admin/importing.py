"""``ragtui models import`` (and the end of ``pull``): validate a GGUF file or an ONNX
model directory, copy it into the models dir and register it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Literal

from ragtui import paths
from ragtui.core import model_registry
from ragtui.core.errors import ModelInvalid, PathProblem
from ragtui.core.gguf import read_layout
from ragtui.core.model_registry import FileRecord, Kind, ModelRecord
from ragtui.core.models_admin.common import (
    bundled,
    catalogue_entries,
    catalogue_file_sha,
    copy_hashed,
    intact,
    mismatch,
    now,
    replaceable,
    safe_name,
    sha256_file,
    stat_key,
)
from ragtui.core.models_admin.onnx import check_onnx_dir, onnx_dir_files
from ragtui.core.models_admin.records import ImportResult


class ModelImporter:
    """Copies models into the models dir and records them in its registry."""

    @property
    def models_dir(self) -> Path:
        """Where imported models go."""
        return paths.models_dir()

    def import_model(
        self,
        source: Path,
        *,
        name: str | None = None,
        kind: Kind | None = None,
        pooling: str | None = None,
        origin: Literal["imported", "pulled"] = "imported",
        source_label: str | None = None,
        move: bool = False,
    ) -> ImportResult:
        """Validate ``source`` (a GGUF file or an ONNX model directory), copy it into the
        models dir and register it. Raises :class:`ModelInvalid` / :class:`PathProblem`
        with one sentence when it is refused."""
        source = source.expanduser()
        if not source.exists():
            raise PathProblem(
                f"{source} does not exist: give the path of a GGUF file or of a "
                "model directory (model.onnx + tokenizer files)."
            )
        label = source_label or str(source.resolve())
        if source.is_file():
            if kind not in (None, "llm"):
                raise PathProblem(
                    f"{source} is a file: a {kind} model is a directory "
                    "(model.onnx + tokenizer files)."
                )
            return self._import_gguf(source, name, origin, label, move)
        return self._import_onnx_dir(
            source, name, kind or "embedding", pooling, origin, label, move
        )

    def _import_gguf(
        self,
        source: Path,
        name: str | None,
        origin: Literal["imported", "pulled"],
        label: str,
        move: bool,
    ) -> ImportResult:
        layout = read_layout(source)  # refuses a non-GGUF, a damaged header, a truncated file
        entry = self._catalogue_llm_for(source.name, name)
        model_name = name or (entry["name"] if entry else safe_name(source.stem))
        file_name = entry["file"] if entry else f"{model_name}.gguf"
        target = self.models_dir / "llm" / file_name
        existing = model_registry.find(model_name, "llm")
        sha = sha256_file(source) if existing or (entry and bundled(entry)) else None
        if entry is not None and entry.get("sha256") and sha is not None and sha != entry["sha256"]:
            raise ModelInvalid(mismatch(source, model_name, entry["sha256"], sha))
        if entry is not None and bundled(entry):
            raise ModelInvalid(
                f"{source} is {model_name}, which ragtui already bundles: nothing to import "
                f"(`ragtui models use {model_name}` switches back to it)."
            )
        if existing is not None:
            same = existing.sha256 == sha
            if same and intact(existing):
                return ImportResult(existing, already=True)
            if not same and not replaceable(existing):
                raise PathProblem(
                    f"A model called {model_name!r} is already imported: give "
                    "another name with --name."
                )
            existing.location().unlink(missing_ok=True)
        if target.exists():
            raise PathProblem(
                f"{target} already exists and is not a registered model: move it "
                "away or give another name with --name."
            )
        sha, size = copy_hashed(source, target, move)
        try:
            if entry is not None and entry.get("sha256") and sha != entry["sha256"]:
                raise ModelInvalid(mismatch(source, model_name, entry["sha256"], sha))
            read_layout(target)
        except ModelInvalid:
            target.unlink(missing_ok=True)
            raise
        known = self._known_llm_sha(sha)
        sha_from: Literal["catalogue", "import"] = (
            "catalogue" if (entry and entry.get("sha256")) or known else "import"
        )
        fmt = (entry or {}).get("prompt_format") or (
            "chat" if layout.header.metadata.get("tokenizer.chat_template") else "completion"
        )
        record = ModelRecord(
            model_name,
            "llm",
            str(target.relative_to(self.models_dir)),
            (FileRecord(file_name, size, sha),),
            label,
            origin,
            sha_from,
            now(),
            prompt_format=fmt,
            extra={"verified_stat": {file_name: stat_key(target)}, "last_verify_ok": True},
        )
        model_registry.add(record)
        notes = []
        if sha_from == "import":
            notes.append(
                f"models.toml does not know this file's sha256; recorded {sha} so "
                "`ragtui models verify` can detect later corruption."
            )
        return ImportResult(record, notes=tuple(notes))

    def _catalogue_llm_for(self, file_name: str, name: str | None) -> dict[str, Any] | None:
        for raw in catalogue_entries("llm"):
            if raw["name"] == name or (name is None and raw["file"] == file_name):
                return raw
        return None

    def _known_llm_sha(self, sha: str) -> bool:
        return any(raw.get("sha256") == sha for raw in catalogue_entries("llm"))

    def _import_onnx_dir(
        self,
        source: Path,
        name: str | None,
        kind: Kind,
        pooling: str | None,
        origin: Literal["imported", "pulled"],
        label: str,
        move: bool,
    ) -> ImportResult:
        if kind == "llm":
            raise PathProblem(f"{source} is a directory: a language model is one GGUF file.")
        files = onnx_dir_files(source)
        model_name = name or safe_name(source.name)
        entry = next((raw for raw in catalogue_entries(kind) if raw["name"] == model_name), None)
        if entry is not None and bundled(entry):
            raise ModelInvalid(
                f"{model_name} is bundled with ragtui already: nothing to import (give another "
                "name with --name to import a different model)."
            )
        existing = model_registry.find(model_name, kind)
        if existing is not None:
            same = {f.name: f.sha256 for f in existing.files} == {
                local: sha256_file(src) for local, src in files.items()
            }
            if same and intact(existing):
                return ImportResult(existing, already=True)
            if not same and not replaceable(existing):
                raise PathProblem(
                    f"A {kind} model called {model_name!r} is already imported: "
                    "give another name with --name."
                )
            shutil.rmtree(existing.location(), ignore_errors=True)
        target = self.models_dir / kind / model_name
        if target.exists():
            raise PathProblem(
                f"{target} already exists and is not a registered model: move it "
                "away or give another name with --name."
            )
        staging = target.with_name(target.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        records = []
        try:
            for local, src in files.items():
                sha, size = copy_hashed(src, staging / local, move=False)
                expected = catalogue_file_sha(entry, local)
                if expected and expected != sha:
                    raise ModelInvalid(mismatch(src, model_name, expected, sha))
                records.append(FileRecord(local, size, sha))
            dim = check_onnx_dir(staging, kind)
            if entry is not None and entry.get("dim") and int(entry["dim"]) != dim:
                raise ModelInvalid(
                    f"{source} gives {dim}-dimensional vectors but {model_name} in models.toml "
                    f"has {entry['dim']}: it is a different model, so import it under another "
                    "name with --name."
                )
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        staging.rename(target)
        if move:
            shutil.rmtree(source, ignore_errors=True)
        chosen = pooling or (entry or {}).get("pooling") or "mean"
        stats = {f.name: stat_key(target / f.name) for f in records}
        all_known = entry is not None and all(catalogue_file_sha(entry, f.name) for f in records)
        record = ModelRecord(
            model_name,
            kind,
            str(target.relative_to(self.models_dir)),
            tuple(records),
            label,
            origin,
            "catalogue" if all_known else "import",
            now(),
            dim=dim if kind == "embedding" else None,
            pooling=chosen if kind == "embedding" else None,
            extra={"verified_stat": stats, "last_verify_ok": True},
        )
        model_registry.add(record)
        notes = []
        if kind == "embedding" and pooling is None and entry is None:
            notes.append(
                "Pooling set to mean (sentence-transformers models); if the model card "
                "says CLS pooling (BGE, E5 …), import again with --pooling cls."
            )
        return ImportResult(record, notes=tuple(notes))
