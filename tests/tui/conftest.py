"""TUI fixtures: the app factory over a FixedEngine (fast) or the real Engine (slow)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ragtui import paths
from tests.tui.fixed import FixedEngine


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Times render in UTC so snapshots match anywhere."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def fixed_engine(demo_docs: Path, ragtui_home: Path) -> Iterator[FixedEngine]:
    engine = FixedEngine(demo_docs, paths.data_dir())
    yield engine
    engine.close()
