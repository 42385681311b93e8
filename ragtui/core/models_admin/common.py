"""What the parts of the model admin share: catalogue entries, hashing and copying files,
and small checks on registered models."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import time
from pathlib import Path
from typing import Any

from ragtui.core import model_store
from ragtui.core.model_registry import Kind, ModelRecord
from ragtui.core.models_admin.records import KINDS

BLOCK = 1 << 20


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


def bundled(raw: dict[str, Any]) -> bool:
    return bool(raw.get("packages"))


def packages_present(raw: dict[str, Any]) -> bool:
    names = {f["package"] for f in raw.get("files", []) if f.get("package")}
    names |= {p["package"] for p in raw.get("parts", [])}
    return all(importlib.util.find_spec(n) is not None for n in names)


def stat_key(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file."""
    return model_store.sha256_of(path)


def copy_hashed(source: Path, target: Path, move: bool) -> tuple[str, int]:
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
            for block in iter(lambda: src.read(BLOCK), b""):
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


def intact(record: ModelRecord) -> bool:
    """Every file of an imported model is there with the sha256 recorded for it."""
    base = record.location()
    for f in record.files:
        path = base if record.kind == "llm" else base / f.name
        if not path.is_file() or path.stat().st_size != f.size or sha256_file(path) != f.sha256:
            return False
    return True


def package_path(package: str, rel: str) -> Path:
    found = importlib.util.find_spec(package)
    assert found is not None and found.submodule_search_locations
    return Path(next(iter(found.submodule_search_locations))) / rel


def replaceable(record: ModelRecord) -> bool:
    """A registered model may be overwritten by a new import only once it is known broken."""
    return record.extra.get("last_verify_ok") is False or not record.location().exists()


def refresh_llm_marker(path: Path, sha: str) -> None:
    st = path.stat()
    path.with_name(path.name + ".verified").write_text(f"{sha}:{st.st_size}:{st.st_mtime_ns}")


def catalogue_file_sha(entry: dict[str, Any] | None, name: str) -> str | None:
    for f in (entry or {}).get("files", []):
        if f["name"] == name:
            return str(f["sha256"]) if f.get("sha256") else None
    return None


def mismatch(path: Path, name: str, expected: str, found: str) -> str:
    return (
        f"{path} does not match the sha256 models.toml records for {name} (expected "
        f"{expected[:12]}…, found {found[:12]}…), so it is corrupted or a different build: "
        "download or copy it again."
    )


def json_ok(path: Path) -> bool:
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return False
    return True


def same(a: Path, b: Path) -> bool:
    return a.expanduser().resolve() == b.expanduser().resolve()


def dir_size(directory: Path | None) -> int | None:
    if directory is None or not directory.is_dir():
        return None
    return sum(
        p.stat().st_size for p in directory.iterdir() if p.is_file() and not p.name.startswith(".")
    )


def safe_name(stem: str) -> str:
    keep = "".join(c if c.isalnum() or c in "._-" else "-" for c in stem).strip(".-")
    return keep or "model"


def short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) < 160 else text[:157] + "…"


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
