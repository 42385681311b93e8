"""The watcher on real watchdog observers, the real indexes and the default model."""

from __future__ import annotations

import errno
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ragtui.core.engine import Engine, create_engine
from ragtui.core.watch import Watcher, WatchStatus

pytestmark = pytest.mark.slow


def wait_for(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def paths_for(engine: Engine, query: str, mode: str = "hybrid") -> set[str]:
    return {h.path for h in engine.search(query, k=20, mode=mode).hits}  # type: ignore[arg-type]


class Running:
    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher
        self.cancel = threading.Event()
        self.thread = threading.Thread(target=watcher.run, args=(self.cancel,), daemon=True)

    def __enter__(self) -> Running:
        self.thread.start()
        wait_for(lambda: self.watcher.status.state == "watching")
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()


@pytest.fixture
def docs(demo_docs: Path) -> Path:
    return demo_docs


@pytest.fixture
def engine(docs: Path) -> Iterator[Engine]:
    eng = create_engine()
    eng.add_folder(docs)
    yield eng
    eng.close()


def test_start_reconciles_changes_made_while_stopped(engine: Engine, docs: Path) -> None:
    engine.index()
    (docs / "recipes.md").unlink()
    (docs / "new-note.md").write_text("# Kayak\n\nThe kayak paddle is stored in the garage loft.\n")
    with Running(Watcher(engine)):
        assert any(p.endswith("new-note.md") for p in paths_for(engine, "kayak paddle"))
        assert not any(p.endswith("recipes.md") for p in paths_for(engine, "banana bread"))


def test_create_modify_atomic_save_move_delete(engine: Engine, docs: Path) -> None:
    statuses: list[WatchStatus] = []
    watcher = Watcher(engine, on_status=statuses.append)
    with Running(watcher):
        note = docs / "garden.md"
        note.write_text("# Garden\n\nThe tomato seedlings go out after the last frost.\n")
        wait_for(lambda: str(note) in paths_for(engine, "tomato seedlings"))

        with note.open("a") as fh:
            fh.write("\n## Beans\n\nRunner beans climb the hazel poles.\n")
        wait_for(lambda: str(note) in paths_for(engine, "runner beans hazel poles", "bm25"))

        tmp = docs / ".garden.md.swp"
        tmp.write_text("# Garden\n\nThe greenhouse vent opens at 24 degrees.\n")
        os.replace(tmp, note)
        wait_for(lambda: str(note) in paths_for(engine, "greenhouse vent", "bm25"))
        assert not paths_for(engine, "runner beans hazel", "bm25") & {str(note)}
        assert not any(".swp" in f.path for f in engine.catalog.all_files())

        chunks_before = {c.chunk_id for c in engine.catalog.all_chunks()}
        moved = docs / "plans" / "garden-2026.md"
        moved.parent.mkdir()
        note.rename(moved)
        wait_for(lambda: str(moved) in paths_for(engine, "greenhouse vent", "bm25"))
        wait_for(lambda: str(note) not in {f.path for f in engine.catalog.all_files()})
        assert {c.chunk_id for c in engine.catalog.all_chunks()} == chunks_before

        shutil.move(str(docs / "plantwatch"), str(docs / "plans" / "plantwatch"))
        wait_for(lambda: any("/plans/plantwatch/" in p for p in paths_for(engine, "GPIO pin LED")))
        wait_for(
            lambda: (
                not any(
                    f.path.startswith(str(docs / "plantwatch") + "/")
                    for f in engine.catalog.all_files()
                )
            )
        )

        shutil.rmtree(docs / "plans")
        wait_for(lambda: not paths_for(engine, "greenhouse vent", "bm25"))
        wait_for(lambda: not any("/plans/" in f.path for f in engine.catalog.all_files()))
    report = engine.stats.doctor()
    assert report.consistent, report.problems
    assert statuses[-1].state == "stopped" and statuses[-1].batches >= 5


def test_ignored_paths_and_own_data_dir_are_not_indexed(
    tmp_path: Path, docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAGTUI_HOME", str(docs / "ragtui-home"))
    (docs / ".gitignore").write_text("drafts/\n")
    engine = create_engine()
    engine.add_folder(docs)
    with Running(Watcher(engine)):
        (docs / "drafts").mkdir()
        (docs / "drafts" / "secret.md").write_text("the walrus plan")
        (docs / ".hidden.md").write_text("the walrus plan")
        (docs / "visible.md").write_text("the walrus plan")
        wait_for(lambda: bool(paths_for(engine, "walrus", "bm25")))
        time.sleep(1.0)
    indexed = {f.path for f in engine.catalog.all_files()}
    assert str(docs / "visible.md") in indexed
    assert not any("drafts" in p or ".hidden" in p or "ragtui-home" in p for p in indexed)


def test_burst_of_changes_becomes_few_batches(engine: Engine, docs: Path) -> None:
    engine.index()
    statuses: list[WatchStatus] = []
    watcher = Watcher(engine, on_status=statuses.append)
    with Running(watcher):
        before = watcher.status.batches
        burst = docs / "burst"
        burst.mkdir()
        for i in range(200):
            (burst / f"note-{i:03d}.md").write_text(f"# Note {i}\n\nMarker word zebra{i} here.\n")
        wait_for(
            lambda: len([f for f in engine.catalog.all_files() if "/burst/" in f.path]) == 200,
            timeout=90,
        )
        wait_for(lambda: watcher.status.pending == 0 and watcher.status.state == "watching")
        batches = watcher.status.batches - before
    assert 1 <= batches <= 10, batches
    assert paths_for(engine, "zebra137", "bm25") == {str(docs / "burst" / "note-137.md")}
    assert engine.stats.counts().embedded == engine.stats.counts().chunks


def test_unreadable_file_is_recorded_and_watching_goes_on(engine: Engine, docs: Path) -> None:
    with Running(Watcher(engine)) as running:
        (docs / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
        wait_for(lambda: any(f.status == "failed" for f in engine.catalog.all_files()))
        (docs / "after.md").write_text("the okapi arrives")
        wait_for(lambda: bool(paths_for(engine, "okapi", "bm25")))
        assert any("broken.pdf" in m for m in running.watcher.status.messages)


def test_watch_limit_falls_back_to_polling(engine: Engine, docs: Path) -> None:
    class Exhausted:
        def schedule(self, *args: object, **kwargs: object) -> None:
            raise OSError(errno.ENOSPC, "inotify watch limit reached")

        def stop(self) -> None:
            pass

        def is_alive(self) -> bool:
            return False

    watcher = Watcher(engine, poll_interval_s=0.2, observer_factory=Exhausted)
    with Running(watcher):
        assert watcher.status.polling == [str(docs.resolve())]
        assert any("max_user_watches" in m for m in watcher.status.messages)
        (docs / "polled.md").write_text("the capybara sleeps")
        wait_for(lambda: bool(paths_for(engine, "capybara", "bm25")))
