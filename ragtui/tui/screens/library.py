"""The Library screen: folders, the per-file table, live indexing progress, watcher, health."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import DataTable, Input, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from ragtui.core.api import FileInfo, IndexHealth, IndexLocked, IndexSize, RagtuiError, printable
from ragtui.tui.app import MainScreen
from ragtui.tui.indexing import ProgressView
from ragtui.tui.screens.dialogs import ConfirmDialog, PromptDialog
from ragtui.units import format_bytes

log = logging.getLogger(__name__)

MAX_ROWS = 2000  # rows shown at once; a last row says how many more the filter would show
COLUMNS = (
    ("status", "Status", 7),
    ("chunks", "Chunks", 6),
    ("indexed_at", "Indexed", 16),
    ("path", "File", None),
    ("error", "Error", None),
)
MORE_ROW = "more"  # the key of the "N more files" row
_STATUS_STYLE = {
    "indexed": "$success",
    "empty": "$text-muted",
    "skipped": "$text-muted",
    "failed": "$error",
}


def progress_line(p: ProgressView) -> str:
    """``embed 120/300 · 35.2 chunks/s · ETA 5 s · file.md``."""
    unit = "chunks" if p.phase == "embed" else "files"
    parts = [f"{p.phase} {p.done}/{p.total}" if p.total else p.phase]
    if p.rate > 0:
        parts.append(f"{p.rate:.1f} {unit}/s")
    if p.eta_s is not None:
        parts.append(f"ETA {p.eta_s:.0f} s" if p.eta_s < 120 else f"ETA {p.eta_s / 60:.0f} min")
    if p.item:
        parts.append(Path(p.item).name)
    return " · ".join(parts)


def health_content(
    report: IndexHealth | None, size: IndexSize | None, problem: str | None = None
) -> Content:
    """What ``doctor`` found, in a few lines."""
    if problem is not None:
        return Content.styled(problem, "$text-muted")
    if report is None:
        return Content.styled("checking…", "$text-muted")
    cat, kw, vec = report.catalog, report.keywords, report.vectors
    parts: list[tuple[str, str] | str] = []
    if report.consistent:
        parts.append(("✓ catalog and both indexes agree\n", "bold $success"))
    else:
        parts.append(("✗ the indexes disagree\n", "bold $error"))
    parts.append(f"files {cat.files} · chunks {cat.chunks} · embedded {cat.embedded}\n")
    parts.append(f"keywords {kw.chunks} · vectors {vec.rows}\n")
    if size is not None:
        parts.append(f"{format_bytes(size.bytes_on_disk)} on disk\n")
    for action in report.repaired:
        parts.append((f"repaired: {action}\n", "$warning"))
    for item in report.problems:
        parts.append((f"problem: {item}\n", "$error"))
    return Content.assemble(*parts)


def fit_path(path: str, width: int) -> str:
    """``path`` in at most ``width`` cells, keeping its end: ``…/folder/file.md``."""
    if len(path) <= width:
        return path
    return "…" + path[len(path) - width + 1 :] if width > 1 else "…"


def clip(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells, cut with an ellipsis."""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def column_widths(available: int, paths: list[str], errors: list[str]) -> tuple[int, int]:
    """The File and Error widths that fill ``available`` cells: File as wide as its longest
    path, Error the rest, but at least 40% of the room when its messages need it."""
    path_need = max((len(p) for p in paths), default=0)
    error_need = max([len("Error"), *(len(e) for e in errors)])
    error = max(min(error_need, available * 2 // 5), available - path_need, len("Error"))
    return max(10, available - error), error


def _error_text(f: FileInfo) -> str:
    """The file's error with its full path (already in the File column) cut to its name."""
    return printable((f.error or "").replace(f.path, Path(f.path).name))


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else ""


def _sort_key(column: str) -> Any:
    if column == "chunks":
        return lambda f: (f.chunks, f.path)
    if column == "indexed_at":
        return lambda f: (f.indexed_at, f.path)
    if column == "error":
        return lambda f: (f.error or "", f.path)
    if column == "status":
        return lambda f: (f.status, f.path)
    return lambda f: f.path


class LibraryScreen(MainScreen):
    """Registered folders and every file the catalog knows, kept live while indexing."""

    TITLE_TEXT = "Library"
    MODE = "library"
    # -short hides the Watcher box (Textual types this as an instance variable)
    VERTICAL_BREAKPOINTS = [(0, "-short"), (28, "-tall")]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add_folder", "Add folder"),
        Binding("r", "remove_folder", "Remove folder", show=False),
        Binding("i", "index", "Index now"),
        Binding("x", "stop", "Stop indexing", show=False),
        Binding("s", "sort", "Sort by next column", show=False),
        Binding("S", "reverse", "Reverse the order", show=False),
        Binding("slash", "filter", "Filter files", show=False),
        Binding("escape", "leave_filter", "Back to the files", show=False),
        Binding("h", "health", "Check index health", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.files: list[FileInfo] = []
        self.sort_column = "path"
        self.sort_reverse = False
        self.folder_list: list[str] = []
        self._seen_version = -1
        self._seen_files = -1
        self._last_files_load = 0.0
        self._shown: tuple[object, ...] = ()
        self._widths: tuple[int, int] = (0, 0)
        self._was_busy = False

    def body(self) -> ComposeResult:
        with Horizontal(id="lib-top"):
            yield OptionList(id="folders")
            yield Static(health_content(None, None), id="health")
        with Horizontal(id="progress-row"):
            yield Static("", id="watch-state")
            yield ProgressBar(total=None, show_eta=False, id="index-bar")
            yield Static("", id="progress-text")
        yield Input(placeholder="/ filter files by path, status or error", id="file-filter")
        yield DataTable(id="files", cursor_type="row", zebra_stripes=True)
        yield Static("", id="events")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#folders").border_title = "Folders"
        self.query_one("#folders").border_subtitle = "a add · r remove"
        self.query_one("#health").border_title = "Index health"
        self.query_one("#events").border_title = "Watcher"
        table = self.query_one("#files", DataTable)
        self._load_folders()
        self._refresh_state()
        self.load_files()
        self.check_health()
        self.set_interval(0.25, self._refresh_state)
        table.focus()

    # folders -------------------------------------------------------------------------
    def _load_folders(self) -> None:
        self.folder_list = self.engine.folders()
        options = self.query_one("#folders", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        if self.folder_list:
            width = max(8, options.scrollable_content_region.width - 2)
            options.add_options(
                [
                    Option(Content(fit_path(printable(folder), width)), id=folder)
                    for folder in self.folder_list
                ]
            )
            if highlighted is not None:
                options.highlighted = min(highlighted, len(self.folder_list) - 1)
        else:
            options.add_option(
                Option(
                    Content.styled("No folders yet: press a to add one.", "$text-muted"),
                    disabled=True,
                )
            )

    def action_add_folder(self) -> None:
        """Register a folder and index it."""

        def done(value: str | None) -> None:
            if not value:
                return
            try:
                folder, new = self.engine.add_folder(Path(value))
            except RagtuiError as exc:
                self.notify(str(exc), severity="error")
                return
            self.notify(f"Added {folder}." if new else f"{folder} was already registered.")
            self._load_folders()
            self.ragtui.service.reindex()
            self.ragtui.ensure_service()

        self.app.push_screen(
            PromptDialog("Add a folder to index", str(Path.cwd()), placeholder="/path/to/folder"),
            done,
        )

    def action_remove_folder(self) -> None:
        """Unregister the highlighted folder and drop its files from the index."""
        index = self.query_one("#folders", OptionList).highlighted
        if index is None or index >= len(self.folder_list):
            self.notify("Pick a folder in the Folders list first (Tab to it).", severity="warning")
            return
        folder = self.folder_list[index]

        def done(yes: bool | None) -> None:
            if not yes:
                return
            engine = self.engine

            def remove() -> str:
                report = engine.remove_folder(Path(folder))
                return f"Removed {folder} ({report.removed} files dropped from the index)."

            self.ragtui.service.submit(f"Removing {folder}", remove)
            self.ragtui.ensure_service()
            self.set_timer(0.5, self._load_folders)

        self.app.push_screen(
            ConfirmDialog(f"Remove {folder} and drop its files from the index?"), done
        )

    # indexing ------------------------------------------------------------------------
    def action_index(self) -> None:
        self.ragtui.action_reindex()
        self.ragtui.ensure_service()

    def action_stop(self) -> None:
        self.ragtui.action_stop_indexing()

    def _refresh_state(self) -> None:
        service = self.ragtui.service
        busy = service.busy()
        now = time.monotonic()
        if service.files_version != self._seen_files or (
            busy and now - self._last_files_load > 1.0
        ):
            self._seen_files = service.files_version
            self.load_files()
        if self._was_busy and not busy:
            self.check_health()
            self._load_folders()
        self._was_busy = busy
        if service.version == self._seen_version:
            return
        self._seen_version = service.version
        bar = self.query_one("#index-bar", ProgressBar)
        text = self.query_one("#progress-text", Static)
        progress = service.progress()
        bar.display = busy
        if progress is not None and busy:
            bar.update(total=progress.total or None, progress=progress.done)
            text.update(Content(progress_line(progress)))
        else:
            bar.update(total=None, progress=0)
            text.update(Content(service.events[0] if service.events and not busy else ""))
        self.query_one("#watch-state", Static).update(self._state_text())
        events = list(service.events)[:20]
        self.query_one("#events", Static).update(
            Content("\n".join(events))
            if events
            else Content.styled("No changes seen yet.", "$text-muted")
        )

    def _state_text(self) -> Content:
        service = self.ragtui.service
        state = service.state
        status = service.watch_status()
        if not self.ragtui.service_started:
            if self.ragtui.attached is not None:
                return Content.styled("followed by ragtui serve · i indexes here", "$success")
            return Content.styled("not watching · i indexes", "$text-muted")
        if state == "paused":
            return Content.styled("stopped · i indexes", "$warning")
        if state == "idle":
            return Content.styled("no folders", "$text-muted")
        if state == "watching" and status is not None:
            return Content.styled(
                f"watching {status.folders} folder{'s' if status.folders != 1 else ''}", "$success"
            )
        return Content.styled(state, "bold $accent")

    # files ---------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="files", exit_on_error=False)
    def load_files(self) -> None:
        """Read the file table from the catalog (off the UI thread)."""
        self._last_files_load = time.monotonic()
        try:
            files = self.engine.files()
        except Exception as exc:  # the catalog may be busy; the next refresh retries
            log.debug("cannot list files: %s", exc)
            return
        self.from_thread(self._show_files, files)

    def _show_files(self, files: list[FileInfo]) -> None:
        self.files = files
        self._fill_table()

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        """Fit the folder names and the file table's columns to the new size."""
        if self.folder_list:
            self._load_folders()
        self._fill_table()

    def _set_columns(
        self, table: DataTable[Any], paths: list[str], errors: list[str]
    ) -> tuple[int, int]:
        """Size File and Error to fill the table's width (rebuilding the columns on change)."""
        fixed = sum(width or 0 for _, _, width in COLUMNS) + 2 * table.cell_padding * len(COLUMNS)
        available = table.scrollable_content_region.width - fixed
        widths = column_widths(available, paths, errors) if available > 0 else (40, 20)
        if widths != self._widths:
            self._widths, self._shown = widths, ()
            table.clear(columns=True)
            sized = {"path": widths[0], "error": widths[1]}
            for key, label, width in COLUMNS:
                table.add_column(label, key=key, width=width or sized[key])
        return widths

    def _fill_table(self) -> None:
        table = self.query_one("#files", DataTable)
        needle = self.query_one("#file-filter", Input).value.strip().lower()
        rows = [
            f
            for f in self.files
            if not needle
            or needle in f.path.lower()
            or needle == f.status
            or needle in (f.error or "").lower()
        ]
        rows.sort(key=_sort_key(self.sort_column), reverse=self.sort_reverse)
        shown = tuple(rows[:MAX_ROWS])
        names = [printable(self._short(f.path)) for f in shown]
        errors = {f.path: _error_text(f) for f in shown if f.error}
        path_width, error_width = self._set_columns(table, names, list(errors.values()))
        if shown == self._shown:
            return
        self._shown = shown
        cursor = table.cursor_row
        table.clear()
        for f, name in zip(shown, names, strict=True):
            table.add_row(
                Content.styled(f.status, _STATUS_STYLE.get(f.status, "")),
                str(f.chunks),
                _when(f.indexed_at),
                Text(fit_path(name, path_width)),
                Content.styled(clip(errors.get(f.path, ""), error_width), "$error"),
                key=f.path,
            )
        if len(rows) > len(shown):
            table.add_row(
                Text("…", style="dim"),
                "",
                "",
                Text(
                    f"{len(rows) - len(shown):,} more files: press / and type to narrow",
                    style="dim italic",
                ),
                "",
                key=MORE_ROW,
            )
        if shown:
            table.move_cursor(row=min(cursor, len(shown) - 1))
        arrow = "↓" if not self.sort_reverse else "↑"
        title = {key: label for key, label, _ in COLUMNS}[self.sort_column]
        more = f" of {len(rows)}" if len(rows) > len(shown) else ""
        table.border_title = f"Files {len(shown)}{more}"
        table.border_subtitle = f"sorted by {title} {arrow} · s/S sort · / filter"

    def _short(self, path: str) -> str:
        for folder in self.folder_list:
            if path.startswith(folder.rstrip("/") + "/"):
                return Path(folder).name + "/" + path[len(folder.rstrip("/")) + 1 :]
        return path

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a file shows its whole path and error (the columns may cut them)."""
        found = [
            f for f in self._shown if isinstance(f, FileInfo) and f.path == event.row_key.value
        ]
        if found:
            f = found[0]
            self.notify(
                printable(f.error or f.status),
                title=printable(f.path),
                severity="error" if f.error else "information",
                timeout=10,
            )

    def action_sort(self) -> None:
        """Sort by the next column."""
        keys = [key for key, _, _ in COLUMNS]
        self.sort_column = keys[(keys.index(self.sort_column) + 1) % len(keys)]
        self.sort_reverse = False
        self._fill_table()

    def action_reverse(self) -> None:
        """Reverse the sort order."""
        self.sort_reverse = not self.sort_reverse
        self._fill_table()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        column = str(event.column_key.value)
        if column == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = column, False
        self._fill_table()

    def action_filter(self) -> None:
        self.query_one("#file-filter", Input).focus()

    def action_leave_filter(self) -> None:
        """Leave the filter box (keeping the filter) for the file table."""
        if self.query_one("#file-filter", Input).has_focus:
            self.query_one("#files", DataTable).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "file-filter":
            self._fill_table()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "file-filter":
            self.query_one("#files", DataTable).focus()

    # health ----------------------------------------------------------------------------
    def action_health(self) -> None:
        self.check_health()

    @work(thread=True, exclusive=True, group="health", exit_on_error=False)
    def check_health(self) -> None:
        """Run ``doctor`` (it loads LanceDB: off the UI thread)."""
        if self.ragtui.service.busy():
            self.from_thread(self._show_health, None, None, "indexing… checked when it is done")
            return
        try:
            report = self.engine.stats.doctor()
            size = self.engine.stats.index_size()
        except IndexLocked:
            self.from_thread(
                self._show_health, None, None, "the index is being written: h checks again"
            )
            return
        except RagtuiError as exc:
            self.from_thread(self._show_health, None, None, str(exc))
            return
        except Exception as exc:
            log.exception("doctor failed")
            self.from_thread(
                self._show_health, None, None, f"cannot check ({type(exc).__name__}: {exc})"
            )
            return
        self.from_thread(self._show_health, report, size, None)

    def _show_health(
        self, report: IndexHealth | None, size: IndexSize | None, problem: str | None
    ) -> None:
        self.query_one("#health", Static).update(health_content(report, size, problem))
