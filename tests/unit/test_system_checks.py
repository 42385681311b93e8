"""Doctor checks on this machine's real /proc and llama.cpp build, and on written inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragtui.core import system_checks as sc


def _cpuinfo(tmp_path: Path, flags: str) -> Path:
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: {flags}\n\n")
    return path


def test_avx2_and_the_amx_trap(tmp_path: Path) -> None:
    flags = sc.cpu_flags(_cpuinfo(tmp_path, "fpu sse3 avx avx2 fma"))
    assert flags is not None and "avx2" in flags
    checks = {c.name: c for c in sc.cpu_checks(flags)}
    assert checks["cpu.avx2"].status == "ok" and checks["cpu.amx"].status == "ok"
    no_avx2 = {c.name: c for c in sc.cpu_checks({"sse3", "avx"})}
    assert no_avx2["cpu.avx2"].status == "fail" and "GGML_AVX2=OFF" in no_avx2["cpu.avx2"].fix
    amx = {c.name: c for c in sc.cpu_checks({"avx2", "amx_tile", "amx_int8"})}["cpu.amx"]
    granted = sc.amx_granted()
    assert amx.status == ("ok" if granted else "warn")
    if not granted:
        assert "SIGILL" in amx.fix and "portable" in amx.fix
    assert sc.cpu_checks(None)[0].status == "warn"


def test_the_installed_llama_cpp_build_is_safe_here() -> None:
    flags = sc.cpu_flags()
    check = sc.llama_cpp_check(flags)
    assert check.status == "ok", check
    assert "AVX2" in check.detail


def test_a_native_build_on_a_cpu_without_its_features_fails() -> None:
    features = sc.build_features(
        "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | AVX512 = 1 | "
        "AMX_INT8 = 1 | LLAMAFILE = 1 | OPENMP = 0 |"
    )
    assert features["AVX512"] and features["AMX_INT8"] and not features["OPENMP"]


def test_inotify_limit_against_registered_folders(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    (proc / "fs" / "inotify").mkdir(parents=True)
    (proc / "fs" / "inotify" / "max_user_watches").write_text("3\n")
    docs = tmp_path / "docs"
    for sub in ("a", "b", "c/d"):
        (docs / sub).mkdir(parents=True)
        (docs / sub / "note.md").write_text("x")
    check = sc.inotify_check([str(docs)], proc)
    assert check.status == "warn" and "polling" in check.detail and "sysctl" in check.fix
    (proc / "fs" / "inotify" / "max_user_watches").write_text("1000\n")
    assert sc.inotify_check([str(docs)], proc).status == "ok"
    assert "5 directories" in sc.inotify_check([str(docs)], proc).detail


def test_data_dir_writable_or_not(tmp_path: Path) -> None:
    assert sc.data_dir_check(tmp_path / "data").status == "ok"
    blocker = tmp_path / "file"
    blocker.write_text("a file where a directory should be")
    check = sc.data_dir_check(blocker / "data")
    assert check.status == "fail" and "not writable" in check.detail and "--home" in check.fix


def test_a_full_disk_is_named_as_such_not_as_permissions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import tempfile

    def full(*args: object, **kwargs: object) -> object:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", full)
    check = sc.data_dir_check(tmp_path / "data")
    assert check.status == "fail" and "full disk" in check.detail
    assert "Free disk space" in check.fix and "permissions" not in check.fix
