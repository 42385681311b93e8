"""The app's link to ``ragtui serve``: standalone, or attached to the service of its data
dir, which then follows the folders, keeps the model warm and answers the questions.

Nothing here imports Textual: the app calls these from its thread workers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragtui.service import attach, protocol
from ragtui.service.attach import Found, ServiceGone, StartFailed

__all__ = ["Found", "ServeLink", "ServedAnswer", "ServiceGone", "StartFailed"]


@dataclass(frozen=True)
class ServedAnswer:
    """What the service made of a question: the answer's record (``ask --stream-json``'s
    last line) or, when it failed, its exit status and last message."""

    record: dict[str, Any] | None
    status: int
    message: str


class ServeLink:
    """Finds, starts, stops and asks through the service of one data dir."""

    def __init__(self, data_dir: Path, config_file: Path, log_file: Path) -> None:
        self.data_dir = data_dir
        self.log_file = log_file
        self.setup = protocol.setup_fingerprint(config_file)
        self.pid: int | None = None  # set while attached

    @property
    def attached(self) -> bool:
        return self.pid is not None

    def label(self) -> str:
        """One line for the status and the Stats screen."""
        return f"attached to ragtui serve, pid {self.pid}" if self.pid else "standalone"

    def may_run(self) -> bool:
        """Whether a service may run (its socket exists): cheap, no connection."""
        return protocol.socket_path(self.data_dir).exists()

    def find(self) -> Found | None:
        """The running service, if one answers."""
        return attach.probe(self.data_dir, self.setup)

    def start(self, cancel: threading.Event) -> Found:
        """The running service, or one started now (raises :class:`StartFailed`)."""
        return attach.start(self.data_dir, self.setup, self.log_file, stop=cancel)

    def stop(self) -> bool:
        """Stop the service; whether one ran."""
        self.pid = None
        return attach.stop(self.data_dir)

    def ask(
        self,
        question: str,
        conversation: int | None,
        on_token: Callable[[str], None],
        cancel: threading.Event,
    ) -> ServedAnswer | None:
        """Ask through the service (continuing ``conversation``, which it then stores the
        turn in). None: it did not take the question. Raises :class:`ServiceGone`."""
        argv = ["ask", "--stream-json"]
        if conversation is not None:
            argv += ["--conversation", str(conversation)]

        def on_line(line: dict[str, Any]) -> None:
            if "token" in line:
                on_token(str(line["token"]))

        served = attach.run(self.data_dir, self.setup, [*argv, "--", question], on_line, cancel)
        if served is None:
            return None
        final = next((line for line in served.lines if "record" in line), None)
        if served.status == 0 and final is not None:
            return ServedAnswer(final["record"], 0, "")
        said = [line for line in served.stderr.strip().splitlines() if line.strip()]
        message = said[-1].removeprefix("ragtui: ").strip() if said else ""
        return ServedAnswer(None, served.status, message or "ragtui serve could not answer.")
