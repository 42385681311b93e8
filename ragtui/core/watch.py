"""Live folders: watchdog observers → debounced, coalesced change batches → the indexer.

A :class:`Watcher` first reconciles the catalog with the disk (whatever changed
while ragtui was not running), then watches every registered folder. Events are
reduced to the set of paths they touch; a batch is cut when the folders have
been quiet for ``debounce_s`` (or after ``max_wait_s`` of constant activity), so
an editor's atomic save (write a temp file, rename it over the real one) and a
burst of a thousand writes each become one index run, not one per event.
"""

from __future__ import annotations

import errno
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from watchdog.events import FileSystemEvent, FileSystemEventHandler

from ragtui.config import Settings
from ragtui.core.errors import IndexLocked, RagtuiError
from ragtui.core.index.indexer import IndexReport, ProgressFn
from ragtui.core.ingest.scan import IgnoreRules

_LIMIT_ERRNOS = {errno.ENOSPC, errno.EMFILE, errno.ENFILE}


class WatchedEngine(Protocol):
    """What a watcher needs of the Engine: its folders, and syncing and compacting them."""

    @property
    def settings(self) -> Settings: ...

    @property
    def data_dir(self) -> Path: ...

    def folders(self) -> list[str]: ...

    def index(
        self,
        targets: Sequence[Path] | None = None,
        *,
        rebuild: bool = False,
        embed: bool = True,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
    ) -> IndexReport: ...

    def apply_changes(
        self,
        changed: Sequence[Path],
        *,
        cancel: threading.Event | None = None,
        progress: ProgressFn | None = None,
    ) -> IndexReport: ...

    def housekeep(self) -> bool: ...


@dataclass
class WatchStatus:
    """What the watcher is doing, for status lines and the TUI."""

    state: str = "starting"
    folders: int = 0
    batches: int = 0
    files_changed: int = 0
    pending: int = 0
    last_report: IndexReport | None = None
    polling: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


StatusFn = Callable[[WatchStatus], None]


class ChangeCollector(FileSystemEventHandler):
    """A watchdog event handler that keeps the set of touched paths, filtered by ignore rules."""

    def __init__(self, rules: IgnoreRules, data_dir: Path) -> None:
        super().__init__()
        self.rules = rules
        self.data_dir = data_dir
        self._paths: set[Path] = set()
        self._lock = threading.Lock()
        self.first_at = 0.0
        self.last_at = 0.0

    def dispatch(self, event: FileSystemEvent) -> None:
        """watchdog entry point: keep create/modify/move/delete/close-after-write events."""
        kind = event.event_type
        if kind in ("opened", "closed_no_write") or (kind == "modified" and event.is_directory):
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw:
                self._add(Path(raw if isinstance(raw, str) else bytes(raw).decode()))

    def _add(self, path: Path) -> None:
        if path == self.data_dir or self.data_dir in path.parents:
            return
        if self.rules.ignored(path):
            return
        now = time.monotonic()
        with self._lock:
            if not self._paths:
                self.first_at = now
            self._paths.add(path)
            self.last_at = now

    def pending(self) -> int:
        """Paths waiting for the next batch."""
        with self._lock:
            return len(self._paths)

    def take(self) -> set[Path]:
        """Hand over the collected paths and start a new batch."""
        with self._lock:
            paths, self._paths = self._paths, set()
            return paths

    def put_back(self, paths: set[Path]) -> None:
        """Return paths of a batch that could not run (another writer held the lock)."""
        with self._lock:
            self._paths |= paths
            self.first_at = self.last_at = time.monotonic()


