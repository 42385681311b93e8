"""Every on-disk location ragtui uses; ``RAGTUI_HOME`` moves them all."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "ragtui"


@dataclass(frozen=True)
class DataLayout:
    """Where each store lives inside one data dir (the user's, or an eval index's own)."""

    root: Path

    @property
    def catalog(self) -> Path:
        """The SQLite catalog: files, chunks and index generations."""
        return self.root / "catalog.sqlite"

    @property
    def lancedb(self) -> Path:
        """Default LanceDB location (config ``index.vectors_uri`` may point elsewhere)."""
        return self.root / "lancedb"

    @property
    def tantivy(self) -> Path:
        """The Tantivy BM25 index."""
        return self.root / "tantivy"

    @property
    def cache(self) -> Path:
        """diskcache stores: embeddings, answers, LLM states, judge verdicts."""
        return self.root / "cache"

    @property
    def traces(self) -> Path:
        """The trace store."""
        return self.root / "traces.sqlite"

    @property
    def conversations(self) -> Path:
        """Stored conversations."""
        return self.root / "conversations.sqlite"

    @property
    def evals(self) -> Path:
        """Evaluation indexes, datasets and runs."""
        return self.root / "evals"

    @property
    def eval_runs(self) -> Path:
        """The store of scored eval runs."""
        return self.evals / "runs.sqlite"

    @property
    def prompts(self) -> Path:
        """The user's own prompt templates (``<name>@<version>.toml``), e.g. rollout
        candidates, beside the bundled ones."""
        return self.root / "prompts"

    @property
    def prompt_history(self) -> Path:
        """The defaults ``ragtui prompts promote`` replaced, for ``rollback``."""
        return self.prompts / "history.json"

    @property
    def models(self) -> Path:
        """Model files ragtui assembled or imported."""
        return self.root / "models"

    @property
    def logs(self) -> Path:
        """Log files."""
        return self.root / "logs"


def home_override() -> Path | None:
    """The ``RAGTUI_HOME`` directory, if set."""
    value = os.environ.get("RAGTUI_HOME")
    return Path(value).expanduser().resolve() if value else None


def data_dir() -> Path:
    """Root of everything ragtui writes: catalog, indexes, caches, models."""
    home = home_override()
    return home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME))


def layout() -> DataLayout:
    """The stores of the user's data dir."""
    return DataLayout(data_dir())


def config_dir() -> Path:
    """Where ``config.toml`` lives."""
    home = home_override()
    return home / "config" if home else Path(platformdirs.user_config_dir(APP_NAME))


def config_file() -> Path:
    """The user's ``config.toml``."""
    return config_dir() / "config.toml"


def models_dir() -> Path:
    """Model files ragtui assembled or imported."""
    return layout().models


def logs_dir() -> Path:
    """Log files."""
    return layout().logs


def log_file() -> Path:
    """ragtui's log: one line per command or app start, and every unexpected error."""
    return logs_dir() / "ragtui.log"
