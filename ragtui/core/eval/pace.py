"""How background eval work yields to questions: it waits for its turn before every model
call, and the call in flight is stopped (and done again later) when a question comes in."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from ragtui.core.gate import AnswerGate


class Pace(Protocol):
    """Turns for background work."""

    @property
    def cancelled(self) -> bool: ...

    def wait_turn(self) -> bool:
        """Block until background work may go on; False once it is cancelled."""
        ...

    def step(self) -> AbstractContextManager[threading.Event]:
        """A context for one model call: the event is set when it must stop."""
        ...


class _Stop(threading.Event):
    """Set by the next answer, and reads as set once the work is cancelled."""

    def __init__(self, cancel: threading.Event | None) -> None:
        super().__init__()
        self._cancel = cancel

    def is_set(self) -> bool:
        return super().is_set() or (self._cancel is not None and self._cancel.is_set())


class IdlePace:
    """Turns when no answer has run for ``idle_s`` seconds on ``gate``."""

    def __init__(
        self, gate: AnswerGate, idle_s: float, cancel: threading.Event | None = None
    ) -> None:
        self.gate = gate
        self.idle_s = idle_s
        self.cancel = cancel
        self.yielded = 0  # model calls stopped for a question

    @property
    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def wait_turn(self) -> bool:
        return self.gate.wait_idle(self.idle_s, self.cancel)

    @contextmanager
    def step(self) -> Iterator[threading.Event]:
        stop = _Stop(self.cancel)
        with self.gate.watch(stop):
            yield stop
        if threading.Event.is_set(stop):
            self.yielded += 1
