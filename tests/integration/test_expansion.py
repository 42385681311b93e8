"""Query expansion on the real index, embedder and default model: each mode adds its
rankings to the fusion and traces what it searched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ragtui.core.engine import create_engine
from tests.conftest import DEMO_CORPUS, install_bundled

pytestmark = pytest.mark.slow
QUESTION = "How often should I change the oil in the Kestrel?"


def test_each_expansion_adds_its_ranking_and_traces_it(
    tmp_path: Path, ragtui_home: Path, bundled_models: dict[str, Path]
) -> None:
    install_bundled(bundled_models, ragtui_home)
    shutil.copytree(DEMO_CORPUS, tmp_path / "docs")
    engine = create_engine()
    engine.add_folder(tmp_path / "docs")
    engine.index()
    for mode, ranking in (
        ("keywords", "bm25:feedback"),
        ("multi", "dense:1"),
        ("hyde", "dense:hyde"),
    ):
        engine.settings.retrieval.expansion = mode  # type: ignore[assignment]
        result = engine.search(QUESTION, k=5)
        assert "expand" in result.timings_ms
        assert any(ranking in hit.ranks for hit in result.hits), mode
        assert result.hits[0].path.endswith("car-maintenance.md")
        engine.tracing.flush()
        spans = engine.traces.last("search").spans
        expand = next(s for s in spans if s.name == "retrieve.expand")
        assert expand.attributes["ragtui.expansion"] == mode
    engine.close()
