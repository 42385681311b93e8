"""Every on-disk location ragtui uses; ``RAGTUI_HOME`` moves them all."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "ragtui"


def home_override() -> Path | None:
    """The ``RAGTUI_HOME`` directory, if set."""
    value = os.environ.get("RAGTUI_HOME")
    return Path(value).expanduser().resolve() if value else None


def data_dir() -> Path:
    """Root of everything ragtui writes: catalog, indexes, caches, models."""
    home = home_override()
    return home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME))


def config_dir() -> Path:
    """Where ``config.toml`` lives."""
    home = home_override()
    return home / "config" if home else Path(platformdirs.user_config_dir(APP_NAME))


def config_file() -> Path:
    """The user's ``config.toml``."""
    return config_dir() / "config.toml"


def catalog_file() -> Path:
    """The SQLite catalog: files, chunks and index generations."""
    return data_dir() / "catalog.sqlite"


def lancedb_dir() -> Path:
    """Default LanceDB location (config ``index.vectors_uri`` may point elsewhere)."""
    return data_dir() / "lancedb"


def tantivy_dir() -> Path:
    """The Tantivy BM25 index."""
    return data_dir() / "tantivy"


def cache_dir() -> Path:
    """diskcache stores."""
    return data_dir() / "cache"


def models_dir() -> Path:
    """Model files ragtui assembled or imported."""
    return data_dir() / "models"


def evals_dir() -> Path:
    """Evaluation indexes, datasets and runs."""
    return data_dir() / "evals"


def logs_dir() -> Path:
    """Log files."""
    return data_dir() / "logs"


def log_file() -> Path:
    """ragtui's log: one line per command or app start, and every unexpected error."""
    return logs_dir() / "ragtui.log"
