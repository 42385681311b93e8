"""Background work that gives way to questions: a thread marks the span of work that must
stop once a question comes in, and the answer pipeline's stages (search, sentence scoring,
the model's prompt reading) call :func:`checkpoint` between their steps.

A thread that is not giving way passes every checkpoint at no cost, so an answer asked by a
person never stops; a background eval case stops at the next step and is asked again at
its next turn.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ragtui.core.errors import Cancelled

_local = threading.local()


@contextmanager
def giving_way(stop: threading.Event) -> Iterator[None]:
    """Work done in this thread inside the block stops (:class:`Cancelled`) at its next
    checkpoint once ``stop`` is set."""
    previous = getattr(_local, "stop", None)
    _local.stop = stop
    try:
        yield
    finally:
        _local.stop = previous


def stop_event() -> threading.Event | None:
    """The event this thread gives way on, if any."""
    return getattr(_local, "stop", None)


def checkpoint() -> None:
    """Raise :class:`Cancelled` when this thread gives way and a question came in."""
    stop = getattr(_local, "stop", None)
    if stop is not None and stop.is_set():
        raise Cancelled("Background work gave way to a question.")
