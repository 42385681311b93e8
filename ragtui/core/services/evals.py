"""Eval runs over an Engine: run a dataset, read and compare stored runs, write synthetic
cases, run the adversarial suite (``ragtui eval``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragtui.core.errors import EmptyIndex, NotFound
from ragtui.core.eval.ports import EvalEngine, OpenEngine
from ragtui.core.reports import AdversarialReport, EvalComparison, EvalRun, GeneratedCases
from ragtui.paths import DataLayout

if TYPE_CHECKING:  # the runner loads numpy and the metrics: on first use
    from ragtui.core.eval.pace import Pace
    from ragtui.core.eval.runner import EvalProgress, RunResult
    from ragtui.core.eval.runs import RunStore


class EvalService:
    """Evaluations of one engine's pipeline; ``open_engine`` opens the engines of eval
    corpora and of the adversarial suite."""

    def __init__(self, engine: EvalEngine, open_engine: OpenEngine) -> None:
        self.engine = engine
        self.open_engine = open_engine
        self.layout = DataLayout(engine.data_dir)

    def _store(self) -> RunStore:
        from ragtui.core.eval.runs import RunStore

        return RunStore(self.layout.eval_runs)

    def run(
        self,
        dataset: Path,
        *,
        name: str | None = None,
        limit: int | None = None,
        overrides: dict[str, Any] | None = None,
        resume: str | None = None,
        retrieval_only: bool = False,
        judge: bool = True,
        workers: int | None = None,
        cancel: threading.Event | None = None,
        progress: EvalProgress | None = None,
        pace: Pace | None = None,
        meta: dict[str, Any] | None = None,
    ) -> RunResult:
        """Run a dataset through the engine's pipeline and store the scored run (with a
        ``pace``, in turns that yield to questions; ``meta`` is kept in its config)."""
        from ragtui.core.eval.runner import EvalRunner

        store = self._store()
        runner = EvalRunner(
            self.engine,
            self.open_engine,
            store,
            retrieval_only=retrieval_only,
            judge=judge,
            workers=workers,
            pace=pace,
        )
        try:
            return runner.run(
                dataset,
                name=name,
                limit=limit,
                overrides=overrides,
                resume=resume,
                cancel=cancel,
                progress=progress,
                meta=meta,
            )
        finally:
            runner.close()
            store.close()

    def runs(self) -> list[EvalRun]:
        """Stored eval runs, newest first."""
        store = self._store()
        try:
            return [EvalRun.model_validate(run) for run in store.all()]
        finally:
            store.close()

    def done(self, run_id: str) -> int:
        """Cases a run has finished."""
        store = self._store()
        try:
            return len(store.done_ids(run_id))
        finally:
            store.close()

    def get(self, run: str, *, with_cases: bool = True) -> EvalRun:
        """One stored run (by id, id prefix or name), with its cases."""
        store = self._store()
        try:
            found = store.get(run)
            if found is None:
                raise NotFound(f"No eval run matches {run!r}: `ragtui eval list` shows them.")
            if with_cases:
                found["cases"] = store.cases(found["run_id"])
            return EvalRun.model_validate(found)
        finally:
            store.close()

    def compare(self, a: str, b: str, tolerance: float = 0.02) -> EvalComparison:
        """Per-metric deltas of run ``b`` against run ``a`` with paired significance."""
        from ragtui.core.eval.compare import compare

        first, second = self.get(a), self.get(b)
        return compare(first.ref(), first.cases or [], second.ref(), second.cases or [], tolerance)

    def generate(
        self,
        count: int,
        out: Path,
        seed: int = 0,
        progress: Callable[[int, int], None] | None = None,
        pace: Pace | None = None,
    ) -> GeneratedCases:
        """Write ``count`` synthetic cases from the index (a question per sampled chunk;
        with a ``pace``, each model call waits for its turn and yields to questions)."""
        from ragtui.core.eval.dataset import write_cases
        from ragtui.core.eval.questions import generate_cases

        catalog = self.engine.store.catalog
        if not catalog.chunk_counts()[0]:
            raise EmptyIndex(
                "Nothing is indexed yet: run `ragtui add PATH` and `ragtui index` "
                "first, then generate cases from it."
            )
        rows = list(catalog.all_chunks())
        paths = catalog.paths_for_hashes(c.hash for c in rows)
        chunks = [(c.chunk_id, paths[c.hash][0], c.text) for c in rows if paths.get(c.hash)]
        cases, report = generate_cases(chunks, self.engine.backend(), count, seed, progress, pace)
        write_cases(out, cases)
        return GeneratedCases(**report, out=str(out))

    def adversarial(self) -> AdversarialReport:
        """Run the adversarial suite in its own index; defense rate per attack type."""
        from ragtui.core.eval.adversarial import run_adversarial

        found = run_adversarial(self.engine, self.open_engine, self.layout.evals / "adversarial")
        return AdversarialReport.model_validate(found)
