"""No process of ragtui opens a connection past the loopback: checked at the system-call
level with strace, over the real embedding model, a real answer from the GGUF model, OCR
of an image, and the app, each kept running past the moment onnxruntime's telemetry
would call home."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import DEMO_CORPUS, REPO
from tests.privacy.syscalls import child_env, off_loopback, strace_available, traced_run

HELD_S = 22.0  # onnxruntime 1.32's telemetry first resolves its host ~9 s after import


def _need_strace() -> None:
    if not strace_available():
        if os.environ.get("CI"):
            pytest.fail("strace is not installed: .ci/run installs it for this test")
        pytest.skip("strace is not installed (apt-get install strace)")


def test_the_parser_sees_ipv4_ipv6_and_dns_but_allows_the_loopback() -> None:
    trace = "\n".join(
        [
            "12 connect(3, {sa_family=AF_INET, sin_port=htons(9), "
            'sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
            "13 connect(8, {sa_family=AF_INET, sin_port=htons(53), "
            'sin_addr=inet_addr("10.255.255.53")}, 16 <unfinished ...>',
            '14 sendto(5, "\\x12", 40, 0, {sa_family=AF_INET6, sin6_port=htons(443), '
            'sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:db8::1", &sin6_addr), '
            "sin6_scope_id=0}, 28) = 40",
            "15 connect(4, {sa_family=AF_INET6, sin6_port=htons(8080), sin6_flowinfo=htonl(0), "
            'inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0',
            "15 connect(5, {sa_family=AF_INET, sin_port=htons(53), "
            'sin_addr=inet_addr("127.0.0.53")}, 16) = 0',
            '16 connect(4, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1',
            "17 <... connect resumed>) = 0",
        ]
    )
    bad, sentinel = off_loopback(trace)
    assert sentinel
    assert [line.split()[0] for line in bad] == ["13", "14", "15"]


ANSWER = """
from ragtui.core.engine import create_engine
engine = create_engine()
engine.add_folder(__import__("pathlib").Path({corpus!r}))
engine.index()
answer = engine.ask("At what mileage is the timing belt replaced?", use_cache=False)
assert not answer.fallback and not answer.abstained, answer
assert engine.search("timing belt").hits
print("answered:", answer.answer, flush=True)
# OCR: a third onnxruntime user (the PP-OCR models), alive through the hold as well
import io, tempfile
from PIL import Image, ImageDraw, ImageFont
from ragtui.core.ingest.loaders import load_file
from ragtui.core.ingest.ocr import OcrOptions
page = Image.new("L", (900, 120), 255)
font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", 40)
ImageDraw.Draw(page).text((30, 30), "Replace the timing belt", font=font, fill=0)
scan = __import__("pathlib").Path(tempfile.mkdtemp()) / "scan.png"
page.save(scan)
read = load_file(scan, ocr=OcrOptions())
assert "timing belt" in read.sections[0].text, read
"""

APP = """
import asyncio
from ragtui.core.engine import create_engine
from ragtui.tui.app import create_app

async def main() -> None:
    engine = create_engine()
    engine.add_folder(__import__("pathlib").Path({corpus!r}))
    engine.index()
    app = create_app(engine, watch=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"When is the timing belt replaced?", "enter")
        await pilot.pause({held})
    engine.close()

asyncio.run(main())
"""

MCP = """
import asyncio, os, sys
from mcp import Client, StdioServerParameters
from ragtui.core.engine import create_engine
engine = create_engine()
engine.add_folder(__import__("pathlib").Path({corpus!r}))
engine.index()
engine.close()

async def main() -> None:
    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "ragtui", "mcp"],
        env={{"RAGTUI_HOME": os.environ["RAGTUI_HOME"], "PYTHONPATH": {repo!r}}},
        cwd={repo!r},
    )
    async with Client(server, cache=None) as client:
        found = await client.call_tool("search", {{"query": "timing belt"}})
        assert not found.is_error and found.structured_content["hits"], found
        assert not (await client.call_tool("sources", {{}})).is_error
        await asyncio.sleep({held})  # the server lives past onnxruntime's telemetry moment

asyncio.run(main())
"""


@pytest.mark.slow
def test_indexing_searching_and_answering_open_no_connection(tmp_path: Path) -> None:
    _need_strace()
    code = ANSWER.format(corpus=str(DEMO_CORPUS))
    bad = traced_run(code, seconds=HELD_S, env=child_env(), cwd=REPO)
    assert bad == [], "connections past the loopback:\n" + "\n".join(bad[:10])


@pytest.mark.slow
def test_the_app_with_its_watcher_opens_no_connection(tmp_path: Path) -> None:
    _need_strace()
    code = APP.format(corpus=str(DEMO_CORPUS), held=HELD_S)
    bad = traced_run(code, seconds=0, env=child_env(), cwd=REPO)
    assert bad == [], "connections past the loopback:\n" + "\n".join(bad[:10])


@pytest.mark.slow
def test_the_mcp_server_over_stdio_opens_no_connection(tmp_path: Path) -> None:
    """``ragtui mcp`` as an editor starts it: the SDK's client spawns it (strace follows
    the child) and searches, and the server stays up past the telemetry moment."""
    _need_strace()
    code = MCP.format(corpus=str(DEMO_CORPUS), repo=str(REPO), held=HELD_S)
    bad = traced_run(code, seconds=0, env=child_env(), cwd=REPO)
    assert bad == [], "connections past the loopback:\n" + "\n".join(bad[:10])


@pytest.mark.slow
def test_the_check_sees_onnxruntime_telemetry_when_it_is_left_on() -> None:
    """Without ragtui's setting, onnxruntime (≥ 1.29) looks up its telemetry host: the
    trace above would have caught it."""
    _need_strace()
    import onnxruntime

    major, minor = (int(x) for x in onnxruntime.__version__.split(".")[:2])
    if (major, minor) < (1, 29):
        pytest.skip(f"onnxruntime {onnxruntime.__version__} has no telemetry client")
    bad = traced_run("import onnxruntime\n", seconds=HELD_S, env=child_env(), cwd=REPO)
    assert bad, "onnxruntime's telemetry lookup was not seen: the check may be blind"
