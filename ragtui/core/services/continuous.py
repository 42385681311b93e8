"""Continuous evaluation: a kept eval set drawn from the user's own index, re-run at idle
time when what decides answers or enough of the corpus changed (``ragtui eval
continuous``, the app and ``ragtui serve``).

A run waits for ``eval.continuous_idle_s`` seconds without a question before each case,
and the case in flight stops the moment a question comes in (it is asked again at the
next turn). A cancelled run is resumed where it stopped. Runs are ordinary eval runs
named ``continuous-set@N-…`` whose config keeps the reason and the fingerprint.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ragtui.config import EvalSettings
from ragtui.core.errors import Cancelled, PathProblem, RagtuiError
from ragtui.core.eval.due import Due, LastRun, SetState, decide
from ragtui.core.eval.evalset import EvalSet, EvalSets
from ragtui.core.eval.fingerprint import answer_fingerprint
from ragtui.core.eval.pace import IdlePace
from ragtui.core.gate import AnswerGate
from ragtui.core.index.catalog import INDEXED
from ragtui.core.reports import (
    ContinuousOutcome,
    ContinuousRun,
    ContinuousStatus,
    ContinuousTrend,
    EvalRun,
)

if TYPE_CHECKING:
    from ragtui.core.eval.runner import EvalProgress
    from ragtui.core.services.evals import EvalService

log = logging.getLogger("ragtui")
CHECK_S = 60.0  # when nothing is due, how often the background loop looks again
RETRY_S = 600.0  # after a failed turn (no model, say), how long it waits
HISTORY = 20  # continuous runs the status and the trend show


class ContinuousService:
    """Decides, draws and runs continuous evaluations over one engine's eval service."""

    def __init__(self, evals: EvalService, gate: AnswerGate) -> None:
        self.evals = evals
        self.gate = gate
        self.sets = EvalSets(evals.layout.evals / "continuous")

    @property
    def settings(self) -> EvalSettings:
        """The ``[eval]`` settings."""
        return self.evals.engine.settings.eval

    @property
    def enabled(self) -> bool:
        """Whether the app and ``ragtui serve`` run it in the background."""
        return self.settings.continuous

    # the decision --------------------------------------------------------------------
    def fingerprint(self) -> dict[str, Any]:
        """Every setting an answer depends on, the prompt resolved to its version."""
        from ragtui.core import prompts

        cfg = self.evals.engine.settings
        prompt = prompts.load(cfg.answer.prompt, cfg.answer.prompt_version).id
        return answer_fingerprint(cfg, prompt)

    def files(self) -> dict[str, str]:
        """Indexed files and their content hashes."""
        catalog = self.evals.engine.store.catalog
        return {f.path: f.hash for f in catalog.all_files() if f.hash and f.status == INDEXED}

    def history(self) -> list[ContinuousRun]:
        """Continuous runs, newest first."""
        runs = [r for r in self.evals.runs() if r.config.get("continuous")][:HISTORY]
        return [self._listed(r) for r in runs]

    def due(self) -> Due:
        """Whether a run is due now, and why."""
        latest = self.sets.latest()
        eval_set = None
        if latest is not None:
            eval_set = SetState(latest.version, self.sets.corpus(latest.corpus) or {})
        return decide(
            self.fingerprint(),
            self.files(),
            eval_set,
            self._last(),
            self.settings.continuous_change_share,
        )

    def status(self) -> ContinuousStatus:
        """The decision, the settings, the newest set and the runs."""
        due = self.due()
        latest = self.sets.latest()
        cfg = self.settings
        return ContinuousStatus(
            enabled=cfg.continuous,
            due=due.due,
            reason=due.reason,
            regenerate=due.regenerate,
            resume=due.resume,
            idle_s=cfg.continuous_idle_s,
            cases=cfg.continuous_cases,
            change_share=cfg.continuous_change_share,
            eval_set=latest.as_json() if latest else None,
            runs=self.history(),
        )

    def trend(self) -> ContinuousTrend:
        """The runs oldest first and the newest complete one against the one before."""
        runs = self.history()
        complete = [r for r in runs if r.status == "complete"]
        comparison = None
        if len(complete) >= 2:
            comparison = self.evals.compare(complete[1].run_id, complete[0].run_id)
        return ContinuousTrend(
            runs=runs[::-1],
            comparison=comparison,
            regressions=comparison.regressions if comparison else [],
        )

    # a turn --------------------------------------------------------------------------
    def run(
        self,
        cancel: threading.Event | None = None,
        *,
        idle_s: float | None = None,
        progress: EvalProgress | None = None,
    ) -> ContinuousOutcome:
        """Draw a set if one is due and run (or resume) it, yielding to questions; ``idle_s``
        (default ``eval.continuous_idle_s``) is the quiet before each case."""
        wait = self.settings.continuous_idle_s if idle_s is None else idle_s
        pace = IdlePace(self.gate, wait, cancel)
        with self._turn() as mine:
            if not mine:
                return _outcome("busy", "another ragtui process runs continuous evaluation")
            due = self.due()
            if not due.due:
                return _outcome("not due", due.reason)
            latest = self.sets.latest()
            files = self.files()
            if due.regenerate or latest is None:
                drawn = self._draw(files, pace)
                if isinstance(drawn, str):
                    return _outcome(drawn, due.reason)
                latest = drawn
            try:
                return self._run(latest, due, files, pace, progress)
            except Cancelled:
                return _outcome("interrupted", due.reason, set_version=latest.version)

    def loop(
        self,
        cancel: threading.Event,
        on_outcome: Callable[[ContinuousOutcome], None] | None = None,
    ) -> None:
        """Until ``cancel``: wait for idle time, run what is due, look again later."""
        while self.gate.wait_idle(self.settings.continuous_idle_s, cancel):
            pause = CHECK_S
            try:
                outcome = self.run(cancel)
            except (RagtuiError, OSError) as exc:
                log.warning("continuous evaluation: %s", exc)
                pause = RETRY_S
            else:
                if outcome.status not in ("not due", "busy") and on_outcome is not None:
                    on_outcome(outcome)
                if outcome.status == "empty":
                    pause = RETRY_S
            if cancel.wait(pause):
                return

    def _draw(self, files: dict[str, str], pace: IdlePace) -> EvalSet | str:
        """A new set version from the index (``interrupted`` or ``empty`` when none)."""
        version = self.sets.next_version()
        draft = self.sets.draft(version)
        report = self.evals.generate(self.settings.continuous_cases, draft, seed=version, pace=pace)
        if pace.cancelled:
            draft.unlink(missing_ok=True)
            return "interrupted"
        if not report.written:
            draft.unlink(missing_ok=True)
            return "empty"
        found = report.as_json()
        found.pop("out")
        return self.sets.keep(version, files, report.written, found)

    def _run(
        self,
        eval_set: EvalSet,
        due: Due,
        files: dict[str, str],
        pace: IdlePace,
        progress: EvalProgress | None,
    ) -> ContinuousOutcome:
        meta: dict[str, Any] = {
            "reason": due.reason,
            "fingerprint": self.fingerprint(),
            "set_version": eval_set.version,
            "corpus": self.sets.save_corpus(files),
        }
        resume = due.resume
        if resume is not None:
            meta = dict(self.evals.get(resume, with_cases=False).config["continuous"])
        options: dict[str, Any] = {
            "judge": self.settings.continuous_judge,
            "workers": 1,
            "cancel": pace.cancel,
            "progress": progress,
            "pace": pace,
        }
        name = f"continuous-set@{eval_set.version}-{time.strftime('%Y%m%d-%H%M%S')}"
        try:
            result = self.evals.run(eval_set.path, name=name, resume=resume, meta=meta, **options)
        except PathProblem:
            if resume is None:
                raise
            meta |= {"reason": due.reason, "corpus": self.sets.save_corpus(files)}
            result = self.evals.run(eval_set.path, name=name, meta=meta, **options)
        return ContinuousOutcome(
            status=result.status,
            reason=str(meta["reason"]),
            run_id=result.run_id,
            name=result.name,
            set_version=eval_set.version,
            yielded=pace.yielded,
            metrics={k: v["mean"] for k, v in result.metrics.items()},
        )

    def _last(self) -> LastRun | None:
        runs = [r for r in self.evals.runs() if r.config.get("continuous")]
        if not runs:
            return None
        run = runs[0]
        meta = run.config["continuous"]
        return LastRun(
            name=run.name,
            run_id=run.run_id,
            status=run.status,
            fingerprint=meta.get("fingerprint", {}),
            set_version=int(meta.get("set_version", 0)),
            files=self.sets.corpus(str(meta.get("corpus", ""))),
            done=self.evals.done(run.run_id),
            total=run.total,
        )

    def _listed(self, run: EvalRun) -> ContinuousRun:
        meta = run.config["continuous"]
        return ContinuousRun(
            run_id=run.run_id,
            name=run.name,
            created=run.created,
            status=run.status,
            reason=str(meta.get("reason", "")),
            set_version=int(meta.get("set_version", 0)),
            done=self.evals.done(run.run_id),
            total=run.total,
            metrics={k: v.mean for k, v in run.metrics.items()},
        )

    @contextmanager
    def _turn(self) -> Iterator[bool]:
        """One turn at a time per data dir (the app and ``ragtui serve`` may both run)."""
        self.sets.root.mkdir(parents=True, exist_ok=True)
        with open(self.sets.root / "run.lock", "a+") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def _outcome(status: str, reason: str, set_version: int | None = None) -> ContinuousOutcome:
    return ContinuousOutcome(
        status=status,
        reason=reason,
        run_id=None,
        name=None,
        set_version=set_version,
        yielded=0,
        metrics={},
    )
