"""The CLI through the same Engine factory: exit codes, one-sentence errors, JSON shapes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ragtui.cli import app
from tests.cli.test_json_contracts import problems
from tests.conftest import DEMO_CORPUS

runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    code, out, _ = _run("--version")
    assert code == 0 and out.startswith("ragtui ")


def test_folders_add_list_remove(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    assert _run("add", str(docs))[0] == 0
    code, out, _ = _run("folders", "--json")
    assert code == 0 and json.loads(out) == {"folders": [str(docs.resolve())]}
    assert _run("remove", str(docs))[0] == 0
    assert json.loads(_run("folders", "--json")[1]) == {"folders": []}


def test_user_errors_are_one_sentence(tmp_path: Path) -> None:
    code, out, err = _run("add", str(tmp_path / "nope"))
    assert code == 1 and "does not exist" in err and "Traceback" not in out + err
    assert len(err.strip().splitlines()) == 1
    code, _, err = _run("index")
    assert code == 1 and "ragtui add" in err
    code, _, err = _run("search", "x", "--mode", "fuzzy")
    assert code == 1 and "hybrid" in err
    code, _, err = _run("remove", str(tmp_path))
    assert code == 1 and "not a registered folder" in err


def test_bad_config_is_one_sentence(ragtui_home: Path) -> None:
    config = ragtui_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[retrieval]\nk = -3\n")
    code, _, err = _run("folders")
    assert code == 1 and "retrieval.k" in err and len(err.strip().splitlines()) == 1


def test_home_option_moves_everything(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    other = tmp_path / "other-home"
    assert _run("--home", str(other), "add", str(docs))[0] == 0
    assert (other / "data" / "catalog.sqlite").is_file()


@pytest.mark.slow
def test_index_and_search_json(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(DEMO_CORPUS, docs)
    _run("add", str(docs))
    code, out, _ = _run("index", "--json")
    assert code == 0
    report = json.loads(out)
    for key in (
        "added",
        "updated",
        "removed",
        "skipped",
        "failed",
        "chunks",
        "seconds",
        "embedded_fraction",
    ):
        assert key in report
    assert report["added"] == sum(1 for p in docs.rglob("*") if p.is_file())
    assert report["embedded_fraction"] == 1.0
    code, out, _ = _run("search", "pager phone number", "-k", "3", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["embedded_fraction"] == 1.0 and len(result["hits"]) == 3
    top = result["hits"][0]
    assert set(top) >= {"chunk_id", "path", "location", "score", "snippet"}
    assert top["path"].endswith("oncall-runbook.html")
    code, out, _ = _run("search", "pager phone number", "--mode", "bm25")
    assert code == 0 and "oncall-runbook.html" in out
    code, out, _ = _run("index")
    assert code == 0 and "added 0 · updated 0 · removed 0" in out
    # an on-topic question the notes cannot answer: declined before the model, with the
    # nearest passages to check
    code, out, _ = _run("ask", "What colour is the Kestrel?", "--json")
    declined = json.loads(out)
    assert code == 0 and declined["abstained"] and declined["citations"] == []
    assert declined["closest"][0]["path"].endswith("car-maintenance.md")
    code, out, _ = _run("ask", "What colour is the Kestrel?")
    assert "nearest passages" in out and "car-maintenance.md" in out


@pytest.mark.slow
def test_eval_beir_on_a_tiny_dataset(tmp_path: Path) -> None:
    beir = tmp_path / "beir"
    (beir / "qrels").mkdir(parents=True)
    docs = [
        {"_id": "d1", "title": "Timing belts", "text": "Replace the timing belt at 45,000 miles."},
        {"_id": "d2", "title": "Oil", "text": "Change the engine oil every 7,500 miles."},
        {"_id": "d3", "title": "Bread", "text": "Bake banana bread for 55 minutes."},
    ]
    (beir / "corpus.jsonl").write_text("\n".join(json.dumps(d) for d in docs))
    queries = [
        {"_id": "q1", "text": "when does the timing belt need replacing"},
        {"_id": "q2", "text": "how long to bake banana bread"},
    ]
    (beir / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in queries))
    (beir / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t1\n")
    code, out, _ = _run("eval", "beir", str(beir), "--json")
    assert code == 0, out
    scores = json.loads(out)
    assert scores["queries"] == 2 and scores["ndcg@10"] == 1.0 and scores["mrr@10"] == 1.0
    assert scores["recall@100"] == 1.0 and scores["latency_ms_p50"] > 0
    code, out, _ = _run("eval", "beir", str(beir), "--mode", "bm25", "--json")
    assert json.loads(out)["ndcg@10"] == 1.0
    code, _, err = _run("eval", "beir", str(tmp_path))
    assert code == 1 and "corpus.jsonl" in err


def test_missing_model_is_one_sentence_and_keyword_search_still_works(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(DEMO_CORPUS, docs)
    config = tmp_path / "home" / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[embedding]\nmodel_dir = "{tmp_path / "no-model"}"\n')
    _run("add", str(docs))
    code, out, err = _run("index")
    assert code == 0, err
    assert "Keyword search only" in err and "embedding.model_dir" in err
    code, out, _ = _run("search", "timing belt", "--mode", "bm25")
    assert code == 0 and "car-maintenance.md" in out
    code, out, err = _run("search", "timing belt", "--mode", "dense")
    assert code == 0 and "No matches" in out


def test_unknown_model_name_names_the_fix() -> None:
    from ragtui.config import load_settings
    from ragtui.core.embed import Embedder
    from ragtui.core.errors import ModelMissing

    with pytest.raises(ModelMissing, match=r"models\.toml"):
        Embedder(load_settings(embedding={"model": "no-such-model"}).embedding)


@pytest.mark.slow
def test_bench_reports_its_figures(tmp_path: Path) -> None:
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        "".join(
            json.dumps({"question": q}) + "\n"
            for q in ("How often should the oil be changed?", "What is the router admin address?")
        )
    )
    code, out, err = _run(
        "bench",
        "--corpus",
        str(DEMO_CORPUS),
        "--json",
        "--rounds",
        "1",
        "--traces",
        "300",
        "--questions",
        str(questions),
    )
    assert code == 0, err
    figures = json.loads(out)
    assert problems("bench", figures) == []
    assert figures["chunks"] > 0 and figures["index_failed"] == 0
    assert figures["raw_embed_chunks_per_s"] > 0 and figures["index_chunks_per_s"] > 0
    assert figures["index_vs_raw_embed"] == pytest.approx(
        figures["index_chunks_per_s"] / figures["raw_embed_chunks_per_s"], rel=0.01
    )
    assert 0 < figures["search_ms_p50"] <= figures["search_ms_p95"]
    assert figures["search_ms_p50_tracing_on"] > 0 and figures["search_ms_p50_tracing_off"] > 0
    assert figures["tracing_overhead_search"] == pytest.approx(
        figures["search_ms_p50_tracing_on"] / figures["search_ms_p50_tracing_off"] - 1, abs=1e-3
    )
    assert figures["ask_ms_p50_tracing_on"] > 0 and "tracing_overhead_ask" in figures
    assert figures["traces_stored"] == 300 and figures["spans_per_trace"] > 10
    assert figures["traces_list_ms"] > 0 and figures["stats_ms"] > 0


def test_bare_command_opens_the_app_and_help_still_works(monkeypatch: pytest.MonkeyPatch) -> None:
    import ragtui.cli.root as cli

    opened: list[bool] = []
    monkeypatch.setattr(cli, "_run_tui", lambda: opened.append(True))
    code, _, _ = _run()
    assert code == 0 and opened == [True]
    code, out, _ = _run("--help")
    assert code == 0 and "Usage" in out and opened == [True]
    code, _, _ = _run("folders")
    assert code == 0 and opened == [True]


def _help_line(help_text: str, option: str) -> str:
    lines = [line for line in help_text.splitlines() if f"{option} " in line]
    assert lines, f"{option} is not in the help"
    return lines[0]


def test_help_shows_flags_without_a_value() -> None:
    code, out, _ = _run("ask", "--help")
    assert code == 0
    for flag in ("--json", "--no-cache", "--help"):
        assert "<" not in _help_line(out, flag), f"{flag} takes no value"
    assert "<int>" in _help_line(out, "-k"), "options with a value keep their type"
    code, out, _ = _run("--help")
    assert code == 0
    for flag in ("--version", "--help"):
        assert "<" not in _help_line(out, flag), f"{flag} takes no value"
    assert "<path>" in _help_line(out, "--home")
