"""The circuit breaker: remembers on disk, across processes, that a model failed."""

from __future__ import annotations

import json
import time
from pathlib import Path


class Breaker:
    """Remembers (on disk, across processes) that the model failed, for a while."""

    def __init__(self, path: Path, seconds: float) -> None:
        self.path = path
        self.seconds = seconds

    def open_reason(self) -> str | None:
        """Why the model is being skipped, or None if it may be tried."""
        if self.seconds <= 0:
            return None
        try:
            state = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        if time.time() < float(state.get("until", 0)):
            return str(state.get("reason", "it failed recently"))
        return None

    def trip(self, reason: str) -> None:
        """Skip the model for ``seconds``."""
        if self.seconds <= 0:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({"until": time.time() + self.seconds, "reason": reason}))

    def reset(self) -> None:
        """The model worked: close the breaker."""
        self.path.unlink(missing_ok=True)
