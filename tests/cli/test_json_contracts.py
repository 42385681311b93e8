"""Every ``--json`` output of the CLI against its JSON Schema in ``ragtui/schemas``.

The outputs are real: a demo library indexed with the default embedding model, searched,
asked (no LLM: the extractive answer, and a declined one), evaluated twice and traced.
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

from ragtui import schemas
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
        found: dict[str, list[Any]] = {"index": [_json("index")], "folders": [_json("folders")]}
        found["search"] = [
            _json("search", "timing belt"),
            _json("search", "timing belt", "--mode", "bm25", "-k", "2"),
        ]
        found["ask"] = [
            _json("ask", "When is the timing belt replaced?"),  # extractive
            _json("ask", "What colour is the Kestrel?"),
        ]  # declined
        found["ask-stream"] = _lines("ask", "When is the timing belt replaced?", "--stream-json")
        for name, k in (("a", "10"), ("b", "3")):
            _json(
                "eval",
                "run",
                str(cases),
                "--retrieval-only",
                "--name",
                name,
                "--set",
                f"retrieval.k={k}",
            )
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
        yield found


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
