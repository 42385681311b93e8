"""The service's pure parts: which commands it takes, where its socket goes, and output
routed per thread."""

from __future__ import annotations

import threading
from pathlib import Path

from ragtui.service import client, protocol
from ragtui.service.streams import ClientStream, routed


def test_only_served_commands_without_paths_or_help_go_to_the_service() -> None:
    assert client.command_of(["ask", "why?"]) == ([], ["ask", "why?"])
    assert client.command_of(["--home", "/h", "traces", "last"]) == (
        ["--home", "/h"],
        ["traces", "last"],
    )
    assert client.command_of(["--home=/h", "search", "x"]) == (["--home=/h"], ["search", "x"])
    for argv in (
        ["index"],
        ["add", "docs"],
        ["traces", "export", "out.json"],
        ["traces", "purge"],
        ["ask", "--help"],
        ["ask", "q", "--model", "m.gguf"],
        ["serve"],
        [],
    ):
        assert client.command_of(argv) is None, argv


def test_a_socket_path_too_long_for_unix_moves_to_a_private_runtime_dir(tmp_path: Path) -> None:
    short = tmp_path / "d"
    assert protocol.socket_path(short) == short / protocol.SOCKET_NAME
    deep = tmp_path / ("x" * 120) / "data"
    moved = protocol.socket_path(deep)
    assert len(str(moved)) <= 100 and moved != protocol.socket_path(tmp_path / ("y" * 120))


def test_each_thread_writes_to_its_own_client() -> None:
    import typer

    frames: dict[str, list[tuple[int, str]]] = {"a": [], "b": []}

    def job(name: str) -> None:
        def send(fd: int, text: str) -> None:
            frames[name].append((fd, text))

        with routed(ClientStream(1, send, False), ClientStream(2, send, False)):
            for _ in range(50):
                typer.echo(name)
            typer.echo(f"{name}!", err=True)

    threads = [threading.Thread(target=job, args=(n,)) for n in frames]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name, got in frames.items():
        assert "".join(t for fd, t in got if fd == 1) == f"{name}\n" * 50
        assert "".join(t for fd, t in got if fd == 2) == f"{name}!\n"


def test_no_service_means_the_command_runs_here(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RAGTUI_HOME", str(tmp_path))
    assert client.run_served(["search", "x"]) is None


def test_a_socket_someone_else_owns_is_never_used(tmp_path: Path) -> None:
    import os
    import socket

    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    path = protocol.socket_path(data_dir)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)
    try:
        assert client.connect(data_dir) is not None  # ours: used
        if os.getuid() == 0:  # root can hand it to another user
            os.chown(path, 4242, -1)
            assert client.connect(data_dir) is None
    finally:
        listener.close()


def test_a_shared_socket_folder_is_refused(tmp_path: Path) -> None:
    import pytest

    from ragtui.service.server import CannotServe, Service

    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o777)
    data_dir.chmod(0o777)
    service = Service(data_dir, lambda argv, cancel: 0, {})
    with pytest.raises(CannotServe, match="others may write it"):
        service.bind()
