"""The log file, ``logs/ragtui.log`` in the data dir: rotated, readable by its owner only.

The CLI and the app each call :func:`start` once per process; it records the ragtui
version and the command, never its arguments (they may be a question). Records from
every ``ragtui.*`` logger at INFO and above go to the file; the core only logs.
"""

from __future__ import annotations

import logging
import os
from io import TextIOWrapper
from logging.handlers import RotatingFileHandler
from pathlib import Path

from ragtui import __version__, paths

LOGGER = "ragtui"
MAX_BYTES = 1024 * 1024
BACKUPS = 3
_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"

log = logging.getLogger(LOGGER)


class PrivateLogFile(RotatingFileHandler):
    """A rotating log file created 0600 (each rotated file too)."""

    def _open(self) -> TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


def start(command: str, *, warnings_to_stderr: bool = False) -> Path:
    """Send ragtui's log records to the log file and record the version and ``command``.

    ``warnings_to_stderr`` also prints warnings and errors on stderr, as Python does when
    no handler is configured (the CLI keeps that; the app owns the terminal).
    """
    path = configure(warnings_to_stderr=warnings_to_stderr)
    log.info("ragtui %s, command: %s", __version__, command)
    return path


def configure(*, warnings_to_stderr: bool = False) -> Path:
    """Attach the log file of the current data dir (once per process and data dir)."""
    path = paths.log_file()
    log.setLevel(logging.INFO)
    current = [h for h in log.handlers if isinstance(h, PrivateLogFile)]
    if not current or current[0].baseFilename != str(path):
        for handler in current:
            log.removeHandler(handler)
            handler.close()
        _attach(path)
    stderr = logging.lastResort
    if stderr is not None and warnings_to_stderr != (stderr in log.handlers):
        (log.addHandler if warnings_to_stderr else log.removeHandler)(stderr)
    return path


def _attach(path: Path) -> None:
    from ragtui.core.errors import RagtuiError
    from ragtui.core.privacy import open_private

    try:
        open_private(path.parent, "The log folder")
        handler = PrivateLogFile(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", errors="replace"
        )
    except (OSError, RagtuiError):
        return  # an unusable data dir: the command itself ends in a sentence naming it
    handler.setFormatter(logging.Formatter(_FORMAT))
    log.addHandler(handler)
