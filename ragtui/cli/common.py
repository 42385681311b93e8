"""What every ``ragtui`` command shares: the Engine factory, errors as one line, JSON output."""

from __future__ import annotations

import errno
import json
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from ragtui.config import ConfigError, Settings, load_settings
from ragtui.core.errors import RagtuiError
from ragtui.core.text import printable, printable_json

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress

    from ragtui.core.engine import Engine
    from ragtui.core.index.indexer import Progress


def _flags_take_no_value() -> None:
    """Show flags in ``--help`` without a value placeholder (``--json``, not ``--json <bool>``).

    typer 0.29 renders its rich help by asking every option for its type, flags included,
    though its plain help and typer <= 0.28 skip flags and counters. Restore that.
    """
    option = getattr(getattr(typer, "core", None), "TyperOption", None)
    shown = getattr(option, "display_type_rich", None)
    if option is None or shown is None:
        return

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        return None if self.is_flag or self.count else shown(self, ctx)

    setattr(option, "display_type_rich", display_type_rich)  # noqa: B010


_flags_take_no_value()
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
ToleranceOpt = Annotated[
    float, typer.Option("--tolerance", help="Drop allowed before a metric counts as regressed.")
]


def echo(message: object = "", *, nl: bool = True, err: bool = False, **style: Any) -> None:
    """Every line the CLI prints goes through here: text from documents, models and file
    names cannot drive the terminal (its control characters are shown, not obeyed)."""
    typer.secho(printable(str(message)), nl=nl, err=err, **style)


def _fail(message: str) -> NoReturn:
    echo(f"ragtui: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(1)


class _Served(threading.local):
    """In ``ragtui serve``: the cancel event of the request this thread runs (set when its
    client presses Ctrl-C or goes away)."""

    cancel: threading.Event | None = None


served = _Served()
resident: list[Engine] = []  # the service's Engine (one process, one data dir)


@contextmanager
def _engine(
    overrides: dict[str, Any] | None = None, settings: Settings | None = None
) -> Iterator[Engine]:
    """Build the Engine through the shared factory (in ``ragtui serve``: lend the resident
    one), on ``settings`` or the configured ones with ``overrides``; user errors become
    one line and exit 1."""
    from ragtui.core.engine import create_engine

    engine: Engine | None = None
    shared = resident[0] if resident and not overrides and settings is None else None
    try:
        if settings is None and overrides:
            settings = load_settings(**overrides)
        engine = shared or create_engine(settings)
        yield engine
    except (RagtuiError, ConfigError) as exc:
        _fail(str(exc))
    except (OSError, sqlite3.OperationalError) as exc:
        if not disk_full(exc):
            raise
        _fail(_DISK_FULL)
    finally:
        if engine is not None and engine is not shared:
            for warning in engine.warnings:
                echo(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)
            engine.close()


_DISK_FULL = (
    "The disk holding ragtui's data dir is full: free some space (or point "
    "RAGTUI_HOME at a bigger disk) and run the command again."
)


def disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk (or the user's quota) ran out."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(exc, sqlite3.OperationalError) and "disk is full" in str(exc)


def exit_if_disk_full(exc: BaseException) -> None:
    """Outside a command (no typer to catch its Exit): a full disk is one sentence and
    exit status 1."""
    if disk_full(exc):
        echo(f"ragtui: {_DISK_FULL}", err=True, fg=typer.colors.RED)
        raise SystemExit(1) from None


def _print_json(data: object) -> None:
    typer.echo(printable_json(json.dumps(data, ensure_ascii=False, indent=None)))


PROGRESS_EVERY_S = 5.0  # seconds between progress lines when stderr is not a terminal


class ProgressLines:
    """Progress as one line on stderr every :data:`PROGRESS_EVERY_S` seconds (phase, files
    done of total, chunks embedded of total, rate), or a JSON object per line."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.started = time.monotonic()
        self.last = self.started
        self.previous = self.started  # the last event of any phase: where a new one starts
        self.phase_started: dict[str, float] = {}
        self.files = (0, 0)
        self.chunks = (0, 0)

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        self.phase_started.setdefault(p.phase, self.previous)
        self.previous = now
        if p.phase == "embed":
            self.chunks = (p.done, p.total)
        else:
            self.files = (p.done, p.total)
        if now - self.last < PROGRESS_EVERY_S:
            return
        self.last = now
        spent = max(now - self.phase_started[p.phase], 1e-6)
        unit = "chunks/s" if p.phase == "embed" else "files/s"
        rate = round(p.done / spent, 1)
        if self.as_json:
            echo(
                json.dumps(
                    {
                        "phase": p.phase,
                        "files_done": self.files[0],
                        "files_total": self.files[1],
                        "chunks_embedded": self.chunks[0],
                        "chunks_total": self.chunks[1],
                        "rate": rate,
                        "unit": unit,
                        "elapsed_s": round(now - self.started, 1),
                    }
                ),
                err=True,
            )
            return
        files = f"{self.files[0]}/{self.files[1]}" if self.files[1] else str(self.files[0])
        echo(
            f"index: {p.phase} · files {files} · chunks embedded "
            f"{self.chunks[0]}/{self.chunks[1]} · {rate:g} {unit} · "
            f"{now - self.started:.0f} s",
            err=True,
        )


@contextmanager
def _progress(
    enabled: bool,
    lines: bool = False,
    as_json: bool = False,
) -> Iterator[Callable[[Progress], None] | None]:
    """A progress bar on a terminal (stderr); with ``lines``, periodic progress lines when
    stderr is not a terminal or the output is JSON (then JSON lines); nothing otherwise."""
    if lines and (as_json or not sys.stderr.isatty()):
        yield ProgressLines(as_json)
        return
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    with progress_bar() as bar:
        tasks: dict[str, Any] = {}

        def update(p: Progress) -> None:
            if p.phase not in tasks:
                tasks[p.phase] = bar.add_task(p.phase, total=p.total or None, item="")
            bar.update(
                tasks[p.phase], completed=p.done, total=p.total or None, item=short_item(p.item)
            )

        yield update


def progress_bar() -> RichProgress:
    """The CLI's one progress bar, on stderr and gone when done: the task's name, the bar,
    done of total, time left and the current item (shown as text, never as markup)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    return Bar(
        TextColumn("{task.description:<8}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[item]}", style="dim", markup=False),
        transient=True,
        console=Console(stderr=True),
    )


def short_item(item: str, width: int = 50) -> str:
    """``item`` (a file or a case) printable and at most ``width`` cells, keeping its end."""
    return printable(item if len(item) < width else "…" + item[-(width - 1) :])


def request_cancel() -> threading.Event | None:
    """In ``ragtui serve``, the event set when this request's client presses Ctrl-C;
    None in-process (Ctrl-C interrupts there)."""
    return served.cancel


@contextmanager
def _cancel_on_interrupt() -> Iterator[threading.Event]:
    """First Ctrl-C asks the work to stop at the next safe point; a second one aborts."""
    if served.cancel is not None:  # the client relays Ctrl-C to the service as this event
        yield served.cancel
        return
    cancel = threading.Event()

    def handler(signum: int, frame: object) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        lead = "\n" if sys.stderr.isatty() else ""
        echo(lead + "stopping after the current batch (Ctrl-C again to abort)…", err=True)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield cancel
    finally:
        signal.signal(signal.SIGINT, previous)


# public names for the command modules
fail = _fail
print_json = _print_json
engine = _engine
