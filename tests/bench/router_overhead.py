"""The model router's cost per answer, with fake backends (no model, no index, tracing off).

Prints one JSON object:

- ``chain_overhead_ms``: median ask time with a three-route chain (two rules that do not
  match, then the route that answers) minus the same ask with no routes (the one ``llm``
  route), over paired, interleaved rounds. Target ≤ 1 ms.
- ``routing_ms``: the routing steps alone per answer (facts, plan, the primary route, the
  breaker checks).
- ``failed_route_ms``: what a route that fails at once adds (its second packing and cache
  key), beyond its backend's own time.
- ``timeout_fallback_ms``: from the question to the next route answering when the first
  route hangs with ``timeout_s = 0.2`` (target: within that timeout, plus the answer).
- ``closed_port_fallback_ms``: the same with an OpenAI-compatible route at a closed
  localhost port (a real HTTP backend, connection refused).

Run: ``PYTHONPATH=. python tests/bench/router_overhead.py [--rounds 400]``.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from ragtui.core.answer import AnswerPipeline
from ragtui.core.router import Tries
from tests.unit.test_router import HITS, QUESTION, Fake, _pipeline, _settings


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 4)


def _time(pipeline: AnswerPipeline) -> float:
    started = time.perf_counter()
    answer = pipeline.ask(QUESTION)
    took = time.perf_counter() - started
    assert not answer.fallback, answer.error
    return took


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=400)
    rounds = parser.parse_args().rounds
    root = Path(tempfile.mkdtemp(prefix="router-bench-"))
    fast = {"big": Fake("big"), "tiny": Fake("tiny"), "down": Fake("down", fail="down")}
    single = _pipeline(root / "single", _settings(), {}, default=Fake("local"))
    chain = _pipeline(
        root / "chain",
        _settings(
            [
                {"name": "tiny", "model": "tiny", "when": "question_words <= 3"},
                {"name": "big", "model": "big", "when": "context_tokens >= 100000"},
                {"name": "local"},
            ]
        ),
        fast,
        default=Fake("local"),
    )
    failing = _pipeline(
        root / "failing",
        _settings([{"name": "down", "model": "down", "breaker_s": 0}, {"name": "local"}]),
        fast,
        default=Fake("local"),
    )
    for pipeline in (single, chain, failing):
        for _ in range(20):
            pipeline.ask(QUESTION)  # warm: imports, templates, numpy
    base: list[float] = []
    routed: list[float] = []
    fallen: list[float] = []
    for _ in range(rounds):
        base.append(_time(single))
        routed.append(_time(chain))
        fallen.append(_time(failing))
    paired_chain = [r - b for r, b in zip(routed, base, strict=True)]
    paired_failed = [f - b for f, b in zip(fallen, base, strict=True)]

    steps: list[float] = []
    for _ in range(rounds):
        started = time.perf_counter()
        facts = chain._facts(QUESTION, HITS, None)
        plan = chain.router.plan(facts)
        tries = Tries(chain.router)
        primary = tries.primary(plan)
        assert primary is not None
        primary[0].breaker.open_reason()
        steps.append(time.perf_counter() - started)

    hang = _pipeline(
        root / "hang",
        _settings([{"name": "stuck", "model": "hangs", "timeout_s": 0.2}, {"name": "local"}]),
        {"hangs": Fake("hangs", hang=True)},
        default=Fake("local"),
    )
    timeout_fallback = _time(hang)
    dead = _pipeline(
        root / "dead",
        _settings(
            [
                {
                    "name": "server",
                    "model": "server",
                    "backend": "openai",
                    "base_url": f"http://127.0.0.1:{_closed_port()}/v1",
                    "timeout_s": 5,
                },
                {"name": "local"},
            ]
        ),
        {},
        default=Fake("local"),
    )
    from ragtui.core.generate import OpenAIBackend

    server = dead.router.get("server")
    server.backend = lambda: OpenAIBackend(server.settings, "completion")  # the real HTTP one
    closed_port_fallback = _time(dead)
    figures: dict[str, Any] = {
        "rounds": rounds,
        "single_route_ask_ms": _median_ms(base),
        "chain_ask_ms": _median_ms(routed),
        "chain_overhead_ms": _median_ms(paired_chain),
        "routing_ms": _median_ms(steps),
        "failed_route_ms": _median_ms(paired_failed),
        "timeout_fallback_ms": round(timeout_fallback * 1000, 1),
        "closed_port_fallback_ms": round(closed_port_fallback * 1000, 1),
        "target_chain_overhead_ms": 1.0,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
