"""Query expansion on the real index, embedder and default model: each mode adds its
rankings to the fusion and traces what it searched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ragtui.core.engine import Engine, create_engine
from tests.conftest import DEMO_CORPUS

pytestmark = pytest.mark.slow
QUESTION = "How often should I change the oil in the Kestrel?"


def _engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str) -> Engine:
    monkeypatch.setenv("RAGTUI_RETRIEVAL__EXPANSION", mode)
    docs = tmp_path / "docs"
    if not docs.exists():
        shutil.copytree(DEMO_CORPUS, docs)
    engine = create_engine()
    engine.add_folder(docs)
    engine.index()
    return engine


@pytest.mark.parametrize(
    ("mode", "ranking"),
    [("keywords", "bm25:feedback"), ("multi", "bm25:1"), ("hyde", "dense:hyde")],
)
def test_an_expansion_adds_its_ranking_and_traces_its_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, ranking: str
) -> None:
    engine = _engine(tmp_path, monkeypatch, mode)
    result = engine.search(QUESTION, k=5)
    assert "expand" in result.timings_ms
    assert any(ranking in hit.ranks for hit in result.hits)
    assert result.hits[0].path.endswith("car-maintenance.md")
    spans = engine.traces.last("search").spans
    assert any(
        s.name == "retrieve.expand" and s.attributes["ragtui.expansion"] == mode for s in spans
    )
    engine.close()
