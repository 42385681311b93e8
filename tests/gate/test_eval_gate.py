"""The CI eval gate: retrieval on a fixed SciFact slice must not regress beyond its
interval against the committed baseline, and a deliberately broken retrieval setting must
be caught. (The demo-answers half is tests/integration/test_llm.py.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ragtui.config import load_settings
from ragtui.core.eval.beir import BeirDataset
from tests.gate import scifact_gate as gate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[Any]:
    """The slice, indexed once with the default settings: (dataset, data dir)."""
    root = tmp_path_factory.mktemp("gate")
    dataset = gate.write_slice(root / "slice", shared_data / "scifact" / "beir")
    gate.index_slice(dataset, root / "data", load_settings()).close()
    yield dataset, root / "data"


def _scores(indexed: tuple[BeirDataset, Path], **overrides: Any) -> dict[str, dict[str, float]]:
    dataset, data_dir = indexed
    engine = gate.index_slice(dataset, data_dir, load_settings(**overrides))
    try:
        return gate.per_query(engine, dataset)
    finally:
        engine.close()


def _baseline() -> dict[str, dict[str, float]]:
    return dict(json.loads(gate.BASELINE.read_text())["per_query"])


def test_retrieval_does_not_regress_against_the_baseline(indexed: Any) -> None:
    assert gate.regressions(_baseline(), _scores(indexed)) == {}


def test_a_broken_retrieval_setting_fails_the_gate(indexed: Any) -> None:
    broken = _scores(indexed, retrieval={"mmr": True, "mmr_lambda": 0.0})  # diversity only
    assert set(gate.regressions(_baseline(), broken)) == set(gate.METRICS)
