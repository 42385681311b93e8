"""The answer gate: every answer holds it while it runs; background work (continuous
evaluation) waits until no answer has run for a while, and the case it has in flight is
told to stop the moment a question comes in."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

POLL_S = 0.2  # how often a waiter looks at its cancel event


class AnswerGate:
    """Counts answers in progress, remembers when the last one started or ended, and sets
    the stop events of background work when an answer starts."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._changed = threading.Condition()
        self._active = 0
        self._last = clock()  # a start counts as activity: no run the moment the app opens
        self._stops: set[threading.Event] = set()

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Hold the gate for one answer; background work in flight is told to stop."""
        with self._changed:
            self._active += 1
            self._last = self._clock()
            for stop in self._stops:
                stop.set()
            self._changed.notify_all()
        try:
            yield
        finally:
            with self._changed:
                self._active -= 1
                self._last = self._clock()
                self._changed.notify_all()

    @property
    def busy(self) -> bool:
        """Whether an answer is in progress (or waiting for the model)."""
        with self._changed:
            return self._active > 0

    def idle_s(self) -> float:
        """Seconds since the last answer started or ended (0 while one runs)."""
        with self._changed:
            return 0.0 if self._active else self._clock() - self._last

    def wait_idle(self, idle_s: float, cancel: threading.Event | None = None) -> bool:
        """Block until no answer has run for ``idle_s`` seconds; False once ``cancel`` is set."""
        with self._changed:
            while cancel is None or not cancel.is_set():
                quiet = self._clock() - self._last
                if not self._active and quiet >= idle_s:
                    return True
                wait = POLL_S if self._active else min(POLL_S, idle_s - quiet)
                self._changed.wait(max(wait, 0.001))
            return False

    @contextmanager
    def watch(self, stop: threading.Event) -> Iterator[threading.Event]:
        """Set ``stop`` when an answer starts, for as long as the block runs."""
        with self._changed:
            if self._active:
                stop.set()
            self._stops.add(stop)
        try:
            yield stop
        finally:
            with self._changed:
                self._stops.discard(stop)
