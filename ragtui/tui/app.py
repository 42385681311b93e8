"""The Textual app: Ask, Library, Traces, Evals and Stats screens over one Engine.

:func:`create_app` is the one factory the CLI and the tests use. Screens are
Textual modes, built on first visit (their modules import nothing heavy); the
Engine loads its models lazily, in worker threads, so the first frame is fast.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, ClassVar

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.types import NoActiveAppError
from textual.widgets import Footer, Static

from ragtui import logs, paths
from ragtui.logs import log
from ragtui.tui.errors import worker_failed
from ragtui.tui.indexing import IndexService
from ragtui.tui.serve_link import Found, ServeLink, StartFailed

if TYPE_CHECKING:
    from textual.worker import Worker

    from ragtui.core.api import ContinuousOutcome, EngineApi


def _ask() -> Screen[None]:
    from ragtui.tui.screens.ask import AskScreen

    return AskScreen()


def _library() -> Screen[None]:
    from ragtui.tui.screens.library import LibraryScreen

    return LibraryScreen()


def _traces() -> Screen[None]:
    from ragtui.tui.screens.traces import TracesScreen

    return TracesScreen()


def _evals() -> Screen[None]:
    from ragtui.tui.screens.evals import EvalsScreen

    return EvalsScreen()


def _stats() -> Screen[None]:
    from ragtui.tui.screens.stats import StatsScreen

    return StatsScreen()


# The screen switcher: (mode, title, key, factory).
SCREENS: tuple[tuple[str, str, str, Callable[[], Screen[None]]], ...] = (
    ("ask", "Ask", "f2", _ask),
    ("library", "Library", "f3", _library),
    ("traces", "Traces", "f4", _traces),
    ("stats", "Stats", "f5", _stats),
    ("evals", "Evals", "f6", _evals),
)


class NavBar(Static):
    """The top line: the app's name and every screen with its key (click to switch)."""

    def __init__(self, current: str) -> None:
        super().__init__(id="navbar")
        self.current = current

    def on_mount(self) -> None:
        parts = [Content.styled(" ◆ ragtui ", "bold $text-accent")]
        for mode, title, key, _ in SCREENS:
            style = "bold reverse $accent" if mode == self.current else "$text"
            parts.append(
                Content.assemble(
                    " ", (f" {key.upper()} {title} ", f"{style} @click=app.switch_mode('{mode}')")
                )
            )
        self.update(Content("").join(parts))


