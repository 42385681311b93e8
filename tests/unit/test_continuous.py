"""Continuous evaluation with fakes: the due decision, the versioned eval set, the answer
gate, and an eval run that yields to questions, stops on cancel and resumes."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ragtui.config import Settings
from ragtui.core.errors import Cancelled
from ragtui.core.eval.dataset import EvalCase, write_cases
from ragtui.core.eval.due import LastRun, SetState, decide
from ragtui.core.eval.evalset import EvalSets
from ragtui.core.eval.fingerprint import (
    answer_fingerprint,
    changed_share,
    corpus_digest,
    describe_change,
)
from ragtui.core.eval.pace import IdlePace
from ragtui.core.eval.runner import EvalRunner
from ragtui.core.eval.runs import RunStore
from ragtui.core.gate import AnswerGate

FILES = {f"/docs/{i}.md": f"h{i}" for i in range(10)}
PRINT = answer_fingerprint(Settings(), "qa@1")


def _last(**change: Any) -> LastRun:
    base: dict[str, Any] = {
        "name": "continuous-set@1-x",
        "run_id": "r1",
        "status": "complete",
        "fingerprint": PRINT,
        "set_version": 1,
        "files": FILES,
        "done": 20,
        "total": 20,
    }
    return LastRun(**(base | change))


# the decision ----------------------------------------------------------------------------
def test_nothing_indexed_is_never_due() -> None:
    due = decide(PRINT, {}, None, None, 0.2)
    assert not due.due and due.reason == "nothing is indexed yet"


def test_no_set_draws_one_and_a_big_corpus_change_draws_a_new_version() -> None:
    first = decide(PRINT, FILES, None, None, 0.2)
    assert first.due and first.regenerate and "no eval set yet" in first.reason
    moved = dict(FILES) | {"/docs/0.md": "new", "/docs/1.md": "new", "/docs/new.md": "x"}
    due = decide(PRINT, moved, SetState(1, FILES), _last(), 0.2)
    assert due.due and due.regenerate
    assert due.reason.startswith("30 % of the indexed files changed since set@1")
    small = dict(FILES) | {"/docs/0.md": "new"}  # 10 %: under the share
    assert not decide(PRINT, small, SetState(1, FILES), _last(), 0.2).due


def test_a_new_set_or_no_run_is_due() -> None:
    assert (
        "set@1 has no continuous run yet"
        in decide(PRINT, FILES, SetState(1, FILES), None, 0.2).reason
    )
    due = decide(PRINT, FILES, SetState(2, FILES), _last(), 0.2)
    assert due.due and not due.regenerate and "set@2 is newer than run" in due.reason


@pytest.mark.parametrize(
    ("update", "named"),
    [
        ({"llm": {"model": "qwen2.5-0.5b-instruct-q4_k_m"}}, "llm.model"),
        ({"embedding": {"model": "bge-small-en-v1.5"}}, "embedding.model"),
        ({"retrieval": {"mode": "bm25"}}, "retrieval.mode hybrid → bm25"),
        ({"answer": {"k": 5}}, "answer.k 3 → 5"),
    ],
)
def test_a_setting_that_decides_answers_makes_a_run_due(update: dict[str, Any], named: str) -> None:
    now = answer_fingerprint(Settings(**update), "qa@1")
    due = decide(now, FILES, SetState(1, FILES), _last(), 0.2)
    assert due.due and not due.resume and named in due.reason, due.reason


def test_the_prompt_version_and_not_the_cache_decide() -> None:
    assert (
        "prompt qa@1 → qa@2"
        in decide(
            answer_fingerprint(Settings(), "qa@2"), FILES, SetState(1, FILES), _last(), 0.2
        ).reason
    )
    cached = answer_fingerprint(Settings(answer={"cache": False, "cache_mb": 9}), "qa@1")
    assert cached == PRINT


def test_an_interrupted_run_resumes_and_a_quiet_one_is_not_due() -> None:
    due = decide(PRINT, FILES, SetState(1, FILES), _last(status="interrupted", done=7), 0.2)
    assert due.due and due.resume == "r1" and "stopped at 7/20 cases" in due.reason
    quiet = decide(PRINT, FILES, SetState(1, FILES), _last(), 0.2)
    assert not quiet.due and "nothing that decides answers changed" in quiet.reason


def test_corpus_change_since_the_last_run_counts_too() -> None:
    before = {p: h for p, h in FILES.items() if p != "/docs/9.md"}
    drawn = SetState(1, FILES)
    moved = dict(FILES) | {"/docs/0.md": "z", "/docs/1.md": "z"}
    last = _last(files=before)  # the run saw 9 files; 3 moved since (1 new, 2 edited)
    assert changed_share(before, moved) == pytest.approx(3 / 9)
    due = (
        decide(moved, moved, drawn, last, 0.5) if False else decide(PRINT, moved, drawn, last, 0.3)
    )
    assert due.due and "33 % of the indexed files changed since run" in due.reason


def test_change_description_names_keys_and_counts_the_rest() -> None:
    before = {"a": 1, "b": "x", "c": None, "d": 1, "e": 1}
    now = {"a": 2, "b": "y", "c": "set", "d": 2, "e": 1}
    assert describe_change(before, now) == "a 1 → 2, b x → y, c unset → set and 1 more"
    assert changed_share({}, {}) == 0.0 and changed_share({}, {"a": "1"}) == 1.0
    assert corpus_digest({"a": "1"}) == corpus_digest({"a": "1"}) != corpus_digest({"a": "2"})


# the versioned set -----------------------------------------------------------------------
def _draw(sets: EvalSets, files: dict[str, str], question: str) -> int:
    version = sets.next_version()
    write_cases(sets.draft(version), [EvalCase(id="c1", question=question)])
    sets.keep(version, files, 1, {"written": 1})
    return version


def test_a_new_version_is_written_beside_the_old_one(tmp_path: Path) -> None:
    sets = EvalSets(tmp_path / "continuous")
    assert sets.latest() is None and sets.next_version() == 1
    assert _draw(sets, FILES, "What is one?") == 1
    moved = dict(FILES) | {"/docs/0.md": "new"}
    assert _draw(sets, moved, "What is two?") == 2
    assert [s.version for s in sets.versions()] == [1, 2]
    one, two = sets.versions()
    assert "What is one?" in one.path.read_text() and "What is two?" in two.path.read_text()
    assert sets.corpus(one.corpus) == FILES and sets.corpus(two.corpus) == moved
    sets.draft(3).write_text("half written")  # a draw cut short is not a version
    assert sets.latest() == two


# the gate and the pace -------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_gate_waits_for_quiet_and_a_cancel_ends_the_wait() -> None:
    clock = Clock()
    gate = AnswerGate(clock)
    assert not gate.wait_idle(0.0, _set_event()) and gate.wait_idle(0.0)
    with gate.answering():
        assert gate.busy and gate.idle_s() == 0.0
    clock.now += 30
    assert gate.idle_s() == 30 and gate.wait_idle(30)
    cancel = threading.Event()
    waiting = threading.Thread(target=lambda: gate.wait_idle(3600, cancel))
    waiting.start()
    cancel.set()
    waiting.join(timeout=2)
    assert not waiting.is_alive()


def _set_event() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


class FakeCases:
    """Stands in for asking a case: a 'generation' of steps that stops when told to."""

    def __init__(self, gate: AnswerGate, steps: int = 20) -> None:
        self.gate = gate
        self.steps = steps
        self.attempts: list[str] = []
        self.steps_while_answering = 0

    def __call__(
        self, dataset: Path, case: EvalCase, run_id: str, stop: threading.Event | None
    ) -> dict[str, Any]:
        self.attempts.append(case.id)
        for _ in range(self.steps):
            if stop is not None and stop.is_set():
                raise Cancelled("stopped")
            if self.gate.busy:
                self.steps_while_answering += 1
            time.sleep(0.005)
        return {"case_id": case.id, "question": case.question, "metrics": {"ndcg@10": 1.0}}


def _runner(tmp_path: Path, pace: IdlePace | None, cases: FakeCases) -> EvalRunner:
    engine = SimpleNamespace(settings=Settings(), data_dir=tmp_path, tracing=None)
    opened = SimpleNamespace(close=lambda: None)
    runner = EvalRunner(
        engine,  # type: ignore[arg-type]
        lambda *_: opened,  # type: ignore[arg-type,return-value]
        RunStore(tmp_path / "runs.sqlite"),
        judge=False,
        workers=1,
        pace=pace,
    )
    runner._run_case = cases  # type: ignore[method-assign]
    return runner


def test_an_answer_stops_the_case_in_flight_which_runs_again_once_quiet(tmp_path: Path) -> None:
    gate = AnswerGate()
    cases = FakeCases(gate, steps=400)
    runner = _runner(tmp_path, IdlePace(gate, 0.05), cases)
    done: list[dict[str, Any]] = []
    case = EvalCase(id="c1", question="q?")
    worker = threading.Thread(target=lambda: done.append(runner.run_case(tmp_path, case, "r")))
    with gate.answering():
        time.sleep(0.01)  # the case would start now, but the gate is held
    time.sleep(0.1)  # idle again: the case starts
    with gate.answering():
        pass
    worker.start()
    while len(cases.attempts) < 1:
        time.sleep(0.005)
    with gate.answering():  # a question comes in mid-case
        time.sleep(0.2)
    worker.join(timeout=10)
    assert done and done[0]["case_id"] == "c1"
    assert cases.attempts == ["c1", "c1"]  # stopped once, asked again
    assert cases.steps_while_answering <= 1  # it yielded within a step
    assert runner.pace is not None and runner.pace.yielded == 1  # type: ignore[attr-defined]


def test_no_case_starts_while_an_answer_runs(tmp_path: Path) -> None:
    gate = AnswerGate()
    runner = _runner(tmp_path, IdlePace(gate, 0.0), FakeCases(gate))
    started: list[bool] = []
    with gate.answering():
        probe = threading.Thread(target=lambda: started.append(runner._may_start(None)))
        probe.start()
        probe.join(timeout=0.3)
        assert probe.is_alive() and not started  # waits for its turn
    probe.join(timeout=2)
    assert started == [True]


def test_a_cancelled_run_stops_and_resumes_where_it_stopped(tmp_path: Path) -> None:
    dataset = tmp_path / "set@1.jsonl"
    write_cases(dataset, [EvalCase(id=f"c{i}", question=f"question {i}?") for i in range(5)])
    gate = AnswerGate()
    cancel = threading.Event()
    cases = FakeCases(gate, steps=2)
    runner = _runner(tmp_path, IdlePace(gate, 0.0, cancel), cases)

    def progress(done: int, total: int, case_id: str) -> None:
        if done == 2:
            cancel.set()

    first = runner.run(
        dataset, name="continuous-t", cancel=cancel, progress=progress, meta={"reason": "test"}
    )
    assert first.status == "interrupted" and len(first.cases) == 2
    assert runner.store.get(first.run_id)["config"]["continuous"] == {"reason": "test"}  # type: ignore[index]
    again = FakeCases(gate, steps=2)
    runner = _runner(tmp_path, IdlePace(gate, 0.0, threading.Event()), again)
    second = runner.run(dataset, resume=first.run_id, meta={"reason": "test"})
    assert second.status == "complete" and second.run_id == first.run_id
    assert again.attempts == ["c2", "c3", "c4"]  # only what was left
    assert [c["case_id"] for c in second.cases] == [f"c{i}" for i in range(5)]


def test_a_cancel_stops_the_case_in_flight_too(tmp_path: Path) -> None:
    gate = AnswerGate()
    cancel = threading.Event()
    cases = FakeCases(gate, steps=1000)
    runner = _runner(tmp_path, IdlePace(gate, 0.0, cancel), cases)
    threading.Timer(0.05, cancel.set).start()
    with pytest.raises(Cancelled):
        runner.run_case(tmp_path, EvalCase(id="c1", question="q?"), "r")
    assert cases.attempts == ["c1"]
