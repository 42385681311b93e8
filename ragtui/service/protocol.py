"""What the service and its clients share: where the socket is, what a request carries,
and the framing (one JSON object per line, both ways).

A client sends one request line ``{"argv", "tty", "setup"}``; the service answers
``{"ok": true, "pid"}`` (or ``{"ok": false, "why"}``: run the command in-process), then
output frames ``{"fd": 1|2, "text"}`` and finally ``{"exit": status}``. A later line
``{"cancel": true}`` from the client asks the command to stop at its next safe point.
A control request ``{"control": "status"|"stop"}`` is answered by one frame with the
service's state; a status request carrying ``setup`` also learns whether the service would
take that client's commands (``"refused"``: why not, empty when it would).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

#: Commands the service runs: they read the index (or the traces) and gain from a warm
#: process. The rest, and any taking a path (relative to the caller's folder), run in
#: the caller's process.
SERVED = ("ask", "search", "stats", "folders", "traces list", "traces show", "traces last")
SOCKET_NAME = "serve.sock"
LOCK_NAME = "serve.lock"
_MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes on Linux, fewer elsewhere


def socket_path(data_dir: Path) -> Path:
    """The service's socket: in the data dir, or, when that path is too long for a Unix
    socket, in a private per-user runtime folder under a name derived from the data dir."""
    inside = data_dir / SOCKET_NAME
    if len(os.fsencode(inside)) <= _MAX_SOCKET_PATH:
        return inside
    digest = hashlib.sha256(os.fsencode(data_dir)).hexdigest()[:20]
    runtime = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    return Path(runtime) / f"ragtui-{os.getuid()}" / f"{digest}.sock"


def owned_by_me(path: Path, private_dir: bool = False) -> bool:
    """Whether ``path`` (not a symlink) belongs to this user, and, for a folder that
    holds a socket, no one else may enter or write it: a socket another user could
    put in place must never receive a question."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if st.st_uid != os.getuid() or stat.S_ISLNK(st.st_mode):
        return False
    return not (private_dir and st.st_mode & 0o077)


def setup_fingerprint(config_file: Path) -> dict[str, Any]:
    """What decides a command's settings besides the data dir: the config file's identity
    and the ``RAGTUI_*`` variables. A client whose setup differs runs in-process."""
    try:
        stat = config_file.stat()
        config: list[int] | None = [stat.st_mtime_ns, stat.st_size]
    except OSError:
        config = None
    env = {
        k: v
        for k, v in os.environ.items()
        if k.startswith("RAGTUI_") and k not in ("RAGTUI_HOME", "RAGTUI_NO_SERVE")
    }
    return {"config": config, "env": env}


def encode(message: dict[str, Any]) -> bytes:
    """One frame."""
    return json.dumps(message, ensure_ascii=False).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    """One frame back (a malformed line raises ``ValueError``)."""
    message = json.loads(line)
    if not isinstance(message, dict):
        raise ValueError("a frame is a JSON object")
    return message
