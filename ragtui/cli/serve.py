"""``ragtui serve``: the resident service (warm models and indexes, the folder watcher)
that other ``ragtui`` commands use when it runs."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ragtui import logs, paths
from ragtui.cli.ask import ask
from ragtui.cli.common import _engine, _fail, echo, resident, served
from ragtui.cli.folders import folders
from ragtui.cli.search import search
from ragtui.cli.traces import stats, traces_app

if TYPE_CHECKING:
    from ragtui.core.engine import Engine
    from ragtui.core.reports import ContinuousOutcome
    from ragtui.service.server import Service

START_TIMEOUT_S = 120.0  # --background waits this long for the service to be warm
STOP_TIMEOUT_S = 10.0  # on stop, how long requests in flight and the watcher may finish
FOLDER_CHECK_S = 5.0  # how often the service looks for folders added or removed

#: The commands the service runs (ragtui.service.protocol.SERVED names them for clients).
served_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
for _command in (ask, search, stats, folders):
    served_app.command()(_command)
served_app.add_typer(traces_app, name="traces")


def run_command(argv: list[str], cancel: threading.Event) -> int:
    """Run one served command in this thread, as ``ragtui`` would; its exit status."""
    served.cancel = cancel
    try:
        served_app(args=argv, prog_name="ragtui", standalone_mode=True)
    except SystemExit as done:
        code = done.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    finally:
        served.cancel = None
    return 0


def serve(
    stop: Annotated[bool, typer.Option("--stop", help="Stop the running service.")] = False,
    status: Annotated[bool, typer.Option("--status", help="Show the running service.")] = False,
    background: Annotated[
        bool,
        typer.Option(
            "--background", "-b", help="Start it in the background; return once it is warm."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Keep the models and indexes warm and follow your folders, for every other command.

    While it runs, `ragtui ask`, `search`, `stats`, `folders` and `traces list/show/last`
    are answered by it over a socket in the data dir that only you can open; when it does
    not run they work on their own as before. Ctrl-C (or `ragtui serve --stop`) stops it.
    The app attaches to a running service (and F8 in the app starts or stops one).
    """
    from ragtui.service import client

    data_dir = paths.data_dir()
    if stop or status:
        reply = client.request(data_dir, {"control": "stop" if stop else "status"})
        state = reply.get("status") if reply else None
        if as_json:
            echo(json.dumps({"running": state is not None, **(state or {})}))
        elif state is None:
            echo(f"ragtui serve is not running for {data_dir}.")
        else:
            verb = "stopping" if stop else "running"
            echo(
                f"ragtui serve {verb}: pid {state['pid']} · up {state['uptime_s']:.0f} s · "
                f"{'warm' if state['warm'] else 'warming up'} · {state['requests']} requests · "
                f"{state['watching']} folders watched · {data_dir}"
            )
        if stop and state is not None:
            _wait_gone(data_dir, int(state["pid"]))
        return
    if background:
        _start_background(data_dir)
        return
    _serve_here(data_dir)


def _serve_here(data_dir: Path) -> None:
    from ragtui.service import protocol
    from ragtui.service.server import CannotServe, Service

    logs.configure(warnings_to_stderr=True)
    with _engine() as engine:
        service = Service(data_dir, run_command, protocol.setup_fingerprint(paths.config_file()))
        try:
            service.bind()
        except CannotServe as exc:
            _fail(str(exc))
        resident.append(engine)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, lambda *_: service.stop())
        background = threading.Thread(
            target=_warm_then_watch, args=(engine, service), name="ragtui-warm", daemon=True
        )
        background.start()
        evaluating = threading.Thread(
            target=_evaluate, args=(engine, service), name="ragtui-continuous", daemon=True
        )
        if engine.continuous.enabled:
            evaluating.start()
        echo(f"ragtui serve: listening on {service.path} (pid {os.getpid()})", err=True)
        try:
            service.serve_forever()
        finally:
            background.join(timeout=STOP_TIMEOUT_S)
            if evaluating.is_alive():
                evaluating.join(timeout=STOP_TIMEOUT_S)
            service.drain(STOP_TIMEOUT_S)
            resident.clear()
        echo("ragtui serve: stopped", err=True)


def _warm_then_watch(engine: Engine, service: Service) -> None:
    """Warm the models, then follow the registered folders until the service stops,
    restarting the watcher when folders are added or removed."""
    from ragtui.core.watch import Watcher
    from ragtui.service.server import log

    for problem in engine.warm():  # no model yet, say: questions will say so themselves
        log.warning("ragtui serve could not warm everything up: %s", problem)
    service.state.warm = True
    while not service.stopping.is_set():
        watched = engine.folders()
        cancel = threading.Event()
        service.state.watching = len(watched)
        watcher = threading.Thread(
            target=Watcher(engine).run, args=(cancel,), name="ragtui-watch", daemon=True
        )
        if watched:
            watcher.start()
        while not service.stopping.wait(FOLDER_CHECK_S) and engine.folders() == watched:
            pass
        cancel.set()
        if watched:
            watcher.join()


def _evaluate(engine: Engine, service: Service) -> None:
    """Continuous evaluation at idle time (no question for ``eval.continuous_idle_s``),
    stopped with the service; its runs yield to the questions the service answers."""
    from ragtui.service.server import log

    def done(outcome: ContinuousOutcome) -> None:
        log.info("continuous eval %s: %s (%s)", outcome.name, outcome.status, outcome.reason)

    engine.continuous.loop(service.stopping, done)


def _start_background(data_dir: Path) -> None:
    """Start ``ragtui serve`` detached (its output to the log file) and wait until warm."""
    from ragtui.service import attach, client

    reply = client.request(data_dir, {"control": "status"})
    if reply is not None:
        echo(f"ragtui serve already runs for {data_dir} (pid {reply['status']['pid']}).")
        return
    log_file = paths.log_file()
    child = attach.launch(log_file)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if child.poll() is not None:
            _fail(f"ragtui serve exited at once (status {child.returncode}): see {log_file}.")
        reply = client.request(data_dir, {"control": "status"})
        if reply is not None and reply["status"]["warm"]:
            echo(f"ragtui serve: running in the background (pid {child.pid}), warm.")
            return
        time.sleep(0.2)
    echo(f"ragtui serve: started (pid {child.pid}), still warming up.")


def _wait_gone(data_dir: Path, pid: int, timeout_s: float = 30.0) -> None:
    """Wait until the stopped service has let its socket go."""
    from ragtui.service import protocol

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and protocol.socket_path(data_dir).exists():
        time.sleep(0.1)
    if protocol.socket_path(data_dir).exists():
        _fail(f"ragtui serve (pid {pid}) has not stopped after {timeout_s:.0f} s.")