class Watcher:
    """Reconcile, then follow every registered folder until cancelled."""

    def __init__(
        self,
        engine: WatchedEngine,
        debounce_s: float = 0.3,
        max_wait_s: float = 3.0,
        poll_interval_s: float = 2.0,
        housekeeping_after_s: float = 20.0,
        on_status: StatusFn | None = None,
        observer_factory: Callable[[], Any] | None = None,
        progress: ProgressFn | None = None,
    ) -> None:
        self.engine = engine
        self.debounce_s = debounce_s
        self.max_wait_s = max_wait_s
        self.poll_interval_s = poll_interval_s
        self.housekeeping_after_s = housekeeping_after_s
        self._dirty_since: float | None = None
        self.on_status = on_status
        self.progress = progress
        self.status = WatchStatus()
        self._observer_factory = observer_factory
        self._collectors: list[ChangeCollector] = []
        self._observers: list[Any] = []

    def _notify(self, state: str | None = None) -> None:
        if state is not None:
            self.status.state = state
        self.status.pending = sum(c.pending() for c in self._collectors)
        if self.on_status is not None:
            self.on_status(self.status)

    def _say(self, message: str) -> None:
        if message not in self.status.messages:
            self.status.messages.append(message)

    def start(self, cancel: threading.Event) -> None:
        """Reconcile with the disk and start the observers."""
        self._notify("reconciling")
        report = self.engine.index(cancel=cancel, progress=self.progress)
        self._record(report)
        data_dir = self.engine.data_dir.resolve()
        for folder in map(Path, self.engine.folders()):
            collector = ChangeCollector(IgnoreRules(folder, self.engine.settings.ingest), data_dir)
            self._collectors.append(collector)
            self._observers.append(self._observe(folder, collector))
        self.status.folders = len(self._collectors)
        self._notify("watching")

    def _observe(self, folder: Path, collector: ChangeCollector) -> Any:
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        observer = (self._observer_factory or Observer)()
        try:
            observer.schedule(collector, str(folder), recursive=True)
            observer.start()
            return observer
        except OSError as exc:
            if exc.errno not in _LIMIT_ERRNOS:
                raise
            _stop_quietly(observer)
        self._say(
            f"The system limit on watched folders was reached while watching {folder}: raise "
            "it with `sudo sysctl fs.inotify.max_user_watches=524288`; until then ragtui "
            f"checks {folder} for changes every {self.poll_interval_s:g} s."
        )
        self.status.polling.append(str(folder))
        poller = PollingObserver(timeout=self.poll_interval_s)
        poller.schedule(collector, str(folder), recursive=True)
        poller.start()
        return poller

    def step(self, cancel: threading.Event) -> bool:
        """Run one batch if one is due; returns whether it did."""
        now = time.monotonic()
        due: set[Path] = set()
        for collector in self._collectors:
            if not collector.pending():
                continue
            quiet = now - collector.last_at >= self.debounce_s
            overdue = now - collector.first_at >= self.max_wait_s
            if quiet or overdue:
                due |= collector.take()
        if not due:
            self._maybe_housekeep(now)
            return False
        self._notify("indexing")
        try:
            report = self.engine.apply_changes(sorted(due), cancel=cancel, progress=self.progress)
        except IndexLocked as exc:
            self._say(f"{exc} Changes wait until it is done.")
            self._collectors[0].put_back(due)
            self._notify("waiting")
            return False
        except RagtuiError as exc:
            self._say(str(exc))
            self._notify("watching")
            return False
        self._record(report)
        self._dirty_since = time.monotonic()
        self._notify("watching")
        return True

    def _maybe_housekeep(self, now: float) -> None:
        """Once folders have been quiet for a while after changes, compact the indexes."""
        if self._dirty_since is None or now - self._dirty_since < self.housekeeping_after_s:
            return
        try:
            again = self.engine.housekeep()
        except IndexLocked:
            return
        except (RagtuiError, OSError, RuntimeError) as exc:
            self._say(f"Index housekeeping failed ({exc}); it is retried after the next change.")
            again = False
        self._dirty_since = now if again else None

    def _record(self, report: IndexReport) -> None:
        changed = report.added + report.updated + report.removed
        if changed or report.failed:
            self.status.batches += 1
            self.status.files_changed += changed
        self.status.last_report = report
        for _path, error in report.errors:
            self._say(error)

    def run(self, cancel: threading.Event, tick_s: float = 0.05) -> None:
        """Start, then cut batches until ``cancel`` is set; observers stop on the way out."""
        try:
            self.start(cancel)
            while not cancel.wait(tick_s):
                self.step(cancel)
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop every observer."""
        for observer in self._observers:
            _stop_quietly(observer)
        self._observers.clear()
        self._notify("stopped")


def _stop_quietly(observer: Any) -> None:
    try:
        observer.stop()
        if observer.is_alive():
            observer.join(timeout=5)
    except RuntimeError:
        pass
