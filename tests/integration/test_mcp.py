"""``ragtui mcp`` driven by the MCP SDK's own client: over stdio as an editor starts it,
over streamable HTTP on the loopback, and in-process for the opt-in ``add_folder``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError

from ragtui.core.engine import create_engine
from tests.conftest import DEMO_CORPUS, REPO, install_bundled


def _server(home: Path, **env: str) -> StdioServerParameters:
    """``python -m ragtui mcp`` over ``home``, as an MCP client configuration starts it."""
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "ragtui", "mcp"],
        env={"RAGTUI_HOME": str(home), "PYTHONPATH": str(REPO), **env},
        cwd=REPO,
    )


def _index_demo(embed: bool) -> None:
    engine = create_engine()
    try:
        engine.add_folder(DEMO_CORPUS)
        engine.index(embed=embed)
    finally:
        engine.close()


def _data(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    data = result.structured_content
    assert isinstance(data, dict)
    # the text content carries the same JSON, for clients that read only text
    assert json.loads(result.content[0].text) == data
    return data


async def test_stdio_search_sources_passages_and_read_only(ragtui_home: Path) -> None:
    _index_demo(embed=False)  # keywords only: no model loads in this test
    async with Client(_server(ragtui_home), cache=None) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == {"search", "ask", "sources"}  # no add_folder unless allowed
        for tool in tools.values():
            assert tool.annotations is not None and tool.annotations.read_only_hint
        assert tools["search"].input_schema["required"] == ["query"]

        found = _data(
            await client.call_tool(
                "search", {"query": "when is the timing belt replaced", "k": 3, "mode": "bm25"}
            )
        )
        assert 1 <= len(found["hits"]) <= 3
        top = found["hits"][0]
        assert top["path"].endswith("car-maintenance.md")
        assert "lines" in top["location"] and "timing belt" in top["snippet"]
        assert top["uri"].startswith("ragtui://passage/")

        passage = await client.read_resource(top["uri"])
        text = passage.contents[0].text  # type: ignore[union-attr]
        assert text.startswith(top["path"]) and "45,000" in text
        with pytest.raises(MCPError, match="No passage"):
            await client.read_resource("ragtui://passage/0000")

        sources = _data(await client.call_tool("sources", {}))
        assert sources["folders"] == [
            {"path": str(DEMO_CORPUS), "files": {"indexed": sources["files"]["indexed"]}}
        ]
        assert sources["files"]["indexed"] == len(
            [p for p in DEMO_CORPUS.rglob("*") if p.is_file()]
        )
        assert sources["chunks"] > 0 and sources["embedded"] == 0 and sources["failed"] == []

        refused = await client.call_tool("add_folder", {"path": str(ragtui_home)})
        assert refused.is_error
        empty = await client.call_tool("search", {"query": "   "})
        assert empty.is_error and "The query is empty" in empty.content[0].text  # type: ignore[union-attr]
        too_many = await client.call_tool("search", {"query": "oil", "k": 500})
        assert too_many.is_error
    assert ragtui_home.joinpath("data", "catalog.sqlite").is_file()
    assert "command: mcp" in (ragtui_home / "data" / "logs" / "ragtui.log").read_text()


async def test_stdio_on_an_empty_index_says_so(ragtui_home: Path) -> None:
    async with Client(_server(ragtui_home), cache=None) as client:
        sources = _data(await client.call_tool("sources", {}))
        assert sources["folders"] == [] and sources["chunks"] == 0
        asked = await client.call_tool("ask", {"question": "When is the timing belt replaced?"})
        assert asked.is_error and "Nothing is indexed yet" in asked.content[0].text  # type: ignore[union-attr]


async def test_an_unexpected_error_is_logged_and_names_the_log(
    ragtui_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ragtui import logs
    from ragtui.mcp_server import build_server

    log_file = logs.configure()
    engine = create_engine()
    try:

        def broken(*args: object, **kwargs: object) -> None:
            raise ZeroDivisionError("a bug")

        monkeypatch.setattr(engine, "search", broken)
        async with Client(build_server(engine), cache=None) as client:
            failed = await client.call_tool("search", {"query": "oil"})
            assert failed.is_error
            text = failed.content[0].text  # type: ignore[union-attr]
            assert "unexpected error" in text and str(log_file) in text and "a bug" not in text
            assert not (await client.call_tool("sources", {})).is_error  # still serving
    finally:
        engine.close()
    logged = log_file.read_text()
    assert "MCP request failed" in logged and "ZeroDivisionError: a bug" in logged


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def http_server(ragtui_home: Path) -> Iterator[int]:
    _index_demo(embed=False)
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ragtui", "mcp", "--http", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "ragtui mcp --http did not listen"
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def test_streamable_http_on_the_loopback(http_server: int) -> None:
    async with Client(f"http://127.0.0.1:{http_server}/mcp", cache=None) as client:
        found = _data(
            await client.call_tool("search", {"query": "router admin page", "mode": "bm25"})
        )
        assert found["hits"][0]["path"].endswith("home-network.txt")
    listening = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True, check=False)
    if listening.returncode == 0:  # bound to 127.0.0.1 only, never 0.0.0.0
        ours = [line for line in listening.stdout.splitlines() if f":{http_server} " in line]
        assert ours and all("127.0.0.1:" in line for line in ours), ours


@pytest.mark.slow
async def test_add_folder_only_when_allowed(ragtui_home: Path, demo_docs: Path) -> None:
    from ragtui.mcp_server import build_server

    engine = create_engine()
    try:
        assert engine.settings.mcp.allow_changes is False
        engine.settings.mcp.allow_changes = True
        async with Client(build_server(engine), cache=None) as client:
            added = _data(await client.call_tool("add_folder", {"path": str(demo_docs)}))
            assert added["folder"] == str(demo_docs) and added["new"] and added["added"] > 0
            assert added["failed"] == 0
            missing = await client.call_tool("add_folder", {"path": str(demo_docs / "nope")})
            assert missing.is_error and "does not exist" in missing.content[0].text  # type: ignore[union-attr]
            found = _data(await client.call_tool("search", {"query": "timing belt"}))
            assert found["hits"][0]["path"].startswith(str(demo_docs))
    finally:
        engine.close()


@pytest.mark.slow
async def test_stdio_ask_answers_with_citations(
    ragtui_home: Path, bundled_models: dict[str, Path]
) -> None:
    install_bundled(bundled_models, ragtui_home)
    _index_demo(embed=True)
    question = json.loads((REPO / "assets/demo/questions.jsonl").read_text().splitlines()[1])
    async with Client(_server(ragtui_home), cache=None) as client:
        answer = _data(await client.call_tool("ask", {"question": question["question"]}))
    assert not answer["abstained"] and not answer["fallback"], answer
    assert "45,000" in answer["answer"] or any("45,000" in e["text"] for e in answer["evidence"])
    assert answer["citations"], answer
    assert answer["citations"][0]["path"].endswith("car-maintenance.md")
    assert answer["citations"][0]["uri"].startswith("ragtui://passage/")
    assert answer["timings_ms"]["total"] > 0
