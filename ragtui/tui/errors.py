"""The app's one path for errors a worker did not handle.

A :class:`~ragtui.core.errors.RagtuiError` is shown as its one sentence; anything else
is a bug: its traceback goes to the log file and a notification names that file.
"""

from __future__ import annotations

import logging
from typing import Any

from textual.app import App
from textual.worker import Worker, WorkerState

from ragtui import paths
from ragtui.core.api import RagtuiError

log = logging.getLogger(__name__)


def worker_failed(app: App[Any], event: Worker.StateChanged) -> None:
    """Report a worker that ended in error (other states pass through)."""
    error = event.worker.error
    if event.state != WorkerState.ERROR or error is None:
        return
    if isinstance(error, RagtuiError):
        app.notify(str(error), severity="error", timeout=8, markup=False)
        return
    log.error("worker %r failed", event.worker.name, exc_info=error)
    app.notify(
        f"Something went wrong ({type(error).__name__}: {error}). The details are "
        f"in {paths.log_file()}.",
        title="Unexpected error",
        severity="error",
        timeout=12,
        markup=False,
    )
