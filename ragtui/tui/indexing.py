"""The app's one writer: index the registered folders with progress, then follow their edits.

:class:`IndexService` runs in a Textual thread worker for the whole session. Each
cycle builds a :class:`~ragtui.core.watch.Watcher` (which reconciles the folders
with the disk, then watches them) and runs it until the cycle is cancelled:
adding or removing a folder, "index now" and "stop" all cancel the current
cycle through its ``threading.Event``. Jobs that write the index (removing a
folder) run on the same thread between cycles, so the app never competes with
itself for the writer lock.

The UI reads the state (progress, watcher status, recent events, notices)
from a timer; nothing here imports Textual.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from ragtui.core.api import (
    EngineApi,
    IndexLocked,
    IndexReport,
    Progress,
    RagtuiError,
    Watcher,
    WatchStatus,
)

log = logging.getLogger(__name__)

_RETRY_LOCKED_S = 5.0


@dataclass(frozen=True)
class ProgressView:
    """One progress report with its rate and time left."""

    phase: str
    done: int
    total: int
    item: str
    rate: float  # items per second in this phase
    eta_s: float | None

    @property
    def fraction(self) -> float:
        """How much of the phase is done (0 to 1)."""
        return self.done / self.total if self.total else 0.0


@dataclass(frozen=True)
class Notice:
    """A message for the user: one sentence and how serious it is."""

    message: str
    severity: str = "information"  # information, warning or error


class IndexService:
    """Index-and-watch loop plus the state the library screen shows."""

    def __init__(
        self,
        engine: EngineApi,
        debounce_s: float = 0.3,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.debounce_s = debounce_s
        self.clock = clock
        self.state = "starting"
        self.paused = False
        self.version = 0  # bumped by every change the UI may want to show
        self.files_version = 0  # bumped when the file table may have changed
        self.events: deque[str] = deque(maxlen=200)
        self.finished = threading.Event()
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._wake = threading.Event()
        self._quit = False
        self._jobs: deque[tuple[str, Callable[[], str | None]]] = deque()
        self._notices: deque[Notice] = deque()
        self._progress: Progress | None = None
        self.progress_reports = 0  # progress callbacks received (a fast sync may end unseen)
        self._phase: tuple[str, float, int] | None = None  # phase, started, done at start
        self._status: WatchStatus | None = None
        self._last_report: IndexReport | None = None
        self._seen_messages: set[str] = set()
        self._synced = False  # the current cycle's first report (the full sync) is in

    # control (any thread) -----------------------------------------------------------
    def reindex(self) -> None:
        """Index now (also resumes after a stop) and keep watching."""
        self.paused = False
        self._cancel.set()
        self._wake.set()

    def stop(self) -> None:
        """Stop indexing at the next safe point and stop watching until :meth:`reindex`."""
        self.paused = True
        self._cancel.set()
        self._wake.set()

    def submit(self, label: str, job: Callable[[], str | None]) -> None:
        """Run ``job`` on the writer thread between cycles (its return value is a notice)."""
        with self._lock:
            self._jobs.append((label, job))
        self._cancel.set()
        self._wake.set()

    def quit(self) -> None:
        """End the loop (the app is closing)."""
        self._quit = True
        self._cancel.set()
        self._wake.set()

    # state (any thread) ---------------------------------------------------------------
    def progress(self) -> ProgressView | None:
        """The current phase's progress with files (or chunks) per second and time left."""
        with self._lock:
            p, phase = self._progress, self._phase
        if p is None or phase is None:
            return None
        elapsed = max(self.clock() - phase[1], 1e-6)
        rate = max(p.done - phase[2], 0) / elapsed
        eta = (p.total - p.done) / rate if rate > 0 and p.total >= p.done else None
        return ProgressView(p.phase, p.done, p.total, p.item, rate, eta)

    def busy(self) -> bool:
        """Whether an index run is going on."""
        return self.state in ("reconciling", "indexing")

    def take_notices(self) -> list[Notice]:
        """Messages for the user since the last call."""
        with self._lock:
            notices = list(self._notices)
            self._notices.clear()
        return notices

    def watch_status(self) -> WatchStatus | None:
        """The watcher's last status."""
        return self._status

    # the loop (worker thread) ---------------------------------------------------------
    def run(self) -> None:
        """Cycles of index-then-watch until :meth:`quit`."""
        try:
            while not self._quit:
                self._wake.clear()
                self._cancel = threading.Event()
                if self._run_jobs():
                    continue
                if self.paused or not self.engine.folders():
                    self._set_state("paused" if self.paused else "idle")
                    self._wake.wait()
                    continue
                self._cycle()
        finally:
            self._set_state("stopped")
            self.finished.set()

    def _run_jobs(self) -> bool:
        ran = False
        while True:
            with self._lock:
                if not self._jobs:
                    return ran
                label, job = self._jobs.popleft()
            ran = True
            try:
                message = job()
            except RagtuiError as exc:
                self._notice(str(exc), "error")
            except Exception as exc:  # pragma: no cover - a bug: keep the app alive
                log.exception("%s failed", label)
                self._notice(f"{label} failed ({type(exc).__name__}: {exc}).", "error")
            else:
                if message:
                    self._notice(message)
                    self._event(message)
            self.files_version += 1

    def _cycle(self) -> None:
        cancel = self._cancel
        self._synced = False
        watcher = Watcher(
            self.engine,
            debounce_s=self.debounce_s,
            on_status=self._on_status,
            progress=self._on_progress,
        )
        try:
            watcher.run(cancel)
        except IndexLocked as exc:
            self._notice(f"{exc} ragtui tries again in {_RETRY_LOCKED_S:g} s.", "warning")
            self._set_state("waiting")
            self._wake.wait(_RETRY_LOCKED_S)
        except RagtuiError as exc:
            self._notice(str(exc), "error")
            self.paused = True
        except Exception as exc:  # pragma: no cover - a bug: keep the app alive
            log.exception("indexing failed")
            self._notice(f"Indexing failed ({type(exc).__name__}: {exc}).", "error")
            self.paused = True
        finally:
            with self._lock:
                self._progress = None
                self._phase = None
            self.files_version += 1
            self.version += 1

    # callbacks from the watcher and the indexer (worker thread) ----------------------
    def _on_progress(self, p: Progress) -> None:
        with self._lock:
            if self._phase is None or self._phase[0] != p.phase or p.done < self._phase[2]:
                self._phase = (p.phase, self.clock(), p.done)
            self._progress = p
            self.progress_reports += 1
        self.version += 1

    def _on_status(self, status: WatchStatus) -> None:
        self._status = status
        for message in status.messages:
            if message not in self._seen_messages:
                self._seen_messages.add(message)
                self._notice(message, "warning")
                self._event(message)
        report = status.last_report
        if report is not None and report is not self._last_report:
            self._last_report = report
            self._event(_describe(report, full=not self._synced))
            self._synced = True
            self.files_version += 1
        if status.state in ("watching", "stopped"):
            with self._lock:
                self._progress = None
                self._phase = None
        self._set_state(status.state)

    # helpers ----------------------------------------------------------------------------
    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
        self.version += 1

    def _notice(self, message: str, severity: str = "information") -> None:
        with self._lock:
            self._notices.append(Notice(message, severity))
        self.version += 1

    def _event(self, text: str) -> None:
        self.events.appendleft(f"{time.strftime('%H:%M:%S')}  {text}")
        self.version += 1


def _describe(report: IndexReport, full: bool) -> str:
    """One line for the event log."""
    what = "sync" if full else "change"
    parts = [f"{what}: +{report.added} ~{report.updated} -{report.removed}"]
    if report.failed:
        parts.append(f"{report.failed} failed")
    if report.embedded:
        parts.append(f"{report.embedded} chunks embedded")
    if report.cancelled:
        parts.append("stopped")
    parts.append(f"{report.seconds:.2f} s")
    return " · ".join(parts)
