"""``ragtui models use`` and ``remove``: make a model the active one of its kind by
rewriting ``config.toml``, or delete an imported one."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ragtui import paths
from ragtui.config import ConfigError, load_settings
from ragtui.core import model_registry
from ragtui.core.errors import ModelInvalid, ModelMissing, PathProblem
from ragtui.core.model_registry import ModelRecord
from ragtui.core.models_admin.listing import ModelListing
from ragtui.core.models_admin.records import UseResult


class ModelSwitcher:
    """Switches and removes the models a listing shows; ``indexed_model`` returns the
    embedding model id the index was built with (None for an empty index)."""

    def __init__(self, models: ModelListing, indexed_model: Callable[[], str | None]) -> None:
        self.models = models
        self._indexed_model = indexed_model

    def remove(self, name: str) -> ModelRecord:
        """Delete an imported model's files and its registry record."""
        records = model_registry.load()
        found = [r for r in records if r.name == name]
        if not found:
            raise ModelMissing(
                f"No imported model called {name!r}: only imported or pulled "
                "models can be removed (`ragtui models list` shows them)."
            )
        record = found[0]
        if self.models.is_active(record.kind, record.name, record.location()):
            raise PathProblem(
                f"{name} is the active {record.kind} model: switch to another "
                "with `ragtui models use NAME` first."
            )
        location = record.location()
        if location.is_dir():
            shutil.rmtree(location)
        else:
            location.unlink(missing_ok=True)
        model_registry.save([r for r in records if r is not record])
        return record

    def use(self, name: str) -> UseResult:
        """Make ``name`` the active model of its kind by rewriting ``config.toml``."""
        rows = [r for r in self.models.listing() if r.name == name and r.origin != "config"]
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
            if self.models.settings.llm.backend != "llama_cpp":
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
                changed = {
                    "embedding.model": name,
                    "embedding.model_dir": str(row.path),
                    "embedding.dim": record.dim,
                    "embedding.pooling": record.pooling,
                }
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
