"""Text from documents and models reaches the terminal as text, never as escape sequences."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ragtui.cli import app
from ragtui.core.engine import Engine
from ragtui.core.models import Answer, Citation, Location
from ragtui.core.text import printable
from ragtui.tui.widgets.answer_view import answer_markdown
from ragtui.tui.widgets.source_list import citation_label

HOSTILE = (
    "title \x1b]0;pwned\x07 clear \x1b[2J link \x1b]8;;http://evil\x1b\\here\x1b]8;;\x1b\\ "
    "clip \x1b]52;c;ZXZpbA==\x07 csi \x9b31m del \x7f cr \r end"
)
RAW = ("\x1b", "\x07", "\x9b", "\x7f", "\r")
runner = CliRunner()


def _raw_controls(text: str) -> list[str]:
    return [c for c in RAW if c in text]


def test_printable_shows_controls_and_keeps_lines() -> None:
    assert printable("a\tb\nc") == "a\tb\nc"
    assert printable("\x1b[2J\x07\x7f\x9b") == "␛[2J␇␡\\x9b"
    assert printable("bad\udcffname") == "bad\ufffdname"


def _keyword_only(home: Path, tmp_path: Path) -> None:
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[embedding]\nmodel_dir = "{tmp_path / "no-model"}"\n')


def test_search_prints_document_escapes_as_text(tmp_path: Path, ragtui_home: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "trap.md").write_text(f"# Trap {HOSTILE}\n\nthe wombat {HOSTILE}\n")
    with open(os.path.join(os.fsencode(docs), b"bad\xffname.md"), "wb") as handle:
        handle.write(b"the quokka\n")
    _keyword_only(ragtui_home, tmp_path)
    assert runner.invoke(app, ["add", str(docs)]).exit_code == 0
    assert runner.invoke(app, ["index"]).exit_code == 0
    result = runner.invoke(app, ["search", "wombat", "--mode", "bm25"])
    assert result.exit_code == 0 and "trap.md" in result.stdout
    assert _raw_controls(result.stdout) == [] and "␛]0;pwned␇" in result.stdout
    result = runner.invoke(app, ["search", "wombat", "--mode", "bm25", "--json"])
    assert _raw_controls(result.stdout) == []
    assert HOSTILE.replace("\r", "").split()[2] in json.loads(result.stdout)["hits"][0]["snippet"]
    result = runner.invoke(app, ["search", "quokka", "--mode", "bm25"])
    assert result.exit_code == 0 and "bad\ufffdname.md" in result.stdout


def _citation(path: str) -> Citation:
    return Citation(
        n=1,
        chunk_id="c1",
        path=path,
        location=Location(heading=(HOSTILE,)),
        snippet=HOSTILE,
        inferred=False,
    )


def _answer() -> Answer:
    return Answer(
        question="q",
        answer=f"It is {HOSTILE} [1]",
        citations=(_citation(f"/docs/{HOSTILE}.md"),),
        timings_ms={"retrieve": 1.0, "ttft": 1.0, "total": 2.0},
        tokens={},
        model=f"model {HOSTILE}",
        prompt_version="qa@1",
    )


def test_ask_prints_model_and_source_escapes_as_text(monkeypatch: pytest.MonkeyPatch) -> None:
    def ask(
        self: Engine, question: str, *, on_token: Callable[[str], None] | None = None, **kwargs: Any
    ) -> Answer:
        if on_token is not None:
            on_token(f"It is {HOSTILE} [1]")
        return _answer()

    monkeypatch.setattr(Engine, "ask", ask)
    result = runner.invoke(app, ["ask", "what?"])
    assert result.exit_code == 0, result.output
    assert _raw_controls(result.stdout + result.stderr) == []
    assert "␛]52;c;ZXZpbA==␇" in result.stdout
    result = runner.invoke(app, ["ask", "what?", "--json"])
    assert _raw_controls(result.stdout) == [] and json.loads(result.stdout)["answer"]


def test_the_app_shows_escapes_and_markup_literally() -> None:
    answer = _answer()
    assert _raw_controls(answer_markdown(answer)) == []
    label = citation_label(_citation("/docs/[bold]x [link=mailto:evil]y.md"))
    assert "[bold]x [link=mailto:evil]y.md" in label.plain
    assert _raw_controls(citation_label(_citation(f"/d/{HOSTILE}")).plain) == []
