"""The default model rewrites a demo follow-up to stand alone (``retrieval.followups =
"condense"``); what it writes, or the carry-over it falls back to, finds the source."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ragtui.core.condense import model_condenser
from ragtui.core.engine import create_engine
from ragtui.core.followup import Exchange, rewrite
from tests.conftest import DEMO_CORPUS, REPO, install_bundled

pytestmark = pytest.mark.slow


def test_a_condensed_followup_finds_its_source(
    tmp_path: Path, ragtui_home: Path, bundled_models: dict[str, Path]
) -> None:
    install_bundled(bundled_models, ragtui_home)
    cases = [json.loads(line) for line in (REPO / "assets/followups/demo.jsonl").open()]
    case = next(c for c in cases if c["id"] == "tyres-2")
    history = [Exchange(t["question"], t["answer"]) for t in case["history"]]
    shutil.copytree(DEMO_CORPUS, tmp_path / "docs")
    engine = create_engine()
    engine.add_folder(tmp_path / "docs")
    engine.index()
    result = rewrite(case["question"], history, "condense", model_condenser(engine.backend))
    assert result.method in ("condense", "carry") and result.rewritten
    assert result.method == "condense" or "the model's rewrite" in result.reason
    top3 = [h.path for h in engine.search(result.query, k=3).hits]
    assert any(p.endswith(case["expected_sources"][0]) for p in top3)
    engine.close()
