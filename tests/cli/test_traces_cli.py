"""``ragtui traces …`` and ``ragtui stats`` on traces of real searches."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from ragtui.cli import app
from tests.conftest import DEMO_CORPUS

runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _searched(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(DEMO_CORPUS, docs)
    assert _run("add", str(docs))[0] == 0
    assert _run("index")[0] == 0
    assert _run("search", "timing belt")[0] == 0
    assert _run("search", "oil change interval")[0] == 0


def test_list_show_last_and_json_shapes(tmp_path: Path) -> None:
    _searched(tmp_path)
    code, out, _ = _run("traces", "list", "--json")
    assert code == 0
    listed = json.loads(out)["traces"]
    assert [t["name"] for t in listed] == ["search", "search", "index"]
    assert listed[0]["input"] == "oil change interval"
    code, out, _ = _run("traces", "show", listed[1]["trace_id"][:10], "--json")
    trace = json.loads(out)
    assert set(trace) >= {"trace_id", "name", "start", "duration_ms", "status", "spans"}
    assert trace["trace_id"] == listed[1]["trace_id"]
    for span in trace["spans"]:
        assert set(span) >= {"span_id", "parent_id", "name", "start", "duration_ms", "attributes"}
    code, out, _ = _run("traces", "last")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("trace ") and "search" in lines[0]
    assert any(line.startswith("└─ search") or line.startswith("├─ search") for line in lines)
    dense = next(line for line in lines if "retrieve.dense" in line)
    assert dense.startswith(("   ├─ retrieve.dense", "   └─ retrieve.dense"))  # under search
    code, out, _ = _run("traces", "list", "--limit", "1")
    assert code == 0 and len(out.splitlines()) == 2 and "oil change interval" in out


def test_unknown_trace_is_one_sentence() -> None:
    code, _, err = _run("traces", "show", "ffff")
    assert code == 1 and "ragtui traces list" in err and len(err.strip().splitlines()) == 1


def test_export_and_purge(tmp_path: Path) -> None:
    _searched(tmp_path)
    out_file = tmp_path / "out.json"
    code, out, _ = _run("traces", "export", "--format", "otlp-json", str(out_file))
    assert code == 0 and "3 traces" in out
    assert json.loads(out_file.read_text())["resourceSpans"][0]["scopeSpans"][0]["spans"]
    code, _, err = _run("traces", "export", "--format", "zipkin", str(out_file))
    assert code == 1 and "otlp-json" in err
    code, out, _ = _run("traces", "purge")
    assert code == 0 and "Deleted 3 traces" in out
    assert json.loads(_run("traces", "list", "--json")[1]) == {"traces": []}


def test_stats(tmp_path: Path) -> None:
    _searched(tmp_path)
    code, out, _ = _run("stats", "--since", "all", "--json")
    figures = json.loads(out)
    assert code == 0 and figures["traces"] == 3
    assert figures["stages"]["search"]["count"] == 2
    assert figures["index"]["files"] == 9 and figures["index"]["bytes_on_disk"] > 0
    code, out, _ = _run("stats")
    assert code == 0 and "Stage latency" in out and "retrieve.dense" in out
    code, _, err = _run("stats", "--since", "yesterday")
    assert code == 1 and "24h" in err


def test_stats_on_a_fresh_data_dir_shows_empty_figures() -> None:
    code, out, err = _run("stats", "--json")
    assert code == 0, err
    assert json.loads(out)["traces"] == 0
    code, out, _ = _run("stats")
    assert code == 0 and "Index: 0 files" in out


def test_stats_columns_stay_apart_with_large_numbers() -> None:
    from ragtui.cli.traces import _columns

    lines = _columns(
        [
            ["", "n", "p50", "p95"],
            ["index", "1,234", "11,296,645.4", "1,296,645.4"],
            ["search", "7", "3.1", "9.9"],
        ]
    )
    assert lines[1].split() == ["index", "1,234", "11,296,645.4", "1,296,645.4"]
    assert len({len(line) for line in lines}) == 1  # right-aligned columns end together
    assert lines[2].endswith("9.9") and lines[2].split() == ["search", "7", "3.1", "9.9"]
