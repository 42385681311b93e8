"""``ragtui ask`` from a shell, with and without ``ragtui serve``, timed as a user sees it.

    python tests/bench/serve_latency.py --home HOME [--questions FILE.jsonl] [--rounds 2]

HOME must already hold an index (``ragtui --home HOME add DIR && ragtui --home HOME index``;
for the demo: ``assets/demo/corpus``). For each question (default: the demo's), it runs
``python -m ragtui --home HOME ask Q --json --no-cache`` as a new process and records the
process's wall time, and the answer's own ``timings_ms`` (``ttft``, ``total``):

* ``standalone``: no service (``RAGTUI_NO_SERVE=1``), every process loads everything;
* ``served``: with ``ragtui serve`` started (and warm) beforehand;
* ``cache_hit``: the same questions again with the cache on, through the service: its
  ``timings_ms.total`` (target ≤ 20 ms) and the wall time of the process.

Answers are checked to be the same text both ways (the models are the same; only the
process differs). Prints one JSON object with medians and 95th percentiles. Run it with
the machine otherwise idle (llama.cpp's threads spin).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
RAGTUI = [sys.executable, "-m", "ragtui"]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


def _summary(values: list[float]) -> dict[str, float]:
    return {"p50": round(statistics.median(values), 1), "p95": _pct(values, 0.95)}


def _ask(home: Path, question: str, *, cache: bool, served: bool) -> tuple[float, dict[str, Any]]:
    env = os.environ | ({} if served else {"RAGTUI_NO_SERVE": "1"})
    args = [*RAGTUI, "--home", str(home), "ask", question, "--json"]
    started = time.perf_counter()
    done = subprocess.run(
        args + ([] if cache else ["--no-cache"]), capture_output=True, text=True, env=env
    )
    wall = (time.perf_counter() - started) * 1000
    if done.returncode:
        raise SystemExit(f"ask failed: {done.stderr.strip()}")
    return wall, json.loads(done.stdout)


def _run(home: Path, questions: list[str], rounds: int, **how: bool) -> dict[str, Any]:
    walls: list[float] = []
    ttft: list[float] = []
    totals: list[float] = []
    answers: dict[str, str] = {}
    for _ in range(rounds):
        for question in questions:
            wall, answer = _ask(home, question, **how)
            walls.append(wall)
            totals.append(answer["timings_ms"]["total"])
            if answer["timings_ms"].get("ttft"):
                ttft.append(answer["timings_ms"]["ttft"])
            answers[question] = answer["answer"]
    return {
        "wall_ms": _summary(walls),
        "answer_total_ms": _summary(totals),
        "ttft_ms": _summary(ttft) if ttft else None,
        "answers": answers,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--questions", type=Path, default=REPO / "assets/demo/questions.jsonl")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    home = args.home.resolve()
    rows = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]
    questions = [str(r["question"]) for r in rows]
    standalone = _run(home, questions, 1, cache=False, served=False)
    service = subprocess.Popen([*RAGTUI, "--home", str(home), "serve"], stderr=subprocess.DEVNULL)
    try:
        while True:
            status = subprocess.run(
                [*RAGTUI, "--home", str(home), "serve", "--status", "--json"],
                capture_output=True,
                text=True,
            )
            if json.loads(status.stdout or "{}").get("warm"):
                break
            time.sleep(0.2)
        served = _run(home, questions, args.rounds, cache=False, served=True)
        _run(home, questions, 1, cache=True, served=True)  # fill the cache
        hits = _run(home, questions, 1, cache=True, served=True)
    finally:
        service.terminate()
        service.wait(timeout=60)
    same = sum(standalone["answers"][q] == served["answers"][q] for q in questions)
    for run in (standalone, served, hits):
        run.pop("answers")
    print(
        json.dumps(
            {
                "questions": len(questions),
                "standalone": standalone,
                "served": served,
                "cache_hit": hits,
                "same_answer_served_and_standalone": f"{same}/{len(questions)}",
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
