"""The model router with real routes: an OpenAI-compatible server that is not running (a
closed localhost port), then the bundled GGUF through llama.cpp."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from ragtui.config import load_settings
from ragtui.core.engine import create_engine
from tests.conftest import install_bundled

pytestmark = pytest.mark.slow


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_dead_server_route_falls_back_to_the_bundled_model(
    ragtui_home: Path, demo_docs: Path, bundled_models: dict[str, Path]
) -> None:
    install_bundled(bundled_models, ragtui_home)
    server = f"http://127.0.0.1:{_closed_port()}/v1"
    settings = load_settings(
        llm={
            "max_tokens": 24,
            "routes": [
                {"name": "server", "backend": "openai", "base_url": server, "timeout_s": 5},
                {"name": "local"},
            ],
        }
    )
    engine = create_engine(settings)
    try:
        engine.add_folder(demo_docs)
        engine.index()
        streamed: list[str] = []
        started = time.perf_counter()
        answer = engine.ask(
            "At what mileage is the timing belt replaced?",
            use_cache=False,
            on_token=streamed.append,
        )
        assert time.perf_counter() - started < 60
        assert answer.route == "local" and not answer.fallback, answer.error
        assert answer.model == bundled_models["llm"].stem and streamed
        (failed,) = answer.routes_failed
        assert failed.startswith(f"server: The model server at {server} did not answer")
        engine.tracing.flush()
        ask = next(s for s in engine.traces.last("ask").spans if s.name == "ask")
        assert ask.attributes["ragtui.route"] == "local"
        assert ask.attributes["ragtui.route.failed"] == [failed]
        assert engine.stats.figures("24h").answers.routes == {"local": 1}
    finally:
        engine.close()
