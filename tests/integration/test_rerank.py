"""The optional cross-encoder reranking step."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ragtui.config import load_settings
from ragtui.core.engine import create_engine
from ragtui.core.errors import ModelMissing
from tests.conftest import DEMO_CORPUS


def test_a_missing_cross_encoder_is_one_sentence(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(DEMO_CORPUS, docs)
    engine = create_engine(load_settings(retrieval={"reranker_dir": str(tmp_path / "none")}))
    try:
        engine.add_folder(docs)
        engine.index(embed=False)
        with pytest.raises(ModelMissing, match=r"retrieval\.reranker_dir"):
            engine.search("timing belt", mode="bm25")
    finally:
        engine.close()


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("RAGTUI_TEST_RERANKER_DIR"),
    reason="no cross-encoder model is installable offline; set "
    "RAGTUI_TEST_RERANKER_DIR to a cross-encoder ONNX directory",
)
def test_reranking_with_a_real_cross_encoder(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(DEMO_CORPUS, docs)
    model = os.environ["RAGTUI_TEST_RERANKER_DIR"]
    engine = create_engine(load_settings(retrieval={"reranker_dir": model}))
    try:
        engine.add_folder(docs)
        engine.index()
        hits = engine.search("At what mileage is the timing belt replaced?", k=3).hits
        assert hits[0].path.endswith("car-maintenance.md")
        assert "rerank" in hits[0].scores
        engine.tracing.flush()
        names = {s.name for s in engine.traces.last("search").spans}
        assert "retrieve.rerank" in names
    finally:
        engine.close()
