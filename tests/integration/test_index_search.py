"""Indexing and search on the real stack: LanceDB, Tantivy and the default ONNX model."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ragtui.config import load_settings
from ragtui.core.engine import Engine, create_engine
from ragtui.core.errors import Cancelled, IndexLocked, IndexModelMismatch
from ragtui.core.giveway import giving_way
from ragtui.core.index.lock import writer_lock

pytestmark = pytest.mark.slow


@pytest.fixture
def corpus(demo_docs: Path) -> Path:
    return demo_docs


@pytest.fixture
def engine(corpus: Path) -> Engine:
    eng = create_engine()
    eng.add_folder(corpus)
    return eng


def test_index_then_search_all_modes(engine: Engine, corpus: Path) -> None:
    report = engine.index()
    assert report.failed == 0
    assert report.added == len([p for p in corpus.rglob("*") if p.is_file()])
    assert report.chunks > 0 and report.embedded == report.chunks
    assert report.embedded_fraction == 1.0
    for mode in ("hybrid", "dense", "bm25"):
        result = engine.search("when is the timing belt replaced", mode=mode, k=3)
        assert result.hits, mode
        assert result.hits[0].path.endswith("car-maintenance.md"), (mode, result.hits[0].path)
        assert "45,000" in result.hits[0].text
    hit = engine.search("router admin page address", k=1).hits[0]
    assert hit.path.endswith("home-network.txt")
    assert hit.location.line_start is not None and hit.location.line_end is not None
    lines = Path(hit.path).read_text().splitlines()
    cited = "\n".join(lines[hit.location.line_start - 1 : hit.location.line_end])
    assert hit.text.splitlines()[0].strip() in cited


def test_unchanged_tree_embeds_nothing(engine: Engine) -> None:
    engine.index()
    again = engine.index()
    assert (again.added, again.updated, again.removed, again.chunks, again.embedded) == (
        0,
        0,
        0,
        0,
        0,
    )
    assert again.unchanged > 0


def test_changed_file_replaces_exactly_its_chunks(engine: Engine, corpus: Path) -> None:
    engine.index()
    before = engine.stats.counts()
    note = corpus / "recipes.md"
    note.write_text(note.read_text() + "\n\n## Zucchini fritters\n\nGrate two zucchini.\n")
    os.utime(note, ns=(time.time_ns(), time.time_ns() + 10**9))
    report = engine.index()
    assert (report.updated, report.added, report.removed) == (1, 0, 0)
    hits = engine.search("zucchini fritters", k=5, mode="bm25").hits
    assert hits and hits[0].path == str(note)
    dense = engine.search("zucchini fritters", k=1, mode="dense").hits
    assert dense[0].path == str(note)
    after = engine.stats.counts()
    assert after.chunks == engine.store.keywords.count() == engine.store.vectors.count()
    assert after.chunks >= before.chunks


def test_deleted_file_leaves_both_indexes(engine: Engine, corpus: Path) -> None:
    engine.index()
    (corpus / "car-maintenance.md").unlink()
    report = engine.index()
    assert report.removed == 1
    for mode in ("hybrid", "dense", "bm25"):
        paths = {h.path for h in engine.search("timing belt", mode=mode, k=20).hits}
        assert not any(p.endswith("car-maintenance.md") for p in paths)
    chunks = engine.stats.counts().chunks
    assert chunks == engine.store.keywords.count() == engine.store.vectors.count()


def test_duplicates_stored_once_both_paths_kept(engine: Engine, corpus: Path) -> None:
    engine.index()
    chunks = engine.stats.counts().chunks
    shutil.copy(corpus / "recipes.md", corpus / "recipes-copy.md")
    report = engine.index()
    assert report.added == 1 and report.chunks == 0
    assert engine.stats.counts().chunks == chunks
    hit = engine.search("banana bread oven", k=1).hits[0]
    assert {hit.path, *hit.also_at} == {str(corpus / "recipes.md"), str(corpus / "recipes-copy.md")}


def test_keyword_search_before_embedding(engine: Engine) -> None:
    report = engine.index(embed=False)
    assert report.embedded_fraction == 0.0
    result = engine.search("pager number", k=3)
    assert result.embedded_fraction == 0.0
    assert result.hits and result.hits[0].path.endswith("oncall-runbook.html")
    resumed = engine.index()
    assert resumed.embedded == engine.stats.counts().chunks and resumed.embedded_fraction == 1.0


def test_background_search_and_embedding_give_way_to_a_question(engine: Engine) -> None:
    engine.index()
    question = threading.Event()
    with giving_way(question):
        assert engine.search("when is the timing belt replaced", k=3).hits  # not asked yet
        question.set()
        with pytest.raises(Cancelled):
            engine.search("how often are the tyres rotated", k=3)
        with pytest.raises(Cancelled):
            engine.store.embedder.embed_passages(["a sentence never embedded before", "and two"])
    assert engine.search("how often are the tyres rotated", k=3).hits  # a person's search


def test_filters_and_mmr(engine: Engine) -> None:
    engine.index()
    only_md = engine.search("network", k=10, file_types=["md"]).hits
    assert only_md and all(h.path.endswith(".md") for h in only_md)
    only_glob = engine.search("network", k=10, path_glob="*home-network*").hits
    assert only_glob and all("home-network" in h.path for h in only_glob)
    diverse = engine.search("plantwatch sensor", k=4, diversify=True).hits
    assert len({h.chunk_id for h in diverse}) == len(diverse) == 4


def test_other_embedding_model_is_refused(engine: Engine, tmp_path: Path) -> None:
    engine.index()
    model_dir = engine.embedder.model_dir
    other = tmp_path / "other-model"
    shutil.copytree(model_dir, other)
    settings = load_settings(embedding={"model": "someone-else", "model_dir": other})
    changed = Engine(settings, engine.data_dir)
    with pytest.raises(IndexModelMismatch, match="--rebuild"):
        changed.search("timing belt", mode="dense")
    assert changed.search("timing belt", mode="bm25").hits
    report = changed.index(rebuild=True)
    assert report.embedded == changed.stats.counts().chunks
    assert changed.search("timing belt", mode="dense").hits


def test_second_writer_is_refused_readers_keep_working(engine: Engine) -> None:
    engine.index()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; "
            "from ragtui.core.index.lock import writer_lock\n"
            "with writer_lock(Path(sys.argv[1])):\n"
            "    print('held', flush=True); time.sleep(60)",
            str(engine.data_dir),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(IndexLocked, match=f"pid {holder.pid}"):
            engine.index()
        reader = create_engine()
        assert reader.search("timing belt", k=1).hits
    finally:
        holder.kill()
        holder.wait()
    with writer_lock(engine.data_dir), writer_lock(engine.data_dir):
        engine.index()  # re-entrant within the process that holds it


def test_vectors_at_a_uri(corpus: Path, tmp_path: Path) -> None:
    uri = f"file://{tmp_path / 'elsewhere' / 'vectors'}"
    settings = load_settings(index={"vectors_uri": uri})
    eng = create_engine(settings)
    eng.add_folder(corpus)
    eng.index()
    assert (tmp_path / "elsewhere" / "vectors").is_dir()
    assert eng.search("timing belt", mode="dense").hits
