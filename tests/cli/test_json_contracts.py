"""Every ``--json`` output of the CLI against its JSON Schema in ``ragtui/schemas``.

The outputs are real: a demo library indexed with the default embedding model, searched,
asked (no LLM: the extractive answer, and a declined one), evaluated twice and traced; then
evaluated continuously on a kept set (no LLM draws one: the fixture keeps three demo cases as
set@1) and asked under a prompt rollout with a user candidate, rated, and compared.
``eval generate`` needs the model to write questions, so it has no schema here yet.
``bench`` takes minutes; its output is checked by the slow bench test in test_cli.py.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from typer.testing import CliRunner

from ragtui import paths, schemas
from ragtui.cli import app
from ragtui.core.models import Answer
from tests.conftest import DEMO_CORPUS, REPO, install_bundled

runner = CliRunner()
SLOW_ONLY = {"bench"}


def _registry() -> Registry:
    """Every schema by its ``$id``, so one may refer to another (``ask-stream`` → ``ask``)."""
    return Registry().with_resources(
        (schemas.load(n)["$id"], Resource.from_contents(schemas.load(n))) for n in schemas.names()
    )


def problems(name: str, document: Any) -> list[str]:
    """Where ``document`` breaks the schema ``name`` (empty: it conforms)."""
    validator = Draft202012Validator(schemas.load(name), registry=_registry())
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def _json(*args: str, exit_code: int = 0) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == exit_code, result.stderr
    return json.loads(result.stdout)


def _lines(*args: str) -> list[Any]:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture(scope="module")
def outputs(
    tmp_path_factory: pytest.TempPathFactory, bundled_models: dict[str, Path]
) -> Iterator[dict[str, list[Any]]]:
    """Schema name → the real outputs of the commands that print it."""
    root = tmp_path_factory.mktemp("contracts")
    home, docs = root / "home", root / "docs"
    shutil.copytree(DEMO_CORPUS, docs)
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith("RAGTUI_")]:
            mp.delenv(key)
        mp.setenv("RAGTUI_HOME", str(home))
        install_bundled(bundled_models, home)
        config = home / "config" / "config.toml"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(f'[llm]\nmodel_path = "{root / "no-model.gguf"}"\n')
        cases = root / "cases.jsonl"
        rows = [json.loads(line) for line in (REPO / "assets/demo/questions.jsonl").open()]
        cases.write_text(
            "".join(
                json.dumps(
                    {
                        k: r[k]
                        for k in (
                            "id",
                            "question",
                            "expected_answer",
                            "expected_sources",
                            "answerable",
                        )
                    }
                )
                + "\n"
                for r in rows[:3]
            )
        )
        assert runner.invoke(app, ["add", str(docs)]).exit_code == 0
        found: dict[str, list[Any]] = {
            "eval-continuous-run": [_json("eval", "continuous", "run")],  # not due: no index
            "eval-continuous-status": [_json("eval", "continuous", "status")],
        }
        found |= {"index": [_json("index")], "folders": [_json("folders")]}
        found["search"] = [
            _json("search", "timing belt"),
            _json("search", "timing belt", "--mode", "bm25", "-k", "2"),
        ]
        found["ask"] = [
            _json("ask", "When is the timing belt replaced?"),  # extractive
            _json("ask", "What colour is the Kestrel?"),
        ]  # declined
        found["eval-run"] = []
        found["ask-stream"] = _lines("ask", "When is the timing belt replaced?", "--stream-json")
        for name, k in (("a", "10"), ("b", "3")):
            run = _json(
                "eval",
                "run",
                str(cases),
                "--retrieval-only",
                "--name",
                name,
                "--set",
                f"retrieval.k={k}",
            )
            found["eval-run"].append(run)
        found["eval-list"] = [_json("eval", "list")]
        found["eval-show"] = [_json("eval", "show", "a")]
        found["eval-compare"] = [_json("eval", "compare", "a", "b")]
        found["traces-list"] = [_json("traces", "list", "--limit", "50")]
        ask_trace = next(
            t["trace_id"] for t in found["traces-list"][0]["traces"] if t["name"] == "ask"
        )
        found["trace"] = [_json("traces", "last"), _json("traces", "show", ask_trace)]
        found["stats"] = [_json("stats"), _json("stats", "--since", "all")]
        found["doctor"] = [_json("doctor", exit_code=1)]  # the missing LLM fails a check
        found["models-list"] = [_json("models", "list")]
        found["serve-status"] = [_json("serve", "--status")]  # none runs
        _continuous(found, rows[:3])
        _rollout(found, config, rows[3:9], cases)
        yield found


def _continuous(found: dict[str, list[Any]], rows: list[dict[str, Any]]) -> None:
    """Due with no set; set@1 kept from demo cases (drawing one needs the model), run, and
    the status then shows the set and the run."""
    from ragtui.core.engine import create_engine

    found["eval-continuous-status"].append(_json("eval", "continuous", "status"))
    engine = create_engine()
    try:
        sets = engine.continuous.sets
        draft = sets.draft(1)
        draft.parent.mkdir(parents=True, exist_ok=True)
        keys = ("id", "question", "expected_sources")
        draft.write_text("".join(json.dumps({k: r[k] for k in keys}) + "\n" for r in rows))
        report = {"written": len(rows), "tried": len(rows), "dropped": {}, "prompt": "question@1"}
        sets.keep(1, engine.continuous.files(), len(rows), report)
    finally:
        engine.close()
    found["eval-continuous-run"].append(_json("eval", "continuous", "run"))
    found["eval-continuous-status"].append(_json("eval", "continuous", "status"))


def _rollout(
    found: dict[str, list[Any]], config: Path, rows: list[dict[str, Any]], cases: Path
) -> None:
    """A user candidate qa@2 with half the live questions, asked, rated and compared."""
    folder = paths.layout().prompts
    folder.mkdir(parents=True, exist_ok=True)
    qa = (REPO / "ragtui/core/prompts/qa@1.toml").read_text(encoding="utf-8")
    (folder / "qa@2.toml").write_text(qa.replace("version = 1", "version = 2"), encoding="utf-8")
    with config.open("a", encoding="utf-8") as f:
        f.write('[answer]\nprompt_candidates = {"qa@2" = 0.5}\n')
    # the candidate rolling out is compared as the only prompt of its run
    compared = _json("prompts", "compare", "qa@2", "--dataset", str(cases), "--no-judge")
    found["eval-compare"].append(compared)
    for n, row in enumerate(rows):
        trace_id = _json("ask", row["question"])["trace_id"]
        rating = "down" if n == 0 else "up"
        assert runner.invoke(app, ["feedback", trace_id, rating]).exit_code == 0
    found["prompts-list"] = [_json("prompts", "list")]
    found["prompts-stats"] = [
        _json("prompts", "stats", "--since", "all"),
        _json("prompts", "stats"),
    ]


def test_the_schemas_are_valid_and_cover_the_commands() -> None:
    for name in schemas.names():
        schema = schemas.load(name)
        Draft202012Validator.check_schema(schema)
        assert schema["$id"] == f"urn:ragtui:schema:{name}" and schema["title"]
    assert set(schemas.COMMANDS.values()) == set(schemas.names())


@pytest.mark.parametrize("name", sorted(set(schemas.names()) - SLOW_ONLY))
def test_real_output_matches_its_schema(name: str, outputs: dict[str, list[Any]]) -> None:
    assert outputs[name], f"no command output for {name}"
    for document in outputs[name]:
        assert problems(name, document) == []


def test_the_outputs_exercise_the_interesting_shapes(outputs: dict[str, list[Any]]) -> None:
    extractive, declined = outputs["ask"]
    assert extractive["fallback"] and extractive["citations"] and extractive["evidence"]
    assert declined["abstained"] and declined["closest"] and not declined["citations"]
    *tokens, final = outputs["ask-stream"]
    assert all(set(line) == {"token"} for line in tokens)
    assert final["answer"]["citations"] == extractive["citations"]
    assert Answer.model_validate(final["record"]).answer == extractive["answer"]
    assert any(t["name"] == "ask" for t in outputs["trace"][1:])
    assert outputs["eval-show"][0]["cases"]
    assert not outputs["doctor"][0]["ok"]
    assert all(run["cases"] for run in outputs["eval-run"])
    before, due, after = outputs["eval-continuous-status"]
    assert not before["due"] and due["due"] and due["eval_set"] is None
    assert after["eval_set"]["version"] == 1 and after["runs"][0]["done"] == 3
    not_due, ran = outputs["eval-continuous-run"]
    assert not_due["run_id"] is None and ran["status"] == "complete" and ran["metrics"]
    listed = {p["prompt"]: p for p in outputs["prompts-list"][0]["prompts"]}
    assert listed["qa@2"]["origin"] == "user" and listed["qa@2"]["share"] == 0.5
    report = outputs["prompts-stats"][0]
    assert {v["role"] for v in report["versions"]} == {"default", "candidate"}
    assert sum(v["thumbs_up"] + v["thumbs_down"] for v in report["versions"]) == 6
    assert report["comparisons"][0]["metrics"]


def _renamed(document: dict[str, Any], key: str) -> dict[str, Any]:
    return {(f"{key}_renamed" if k == key else k): v for k, v in document.items()}


@pytest.mark.parametrize("name", sorted(set(schemas.names()) - SLOW_ONLY))
def test_a_renamed_or_removed_key_breaks_the_contract(
    name: str, outputs: dict[str, list[Any]]
) -> None:
    document = outputs[name][0]
    for key in schemas.load(name).get("required", ()):
        assert problems(name, _renamed(document, key)), f"{name}: {key} renamed"
        assert problems(name, {k: v for k, v in document.items() if k != key})


def test_nested_keys_and_types_are_checked(outputs: dict[str, list[Any]]) -> None:
    answer = copy.deepcopy(outputs["ask"][0])
    answer["citations"][0] = _renamed(answer["citations"][0], "also_at")
    assert problems("ask", answer)
    answer = copy.deepcopy(outputs["ask"][0])
    del answer["evidence"][0]["score"]
    assert problems("ask", answer)
    final = copy.deepcopy(outputs["ask-stream"][-1])
    del final["answer"]["citations"][0]["path"]
    assert problems("ask-stream", final)
    assert problems("ask-stream", {"token": 3})
    hits = copy.deepcopy(outputs["search"][0])
    hits["hits"][0]["score"] = "high"
    assert problems("search", hits)
    case = copy.deepcopy(outputs["eval-show"][0])
    case["cases"][0]["metrics"]["ndcg@10"] = "1.0"
    assert problems("eval-show", case)
    checks = copy.deepcopy(outputs["doctor"][0])
    checks["checks"][0]["status"] = "fine"
    assert problems("doctor", checks)
    report = copy.deepcopy(outputs["prompts-stats"][0])
    report["comparisons"][0]["metrics"][0]["kind"] = "better"
    assert problems("prompts-stats", report)
    report = copy.deepcopy(outputs["prompts-stats"][0])
    del report["versions"][0]["latency_ms"]["p95"]
    assert problems("prompts-stats", report)
    listing = copy.deepcopy(outputs["prompts-list"][0])
    listing["prompts"][0] = _renamed(listing["prompts"][0], "origin")
    assert problems("prompts-list", listing)
    status = copy.deepcopy(outputs["eval-continuous-status"][-1])
    status["runs"][0]["done"] = "3"
    assert problems("eval-continuous-status", status)
    status = copy.deepcopy(outputs["eval-continuous-status"][-1])
    status["eval_set"]["report"]["dropped"] = ["model failed"]
    assert problems("eval-continuous-status", status)
    run = copy.deepcopy(outputs["eval-run"][0])
    del run["timing"]["wall_s"]
    assert problems("eval-run", run)
