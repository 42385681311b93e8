"""Drift over a real trace store: the figures each ask and search leaves for it, and the
``drift`` block of the stats."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ragtui.config import load_settings
from ragtui.core.engine import Engine, create_engine
from tests.conftest import DEMO_CORPUS
from tests.fakes import Scripted

QUESTIONS = (
    "timing belt replacement mileage",
    "how often should the oil be changed",
    "what tyre pressure is recommended",
    "when to replace brake pads",
    "which coolant does the engine need",
)


def _engine(tmp_path: Path, **settings: Any) -> Engine:
    engine = create_engine(load_settings(**settings))
    docs = tmp_path / "docs"
    shutil.copytree(DEMO_CORPUS, docs)
    engine.add_folder(docs)
    engine.index()
    engine._backend = Scripted("The timing belt is replaced at 45,000 miles [1]. It is cheap.")  # type: ignore[assignment]
    return engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = _engine(tmp_path)
    yield eng
    eng.close()


def test_asks_and_searches_leave_their_drift_figures(engine: Engine) -> None:
    engine.search(QUESTIONS[0], k=5)
    engine.ask(QUESTIONS[1])
    engine.tracing.flush()
    rows = engine.tracing.store.signal_rows(10)
    assert rows["name"] == ("search", "ask")
    for blob in rows["query_vec"]:
        vector = np.frombuffer(blob, dtype=np.float16)
        assert vector.shape == (engine.embedder.dim,)
        assert abs(float(np.linalg.norm(vector.astype(np.float32))) - 1) < 0.01
    assert all(0 < top <= 1 for top in rows["top1"])
    assert all(k <= top for k, top in zip(rows["topk"], rows["top1"], strict=True))
    ask = {column: values[1] for column, values in rows.items()}
    assert ask["answer_chars"] > 0 and ask["refocused"] in (0, 1)
    assert ask["relevant"] in (0, 1) and ask["duration_ms"] > 0
    search = {column: values[0] for column, values in rows.items()}
    assert search["answer_chars"] is None and search["abstained"] is None


def test_questions_are_not_kept_as_vectors_unless_content_is_full(tmp_path: Path) -> None:
    engine = _engine(tmp_path, tracing={"content": "hash"})
    try:
        engine.search(QUESTIONS[0], k=5)
        engine.tracing.flush()
        rows = engine.tracing.store.signal_rows(10)
        assert rows["query_vec"] == (None,) and rows["top1"][0] is not None
        assert engine.tracing.store.prune(max_traces=0) >= 1
        assert engine.tracing.store.signal_rows(10)["name"] == ()
    finally:
        engine.close()


OFF_TOPIC = (
    "who won the football world cup in 1966",
    "how many moons does jupiter have",
    "best recipe for sourdough bread",
    "what is the capital of mongolia",
    "how do whales sleep",
)


def test_stats_json_carries_drift_and_alerts_after_a_topic_shift(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from ragtui.cli import app

    monkeypatch.setenv("RAGTUI_DRIFT__BASELINE", "20")
    monkeypatch.setenv("RAGTUI_DRIFT__RECENT", "10")
    engine = _engine(tmp_path)
    for i in range(20):
        engine.search(f"{QUESTIONS[i % 5]} ({i})", k=5)
    for i in range(10):
        engine.search(f"{OFF_TOPIC[i % 5]} ({i})", k=5)
    engine.close()
    result = CliRunner().invoke(app, ["stats", "--json"])
    assert result.exit_code == 0, result.output
    drift = json.loads(result.stdout)["drift"]
    assert (drift["baseline"], drift["recent"], drift["alpha"]) == (20, 10, 0.05)
    questions = drift["signals"]["questions"]
    assert (questions["baseline_n"], questions["recent_n"]) == (20, 10)
    assert questions["alert"] and questions["p_adjusted"] < 0.05
    assert drift["signals"]["latency_ms"]["p_value"] is None  # searches only: no answers
    assert any("Question topics" in line for line in drift["alerts"])
    text = CliRunner().invoke(app, ["stats"])
    assert "ALERT" in text.stdout and "Drift: Question topics" in text.output
