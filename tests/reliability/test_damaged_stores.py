"""A damaged store is found and mended: the catalog salvaged, derived indexes rebuilt,
caches recreated, traces set aside. Each test indexes the demo corpus through the CLI,
damages one store and runs the commands again."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from ragtui.cli import app

PAGE = 4096


def _cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def _keyword_only(home: Path, tmp_path: Path) -> None:
    """No embedding model: indexing is fast and searches are BM25."""
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[embedding]\nmodel_dir = "{tmp_path / "no-model"}"\n')


def _indexed(home: Path, docs: Path, tmp_path: Path | None = None) -> Path:
    """The demo corpus added and indexed (keyword only when ``tmp_path`` is given)."""
    if tmp_path is not None:
        _keyword_only(home, tmp_path)
    assert _cli("add", str(docs)).exit_code == 0
    result = _cli("index", "--json")
    assert result.exit_code == 0, result.output
    return home / "data"


def _truncate(path: Path) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.truncate(size // 2)


def _garble(path: Path, offset: int, length: int) -> None:
    with open(path, "r+b") as handle:
        handle.seek(offset)
        handle.write(random.Random(15).randbytes(length))


def _warnings(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("warning:")]


@pytest.mark.parametrize("damage", ["truncated", "garbage in the middle"])
def test_a_damaged_catalog_is_salvaged_and_keeps_its_folders(
    damage: str, ragtui_home: Path, tmp_path: Path, demo_docs: Path
) -> None:
    data = _indexed(ragtui_home, demo_docs, tmp_path)
    catalog = data / "catalog.sqlite"
    if damage == "truncated":
        _truncate(catalog)
    else:
        _garble(catalog, 5 * PAGE, 4 * PAGE)
    folders = _cli("folders", "--json")
    assert folders.exit_code == 0, folders.output
    assert json.loads(folders.stdout)["folders"] == [str(demo_docs)]
    warned = _warnings(folders)
    assert len(warned) == 1 and "catalog.sqlite was damaged" in warned[0]
    assert "kept 1 registered folder" in warned[0] and "lost " in warned[0]
    assert list(data.glob("catalog.sqlite.corrupt-*"))
    index = _cli("index", "--json")
    assert index.exit_code == 0, index.output
    search = _cli("search", "oil change", "--mode", "bm25", "--json")
    assert search.exit_code == 0 and json.loads(search.stdout)["hits"]
    assert _cli("index", "--rebuild").exit_code == 0
    counts = _cli("index", "--json")
    assert json.loads(counts.stdout)["unchanged"] == 9 and not _warnings(counts)


def test_a_deleted_catalog_gets_its_folders_back_from_folders_json(
    ragtui_home: Path, tmp_path: Path, demo_docs: Path
) -> None:
    data = _indexed(ragtui_home, demo_docs, tmp_path)
    assert json.loads((data / "folders.json").read_text())["folders"] == [str(demo_docs)]
    (data / "catalog.sqlite").unlink()
    assert json.loads(_cli("folders", "--json").stdout)["folders"] == [str(demo_docs)]
    assert _cli("remove", str(demo_docs)).exit_code == 0
    assert json.loads((data / "folders.json").read_text())["folders"] == []


def _delete_fragments(data: Path) -> int:
    fragments = list((data / "lancedb").glob("*.lance/data/*.lance"))
    for fragment in fragments:
        fragment.unlink()
    return len(fragments)


@pytest.mark.slow
def test_a_deleted_vector_fragment_is_dropped_and_embedded_again(
    ragtui_home: Path, demo_docs: Path
) -> None:
    data = _indexed(ragtui_home, demo_docs)
    chunks = json.loads(_cli("index", "--json").stdout)
    assert chunks["embedded_fraction"] == 1.0
    assert _delete_fragments(data)
    index = _cli("index", "--json")
    assert index.exit_code == 0, index.output
    report = json.loads(index.stdout)
    assert report["embedded"] > 0 and report["embedded_fraction"] == 1.0
    assert "vector index" in _warnings(index)[0] and "was damaged" in _warnings(index)[0]
    assert _delete_fragments(data)
    assert _checks(_cli("doctor", "--json"))["store.vectors"] == "fail"
    search = _cli("search", "oil change", "--json")
    assert search.exit_code == 0, search.output
    assert json.loads(search.stdout)["hits"]  # keyword search goes on
    assert len(_warnings(search)) == 1
    assert _cli("index").exit_code == 0
    dense = _cli("search", "oil change", "--mode", "dense", "--json")
    assert dense.exit_code == 0 and json.loads(dense.stdout)["hits"]


@pytest.mark.parametrize(
    "command",
    [["search", "oil change", "--mode", "bm25", "--json"], ["index", "--rebuild", "--json"]],
)
def test_a_garbled_keyword_index_is_wiped_and_rebuilt_from_the_catalog(
    command: list[str], ragtui_home: Path, tmp_path: Path, demo_docs: Path
) -> None:
    data = _indexed(ragtui_home, demo_docs, tmp_path)
    (data / "tantivy" / "meta.json").write_text("garbage{")
    result = _cli(*command)
    assert result.exit_code == 0, result.output
    warned = _warnings(result)
    assert any("keyword index" in w and "was damaged" in w for w in warned), warned
    search = _cli("search", "oil change", "--mode", "bm25", "--json")
    assert json.loads(search.stdout)["hits"] and not _warnings(search)


@pytest.mark.slow
@pytest.mark.parametrize("where", ["header", "middle"])
def test_a_garbled_embedding_cache_is_recreated_silently(
    where: str, ragtui_home: Path, demo_docs: Path
) -> None:
    data = _indexed(ragtui_home, demo_docs)
    cache_db = data / "cache" / "embeddings" / "cache.db"
    _garble(cache_db, 0 if where == "header" else 2 * PAGE, 8 * PAGE)
    search = _cli("search", "oil change", "--json")
    assert search.exit_code == 0, search.output
    assert json.loads(search.stdout)["hits"] and not _warnings(search)
    _garble(cache_db, 0 if where == "header" else 2 * PAGE, 8 * PAGE)
    rebuild = _cli("index", "--rebuild", "--json")
    assert rebuild.exit_code == 0, rebuild.output
    report = json.loads(rebuild.stdout)
    assert report["embedded"] == report["chunks"] > 0 and report["embedded_fraction"] == 1.0
    assert "recreated the damaged cache" in (data / "logs" / "stores.log").read_text()


@pytest.mark.parametrize("name", ["answers", "llm-state"])
def test_any_garbled_cache_opens_empty(name: str, tmp_path: Path) -> None:
    from ragtui.core.cache import DisposableCache

    folder = tmp_path / "data" / "cache" / name
    cache = DisposableCache(folder, 8)
    cache.set("kept", "value")
    cache.close()
    _garble(folder / "cache.db", 0, 2 * PAGE)
    cache = DisposableCache(folder, 8)
    assert cache.get("kept") is None
    cache.set("again", 1)
    assert cache.get("again") == 1
    cache.close()


@pytest.mark.parametrize("command", [["traces", "list"], ["stats"]])
def test_a_truncated_trace_store_is_set_aside_with_one_warning(
    command: list[str], ragtui_home: Path, tmp_path: Path, demo_docs: Path
) -> None:
    data = _indexed(ragtui_home, demo_docs, tmp_path)
    assert _cli("search", "oil change", "--mode", "bm25").exit_code == 0
    traces = data / "traces.sqlite"
    assert traces.stat().st_size > 2 * PAGE
    _truncate(traces)
    result = _cli(*command)
    assert result.exit_code == 0, result.output
    warned = _warnings(result)
    assert len(warned) == 1 and "traces.sqlite was damaged" in warned[0], result.stderr
    assert len(list(data.glob("traces.sqlite.corrupt-*"))) == 1
    again = _cli(*command)
    assert again.exit_code == 0 and not _warnings(again)


def _checks(result: Result) -> dict[str, str]:
    return {c["name"]: c["status"] for c in json.loads(result.stdout)["checks"]}


def test_doctor_fails_each_damaged_store_and_repair_mends_them(
    ragtui_home: Path, tmp_path: Path, demo_docs: Path
) -> None:
    data = _indexed(ragtui_home, demo_docs, tmp_path)
    assert _cli("search", "oil change", "--mode", "bm25").exit_code == 0
    _garble(data / "catalog.sqlite", 5 * PAGE, 4 * PAGE)
    (data / "tantivy" / "meta.json").write_text("garbage{")
    _truncate(data / "traces.sqlite")
    (data / "cache" / "answers").mkdir(parents=True)
    (data / "cache" / "answers" / "cache.db").write_bytes(b"garbage" * 1000)
    damaged = {"store.catalog", "store.keywords", "store.traces", "store.cache.answers"}
    found = _cli("doctor", "--json")
    assert found.exit_code == 1 and not json.loads(found.stdout)["ok"]
    failed = {name for name, status in _checks(found).items() if status == "fail"}
    assert failed - {"models.embedding"} == {*damaged, "index"}  # keyword only: no model
    mended = _cli("doctor", "--repair", "--json")
    assert {n for n, status in _checks(mended).items() if status == "fail"} == {
        "models.embedding"
    }, mended.output
    assert {
        name
        for name, status in _checks(mended).items()
        if name.startswith("store.") and status == "warn"
    } == damaged
    again = _checks(_cli("doctor", "--json"))
    assert all(again[name] == "ok" for name in [*damaged, "index"]), again


def test_doctor_warns_of_a_file_that_could_not_be_indexed(
    ragtui_home: Path, tmp_path: Path, demo_docs: Path
) -> None:
    import os

    bad = os.path.join(os.fsencode(demo_docs), b"bad\xffname.pdf")
    with open(bad, "wb") as handle:
        handle.write(b"%PDF-1.4 this is no PDF at all")
    _indexed(ragtui_home, demo_docs, tmp_path)
    result = _cli("doctor", "--json")
    files = next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "files")
    assert files["status"] == "warn" and "1 files could not be indexed" in files["detail"]
    assert "bad" in files["detail"] and "name.pdf" in files["detail"]
