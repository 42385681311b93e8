"""``ragtui prompts …`` and ``ragtui feedback`` over synthetic ask traces (no model)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from ragtui import paths
from ragtui.cli import app
from ragtui.core.trace_store import TraceStore
from tests.unit.test_prompt_stats import ask_trace
from tests.unit.test_rollout import write_candidate

runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _rollout() -> None:
    write_candidate()
    config = paths.config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[answer]\nprompt_candidates = {"qa@2" = 0.25}\n')


def test_list_stats_feedback_promote_and_rollback() -> None:
    _rollout()
    code, out, _ = _run("prompts", "list")
    assert code == 0
    assert any(
        line.split()[:2] == ["qa@1", "bundled"] and "default" in line for line in out.splitlines()
    )
    assert any(
        line.split()[:2] == ["qa@2", "user"] and "candidate 25%" in line
        for line in out.splitlines()
    )
    store = TraceStore(paths.layout().traces)
    traces = [ask_trace("qa@1"), ask_trace("qa@2", faithful=0.5)]
    store.write(traces)
    store.close()
    code, out, _ = _run("feedback", traces[1].trace_id[:8], "up")
    assert code == 0 and out.strip() == f"Rated {traces[1].trace_id[:12]} up."
    code, _, err = _run("feedback", traces[1].trace_id[:8], "sideways")
    assert code == 1 and "up or down" in err
    code, out, _ = _run("prompts", "stats", "--since", "all", "--json")
    report = json.loads(out)
    versions = {v["prompt"]: v for v in report["versions"]}
    assert versions["qa@2"]["thumbs_up"] == 1 and versions["qa@2"]["faithfulness_embedding"] == 0.5
    assert report["comparisons"][0]["candidate"] == "qa@2"
    code, out, _ = _run("prompts", "stats", "--since", "all")
    assert code == 0 and "qa@2 against qa@1 (unpaired bootstrap" in out
    code, out, _ = _run("prompts", "promote", "qa@2")
    assert code == 0 and "qa@2 is the default prompt (was qa@1)" in out
    code, out, _ = _run("prompts", "rollback")
    assert code == 0 and "qa@1 is the default prompt (was qa@2)" in out and "qa@2 25%" in out


def test_unknown_versions_are_one_sentence() -> None:
    for args in (
        ("prompts", "promote", "qa@9"),
        ("prompts", "promote", "qa"),
        ("prompts", "rollback"),
    ):
        code, _, err = _run(*args)
        assert code == 1 and len(err.strip().splitlines()) == 1, err
    assert "no version 9" in _run("prompts", "promote", "qa@9")[2]
    assert "name@N" in _run("prompts", "promote", "qa")[2]
