"""Watcher figures: save-to-searchable latency, a 1,000-file burst, disk after 1,000 edits.

Usage: python tests/bench/watch_bench.py [--saves 20] [--burst 1000] [--edits 1000]
Prints one JSON object. Run on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from ragtui.config import load_settings
from ragtui.core.engine import Engine
from ragtui.core.eval.metrics import percentile
from ragtui.core.watch import Watcher

DEMO = Path(__file__).resolve().parents[2] / "assets" / "demo" / "corpus"


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _note(i: int) -> str:
    body = "\n\n".join(
        f"## Section {s}\n\nParagraph {s} of revision {i} discusses the quarterly garden "
        f"budget, compost ratios and seed orders for bed {s}."
        for s in range(80)
    )
    return f"# Notebook\n\nUnique marker token qz{i}x.\n\n{body}\n"


def _wait(check: object, timeout: float = 120.0) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if check():  # type: ignore[operator]
            return time.perf_counter() - start
        time.sleep(0.01)
    raise TimeoutError


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--edits", type=int, default=1000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ragtui-watch-bench-"))
    docs = work / "docs"
    shutil.copytree(DEMO, docs)
    engine = Engine(load_settings(), work / "data")
    engine.add_folder(docs)
    watcher = Watcher(engine)
    cancel = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(cancel,), daemon=True)
    thread.start()
    _wait(lambda: watcher.status.state == "watching")
    note = docs / "notebook.md"
    figures: dict[str, object] = {"note_bytes": len(_note(0).encode())}

    latencies = []
    for i in range(args.saves):
        note.write_text(_note(i))
        token = f"qz{i}x"
        latencies.append(
            _wait(
                lambda t=token: any(  # type: ignore[misc]
                    h.path == str(note) and t in h.text for h in engine.search(t, k=3).hits
                )
            )
        )
        time.sleep(0.2)
    figures["save_to_searchable_s_p50"] = round(percentile(latencies, 50), 3)
    figures["save_to_searchable_s_p95"] = round(percentile(latencies, 95), 3)

    before = watcher.status.batches
    burst = docs / "burst"
    burst.mkdir()
    started = time.perf_counter()
    for i in range(args.burst):
        (burst / f"b{i:04d}.md").write_text(f"# B{i}\n\nburst marker bm{i}q\n")
    _wait(
        lambda: (
            sum(1 for f in engine.catalog.all_files() if "/burst/" in f.path) == args.burst
            and watcher.status.pending == 0
            and watcher.status.state == "watching"
        ),
        1800,
    )
    figures["burst_files"] = args.burst
    figures["burst_batches"] = watcher.status.batches - before
    figures["burst_all_indexed_s"] = round(time.perf_counter() - started, 1)
    shutil.rmtree(burst)
    _wait(lambda: not any("/burst/" in f.path for f in engine.catalog.all_files()), 120)

    for i in range(args.edits):
        note.write_text(_note(10_000 + i))
        time.sleep(0.02)
    last = f"qz{10_000 + args.edits - 1}x"
    _wait(
        lambda: any(h.path == str(note) and last in h.text for h in engine.search(last, k=3).hits),
        600,
    )
    _wait(lambda: watcher.status.pending == 0 and watcher.status.state == "watching", 600)
    time.sleep(2 * watcher.housekeeping_after_s + 10)  # let idle housekeeping run (twice)
    cancel.set()
    thread.join()
    engine.close()
    after_edits = _du(work / "data")
    figures["lance_files"] = sum(1 for f in (work / "data" / "lancedb").rglob("*") if f.is_file())
    figures["after_edits_by_dir"] = {
        p.name: _du(p) if p.is_dir() else p.stat().st_size for p in (work / "data").iterdir()
    }
    rebuilt = Engine(load_settings(), work / "data-clean")
    rebuilt.add_folder(docs)
    rebuilt.index()
    rebuilt.close()
    clean = _du(work / "data-clean")
    figures["clean_by_dir"] = {
        p.name: _du(p) if p.is_dir() else p.stat().st_size for p in (work / "data-clean").iterdir()
    }
    figures.update(
        {
            "edits": args.edits,
            "data_bytes_after_edits": after_edits,
            "data_bytes_clean_rebuild": clean,
            "disk_ratio_vs_clean": round(after_edits / clean, 3),
        }
    )
    print(json.dumps(figures))
    if not os.environ.get("KEEP"):
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(work)


if __name__ == "__main__":
    os.environ.setdefault("LANCEDB_LOG", "error")
    main()