class MainScreen(Screen[None]):
    """A top-level screen: the screen switcher, the screen's body, the footer with the keys."""

    TITLE_TEXT: ClassVar[str] = ""
    MODE: ClassVar[str] = ""

    def compose(self) -> ComposeResult:
        yield NavBar(self.MODE)
        yield from self.body()
        yield Footer(compact=True)

    def body(self) -> ComposeResult:  # pragma: no cover - every screen overrides it
        yield from ()

    @property
    def ragtui(self) -> RagtuiApp:
        """The app, typed."""
        app = self.app
        assert isinstance(app, RagtuiApp)
        return app

    @property
    def engine(self) -> EngineApi:
        """The app's Engine (anything that implements :class:`~ragtui.core.api.EngineApi`)."""
        return self.ragtui.engine

    def on_mount(self) -> None:
        self.sub_title = self.TITLE_TEXT

    def from_thread(self, callback: Callable[..., object], *args: object, **kwargs: object) -> None:
        """Run ``callback`` on the UI thread from a worker; a no-op once the app has closed.

        An error ``callback`` raises is raised here, so it fails the worker and reaches
        :func:`ragtui.tui.errors.worker_failed`.
        """
        try:
            app = self.app
        except NoActiveAppError:
            return
        try:
            app.call_from_thread(callback, *args, **kwargs)
        except Exception:
            if app.is_running:
                raise  # the callback failed, not the app: a bug to report

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker of this screen ended in error: report it."""
        worker_failed(self.app, event)


class RagtuiApp(App[None]):
    """Private, offline answers from your own documents."""

    CSS_PATH = "ragtui.tcss"
    TITLE = "ragtui"
    MODES: ClassVar[dict[str, str | Callable[[], Screen[None]]]] = {
        mode: factory for mode, _title, _key, factory in SCREENS
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(key, f"switch_mode('{mode}')", title, priority=True)
            for mode, title, key, _ in SCREENS
        ),
        *(
            Binding(str(n), f"switch_mode('{mode}')", title, show=False)
            for n, (mode, title, _key, _) in enumerate(SCREENS, 1)
        ),
        Binding("f1", "help", "Help", priority=True),
        Binding("question_mark", "help", "Help", show=False),
        Binding("f9", "toggle_theme", "Theme", show=False, priority=True),
        Binding("f8", "serve", "Start ragtui serve and attach (or stop it)", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(
        self, engine: EngineApi, *, watch: bool = True, warm: bool = True, attach: bool = True
    ) -> None:
        super().__init__()
        self.engine = engine
        self.watch_folders = watch
        self.warm_models = warm
        self.service = IndexService(engine)
        self._service_worker: Worker[None] | None = None
        self.continuous_cancel = threading.Event()
        self.link = (
            ServeLink(paths.data_dir(), paths.config_file(), paths.log_file()) if attach else None
        )
        self._warmed = False
        self._evaluating = False
        self._leaving = threading.Event()

    def on_mount(self) -> None:
        logs.start("app")
        self.switch_mode("ask")
        if self.link is not None and self.link.may_run():
            self.run_worker(self._find_serve, name="find-serve", group="serve", thread=True)
        else:
            self.standalone()
        self.set_interval(0.5, self._show_notices)

    def standalone(self) -> None:
        """Work on our own: follow the folders, warm the model and run continuous evaluation
        here (each once)."""
        if self.link is not None:
            self.link.pid = None
        if self.watch_folders:
            self.ensure_service()
        if self.warm_models and not self._warmed:  # the first question answers as fast as the next
            self._warmed = True
            self.run_worker(self._warm, name="warm-up", group="warm", thread=True)
        if self.watch_folders and self.engine.continuous.enabled and not self._evaluating:
            self._evaluating = True  # the service runs it while the app is attached
            self.run_worker(self._evaluate, name="continuous-eval", group="continuous", thread=True)

    def _warm(self) -> None:
        for problem in self.engine.warm():
            log.info("not warmed up: %s", problem)

    def _evaluate(self) -> None:
        """Continuous evaluation at idle time, until the app closes."""
        self.engine.continuous.loop(self.continuous_cancel, self._evaluated)

    def _evaluated(self, outcome: ContinuousOutcome) -> None:
        if outcome.status != "complete" or not self.is_running:
            return
        try:
            self.call_from_thread(
                self.notify,
                f"Continuous eval {outcome.name} is complete ({outcome.reason}): "
                "F6 shows the trend.",
                timeout=8,
            )
        except Exception:
            if self.is_running:
                raise  # the notice failed, not the app: a bug to report

    # ragtui serve ------------------------------------------------------------------
    @property
    def attached(self) -> ServeLink | None:
        """The link to ``ragtui serve`` while attached to it, else None."""
        return self.link if self.link is not None and self.link.attached else None

    def _find_serve(self) -> None:
        assert self.link is not None
        self.call_from_thread(self._found, self.link.find())

    def _found(self, found: Found | None) -> None:
        if found is None:
            self.standalone()
        elif found.refused:
            self.notify(f"ragtui serve runs, but {found.refused}: working standalone.")
            self.standalone()
        else:
            self.attach(found.pid)

    def attach(self, pid: int) -> None:
        """Leave the folders, the model and the questions to the service ``pid``."""
        assert self.link is not None
        self.link.pid = pid
        log.info("attached to ragtui serve, pid %d", pid)
        self.notify(f"Attached to ragtui serve, pid {pid}: it follows the folders and answers.")

    def detach(self, why: str) -> None:
        """The service is gone: say so (one sentence) and work standalone."""
        if self.attached is None:
            return
        self.notify(f"{why}.", severity="warning", timeout=8)
        self.standalone()

    def action_serve(self) -> None:
        """Start ``ragtui serve`` for this data dir and attach to it; stop it if attached."""
        if self.link is None:
            self.notify("This app does not use ragtui serve.", severity="warning")
        elif self.link.attached:
            self.run_worker(self._stop_serve, name="stop-serve", group="serve", thread=True)
        else:
            self.notify("Starting ragtui serve…")
            self.run_worker(self._start_serve, name="start-serve", group="serve", thread=True)

    def _start_serve(self) -> None:
        assert self.link is not None
        try:
            found = self.link.start(self._leaving)
        except StartFailed as exc:
            self.call_from_thread(self.notify, str(exc), severity="error", timeout=10)
            return
        self.call_from_thread(self._found, found)

    def _stop_serve(self) -> None:
        assert self.link is not None
        pid = self.link.pid
        self.link.stop()
        self.call_from_thread(self.detach_stopped, pid)

    def detach_stopped(self, pid: int | None) -> None:
        """After ``serve --stop``: say so and work standalone."""
        self.notify(f"Stopped ragtui serve (pid {pid}): working standalone.")
        self.standalone()

    @property
    def service_started(self) -> bool:
        """Whether the indexer-and-watcher thread runs."""
        return self._service_worker is not None

    def ensure_service(self) -> None:
        """Start the indexer-and-watcher thread if it is not running yet."""
        if self._service_worker is None:
            self._service_worker = self.run_worker(
                self.service.run,
                name="index-and-watch",
                group="index",
                thread=True,
                exit_on_error=False,
            )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """An app-level worker (the indexer and watcher) ended in error: report it."""
        worker_failed(self, event)

    def _show_notices(self) -> None:
        for notice in self.service.take_notices():
            self.notify(
                notice.message,
                severity=notice.severity,  # type: ignore[arg-type]
                timeout=8 if notice.severity == "error" else 5,
            )

    # actions -----------------------------------------------------------------------
    def action_help(self) -> None:
        """Show every key of this screen and the app."""
        from ragtui.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_toggle_theme(self) -> None:
        """Switch between the light and the dark theme."""
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def action_reindex(self) -> None:
        """Index the registered folders now."""
        if not self.engine.folders():
            self.notify(
                "No folders registered: add one on the Library screen (F3, then a).",
                severity="warning",
            )
            return
        self.service.reindex()
        self.ensure_service()

    async def open_trace(self, trace_id: str) -> None:
        """Switch to the Traces screen showing the trace ``trace_id``."""
        from ragtui.tui.screens.traces import TracesScreen

        await self.switch_mode("traces")
        if isinstance(self.screen, TracesScreen):
            self.screen.open_trace(trace_id)

    def action_stop_indexing(self) -> None:
        """Stop indexing (and watching) until the next index run."""
        self.service.stop()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        # Textual's own "Keys" (its key panel) would be listed beside ragtui's help screen
        yield from (c for c in super().get_system_commands(screen) if c.title != "Keys")
        for mode, title, key, _ in SCREENS:
            yield SystemCommand(
                f"Go to {title}",
                f"Switch to the {title} screen ({key.upper()})",
                lambda mode=mode: self.switch_mode(mode),
            )
        yield SystemCommand(
            "Index now", "Sync the registered folders into the index", self.action_reindex
        )
        yield SystemCommand(
            "Stop indexing",
            "Stop indexing and watching until the next run",
            self.action_stop_indexing,
        )
        if self.link is not None and self.link.attached:
            yield SystemCommand(
                "Stop ragtui serve",
                f"Stop the service this app is attached to (pid {self.link.pid}; F8)",
                self.action_serve,
            )
        elif self.link is not None:
            yield SystemCommand(
                "Start ragtui serve",
                "Keep the models warm and follow the folders in a background process (F8)",
                self.action_serve,
            )
        yield SystemCommand(
            "Toggle light/dark theme",
            "Switch between textual-light and textual-dark (F9)",
            self.action_toggle_theme,
        )
        yield SystemCommand("Keys", "Every key of this screen (F1 or ?)", self.action_help)

    # shutdown ------------------------------------------------------------------------
    def shutdown_background(self, timeout: float = 30.0) -> None:
        """Stop the indexer and watcher thread and wait for it (call after :meth:`run`)."""
        self.continuous_cancel.set()
        self.service.quit()
        if self._service_worker is not None:
            self.service.finished.wait(timeout)

    def on_unmount(self) -> None:
        """However the app ends (a key, an error, a failing test), end its worker threads."""
        self.continuous_cancel.set()
        self._leaving.set()
        self.service.quit()

    async def action_quit(self) -> None:
        self.continuous_cancel.set()
        self.service.quit()
        self.exit()


def create_app(
    engine: EngineApi | None = None,
    *,
    watch: bool = True,
    warm: bool | None = None,
    attach: bool = True,
) -> RagtuiApp:
    """The one factory the CLI and the tests use: the app over ``engine`` (default: the
    Engine of the configured data dir). ``watch=False`` leaves indexing to the user;
    ``warm`` (default: as ``watch``) loads the models in the background at start;
    ``attach`` uses a ``ragtui serve`` running for the data dir (the default)."""
    if engine is None:
        from ragtui.core.api import create_engine

        engine = create_engine()
    return RagtuiApp(engine, watch=watch, warm=watch if warm is None else warm, attach=attach)
