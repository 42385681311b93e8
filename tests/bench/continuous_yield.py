"""Answer latency with and without a continuous eval run in progress in the background.

    python tests/bench/continuous_yield.py --home HOME [--questions FILE.jsonl] [--rounds 2]
        [--cases 8] [--gap 1.5]

HOME must already hold an index (for the demo: ``ragtui --home HOME add assets/demo/corpus
&& ragtui --home HOME index``) and the model. In one process, over one Engine (as the app
and ``ragtui serve`` hold it), each answerable question is asked with ``use_cache=False``,
``--gap`` seconds apart:

* ``idle``: nothing else runs;
* ``evaluating``: an eval run paced like a continuous one (``IdlePace`` on the Engine's
  answer gate with no quiet time, so a case is in flight whenever a question comes in) runs
  the kept continuous set (or, when there is none, ``--cases`` questions the model draws
  into a scratch file) in a thread, over and over.

The phases alternate ``--rounds`` times, after one unmeasured pass that warms every cache
alike. Prints one JSON object: median and p95 answer latency per phase, ``ratio`` (median
evaluating / median idle; target ≤ 1.05), each stage's median ``timings_ms`` per phase
(where a difference lies), the model calls the run gave up for a question
(``yielded``), the cases it finished, and whether a run stopped after one case resumes
with a case it had not done (``resumable``). Run it with the machine otherwise idle
(llama.cpp's threads spin).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


def _ask_all(
    engine: Any, questions: list[str], gap: float, stages: dict[str, list[float]] | None = None
) -> list[float]:
    took = []
    for question in questions:
        time.sleep(gap)  # the background run takes its turn meanwhile
        started = time.perf_counter()
        answer = engine.ask(question, use_cache=False)
        took.append((time.perf_counter() - started) * 1000)
        for stage, ms in answer.timings_ms.items():
            if stages is not None:
                stages.setdefault(stage, []).append(ms)
    return took


def _medians(stages: dict[str, list[float]]) -> dict[str, float]:
    return {stage: round(statistics.median(ms), 1) for stage, ms in stages.items()}


class Background:
    """An eval run paced like a continuous one, started again whenever it completes."""

    def __init__(self, engine: Any, dataset: Path) -> None:
        from ragtui.core.eval.pace import IdlePace

        self.engine = engine
        self.dataset = dataset
        self.cancel = threading.Event()
        self.pace = IdlePace(engine.gate, 0.0, self.cancel)
        self.finished = 0
        self.runs: list[str] = []
        self.thread = threading.Thread(target=self._loop, name="bench-continuous")

    def _loop(self) -> None:
        from ragtui.core.errors import Cancelled

        while not self.cancel.is_set():
            name = f"bench-continuous-{time.strftime('%Y%m%d-%H%M%S')}-{len(self.runs)}"
            self.runs.append(name)
            try:
                self.engine.evals.run(
                    self.dataset,
                    name=name,
                    judge=False,
                    workers=1,
                    cancel=self.cancel,
                    pace=self.pace,
                    progress=self._progress,
                )
            except Cancelled:
                return

    def _progress(self, done: int, total: int, case_id: str) -> None:
        self.finished += 1

    def __enter__(self) -> Background:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.cancel.set()
        self.thread.join()


def _resumable(engine: Any, dataset: Path) -> dict[str, Any]:
    """A paced run stopped after its first case, resumed for one more: the case it runs
    must be one it had not done."""
    from ragtui.core.eval.pace import IdlePace

    def one_case(cancel: threading.Event, seen: list[str]) -> Any:
        def stop(done: int, total: int, case_id: str) -> None:
            seen.append(case_id)
            cancel.set()

        return stop

    cancel, first = threading.Event(), []
    run = engine.evals.run(
        dataset,
        name=f"bench-resume-{time.strftime('%Y%m%d-%H%M%S')}",
        judge=False,
        workers=1,
        cancel=cancel,
        pace=IdlePace(engine.gate, 0.0, cancel),
        progress=one_case(cancel, first),
    )
    cancel, second = threading.Event(), []
    resumed = engine.evals.run(
        dataset,
        resume=run.run_id,
        judge=False,
        workers=1,
        cancel=cancel,
        pace=IdlePace(engine.gate, 0.0, cancel),
        progress=one_case(cancel, second),
    )
    done = [c["case_id"] for c in resumed.cases]
    return {
        "stopped": run.status,
        "done_before": len(run.cases),
        "done_after": len(done),
        "ok": run.status == "interrupted"
        and len(done) == len(run.cases) + 1
        and bool(second)
        and second[0] not in first,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--questions", type=Path, default=REPO / "assets/demo/questions.jsonl")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cases", type=int, default=8, help="Cases to draw without a kept set.")
    parser.add_argument("--gap", type=float, default=1.5, help="Seconds between questions.")
    args = parser.parse_args()
    os.environ["RAGTUI_HOME"] = str(args.home.resolve())
    sys.path.insert(0, str(REPO))
    from ragtui.core.engine import create_engine

    rows = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]
    questions = [str(r["question"]) for r in rows if r.get("answerable", True)]
    engine = create_engine()
    try:
        engine.warm()
        kept = engine.continuous.sets.latest()
        if kept is not None:
            dataset = kept.path
        else:
            dataset = Path(tempfile.mkdtemp()) / "bench-set.jsonl"
            engine.evals.generate(args.cases, dataset, seed=7)
        idle: list[float] = []
        busy: list[float] = []
        idle_stages: dict[str, list[float]] = {}
        busy_stages: dict[str, list[float]] = {}
        yielded = finished = 0
        _ask_all(engine, questions, 0.0)  # warm every cache the answers use alike
        for _ in range(args.rounds):
            idle += _ask_all(engine, questions, args.gap, idle_stages)
            with Background(engine, dataset) as background:
                busy += _ask_all(engine, questions, args.gap, busy_stages)
            yielded += background.pace.yielded
            finished += background.finished
        resumable = _resumable(engine, dataset)
    finally:
        engine.close()
    median_idle, median_busy = statistics.median(idle), statistics.median(busy)
    print(
        json.dumps(
            {
                "questions": len(questions),
                "rounds": args.rounds,
                "idle_ms": {"p50": round(median_idle, 1), "p95": _pct(idle, 0.95)},
                "evaluating_ms": {"p50": round(median_busy, 1), "p95": _pct(busy, 0.95)},
                "ratio": round(median_busy / median_idle, 3),
                "stages_ms": {"idle": _medians(idle_stages), "evaluating": _medians(busy_stages)},
                "target": 1.05,
                "yielded": yielded,
                "cases_finished_while_asking": finished,
                "dataset": str(dataset),
                "resumable": resumable,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
