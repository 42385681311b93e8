"""``ragtui doctor``: is this machine, this install and this data dir fit to run ragtui?

Each check ends ``ok``, ``warn`` or ``fail`` with one sentence saying what was
found and, unless it is ok, one sentence saying how to fix it. The report works
even when the configuration is invalid or the data dir cannot be opened: that is
when it is needed most, so it builds the Engine itself and reports its failure.

The module is long (about 600 lines, most of them the fix sentences) because it is a flat
list of small independent checks, one function each, read top to bottom in the order
``doctor`` prints them; splitting it would scatter that order across files.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ragtui import paths
from ragtui.config import ConfigError, Settings, load_settings
from ragtui.core.errors import RagtuiError
from ragtui.core.reports import IndexHealth

Status = Literal["ok", "warn", "fail"]
_GIB = 1 << 30
_FREE_WARN = 2 * _GIB  # an upgrade GGUF is about 2 GB
_FREE_FAIL = 200 << 20
_PORTABLE_BUILD = (
    'CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" '
    "pip install --force-reinstall --no-cache-dir --no-deps llama-cpp-python==0.3.36"
)
# llama.cpp system-info feature → /proc/cpuinfo flag
_FEATURE_FLAGS = {
    "SSE3": "pni",
    "SSSE3": "ssse3",
    "AVX": "avx",
    "AVX2": "avx2",
    "F16C": "f16c",
    "FMA": "fma",
    "BMI2": "bmi2",
    "AVX_VNNI": "avx_vnni",
    "AVX512": "avx512f",
    "AVX512_VBMI": "avx512vbmi",
    "AVX512_VNNI": "avx512_vnni",
    "AVX512_BF16": "avx512_bf16",
    "AMX_INT8": "amx_int8",
}
_AMX_FLAGS = ("amx_tile", "amx_int8", "amx_bf16")
_ARCH_GET_XCOMP_SUPP, _SYS_ARCH_PRCTL, _XFEATURE_XTILEDATA = 0x1022, 158, 18


@dataclass(frozen=True)
class Check:
    """One doctor check."""

    name: str
    status: Status
    detail: str
    fix: str = ""

    def as_json(self) -> dict[str, str]:
        """The JSON object of this check."""
        return {"name": self.name, "status": self.status, "detail": self.detail, "fix": self.fix}


@dataclass(frozen=True)
class IndexCheck:
    """The index part of the doctor's report: the Engine's health report and the files
    that failed, or why the index was not checked (``health`` is then None)."""

    data_dir: str
    health: IndexHealth | None = None
    failed_files: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        """The catalog and both indexes agree."""
        return self.health is not None and self.health.consistent

    def as_json(self) -> dict[str, Any]:
        """The health report's keys plus ``failed_files``, or the keys of an unchecked
        index."""
        if self.health is not None:
            return self.health.as_json() | {"failed_files": self.failed_files}
        return {
            "consistent": False,
            "problems": self.problems,
            "repaired": [],
            "data_dir": self.data_dir,
        }


@dataclass(frozen=True)
class DoctorReport:
    """The full doctor report: the index part, the log file and every check."""

    index: IndexCheck
    log_file: str
    checks: list[Check]

    @property
    def ok(self) -> bool:
        """No check failed."""
        return all(c.status != "fail" for c in self.checks)

    def as_json(self) -> dict[str, Any]:
        """The JSON object ``ragtui doctor --json`` prints."""
        return self.index.as_json() | {
            "log_file": self.log_file,
            "checks": [c.as_json() for c in self.checks],
            "ok": self.ok,
        }


def report(
    cpuinfo: Path = Path("/proc/cpuinfo"), proc_sys: Path = Path("/proc/sys"), repair: bool = False
) -> DoctorReport:
    """The full doctor report: the index health report of ``engine.stats.doctor()``
    plus the log file and every check (``ok`` when none failed).

    A damaged store fails its check and leaves the index unchecked; with ``repair`` it is
    mended (salvaged, rebuilt, recreated or set aside) and its check warns what was done.
    """
    checks: list[Check] = [python_check()]
    settings: Settings | None = None
    try:
        settings = load_settings()
        checks.append(
            Check(
                "config",
                "ok",
                f"{paths.config_file()} loads"
                if paths.config_file().is_file()
                else "no config.toml; defaults",
            )
        )
    except ConfigError as exc:
        checks.append(
            Check(
                "config",
                "fail",
                str(exc),
                "Fix or remove the key named above; `ragtui help config` lists them.",
            )
        )
    flags = cpu_flags(cpuinfo)
    checks.extend(cpu_checks(flags))
    checks.append(llama_cpp_check(flags))
    data_dir = paths.data_dir()
    checks.append(data_dir_check(data_dir))
    checks.append(privacy_check(data_dir, paths.config_dir()))
    index = IndexCheck(str(data_dir))
    folders: list[str] = []
    if settings is not None:
        checks.extend(model_checks(settings))
        damaged = store_damage(settings, data_dir)
        mended: list[str] = []
        if repair or not any(damaged.values()):
            index, folders, mended = _index_report(settings, data_dir, damaged)
        else:
            index = IndexCheck(str(data_dir), problems=["not checked while a store is damaged"])
        checks.extend(store_checks(damaged, repair, mended))
    checks.append(inotify_check(folders, proc_sys))
    checks.append(_index_check(index))
    checks.append(_files_check(index))
    return DoctorReport(index, str(paths.log_file()), checks)


def _index_report(
    settings: Settings, data_dir: Path, damaged: dict[str, str | None]
) -> tuple[IndexCheck, list[str], list[str]]:
    """The Engine's consistency report, its folders and what opening it mended (the
    damaged caches are opened too, which recreates them)."""
    from ragtui.core.cache import DisposableCache
    from ragtui.core.engine import create_engine

    for name, damage in damaged.items():
        if damage and name.startswith("cache/"):
            DisposableCache(data_dir / name, settings.answer.cache_mb).close()
    try:
        engine = create_engine(settings, data_dir)
    except (RagtuiError, OSError, sqlite3.Error) as exc:
        return (
            IndexCheck(str(data_dir), problems=[f"the catalog cannot be opened ({exc})"]),
            [],
            [],
        )
    try:
        engine.tracing.store.count()  # opening the trace store sets a damaged one aside
        health = engine.stats.doctor()
        failed = [(f.path, f.error or "") for f in engine.files() if f.status == "failed"]
        return (IndexCheck(str(data_dir), health, failed), engine.folders(), list(engine.warnings))
    except (RagtuiError, OSError, sqlite3.Error) as exc:
        return (
            IndexCheck(str(data_dir), problems=[str(exc)]),
            engine.folders(),
            list(engine.warnings),
        )
    finally:
        engine.close()


_CACHES = ("cache/embeddings", "cache/answers", "cache/llm-state")
_MENTIONS = {
    "catalog": "catalog.sqlite",
    "keywords": "keyword index",
    "vectors": "vector index",
    "traces": "traces.sqlite",
}  # in the mend sentences


def store_damage(settings: Settings, data_dir: Path) -> dict[str, str | None]:
    """Each store of the data dir and why it cannot be read (None: readable or absent);
    nothing is changed."""
    from ragtui.core import stores

    found: dict[str, str | None] = {"catalog": stores.sqlite_damage(data_dir / "catalog.sqlite")}
    found["keywords"] = _keyword_damage(data_dir / "tantivy")
    found["vectors"] = _vector_damage(settings.index.vectors_uri or str(data_dir / "lancedb"))
    for name in _CACHES:
        found[name] = stores.sqlite_damage(data_dir / name / "cache.db")
    found["traces"] = stores.sqlite_damage(data_dir / "traces.sqlite")
    return found


def _keyword_damage(folder: Path) -> str | None:
    from ragtui.core import stores
    from ragtui.core.index.keywords import KeywordIndex, KeywordsDamaged

    if not (folder / "meta.json").exists():
        return None
    try:
        KeywordIndex(folder)
    except KeywordsDamaged as exc:
        return stores.brief(exc)
    return None


def _vector_damage(uri: str) -> str | None:
    from ragtui.core import stores
    from ragtui.core.index.vectors import VectorIndex, VectorsDamaged

    if "://" not in uri and not Path(uri).is_dir():
        return None
    try:
        VectorIndex(uri, 1).check()
    except VectorsDamaged as exc:
        return stores.brief(exc)
    return None


def store_checks(damaged: dict[str, str | None], repaired: bool, mended: list[str]) -> list[Check]:
    """One check per store: ok, damaged (fail), or damaged and mended (warn)."""
    checks = []
    for name, damage in damaged.items():
        check = f"store.{name.replace('cache/', 'cache.')}"
        if damage is None:
            checks.append(Check(check, "ok", "readable"))
        elif repaired:
            done = next(
                (m for m in mended if _MENTIONS.get(name, name) in m),
                f"was damaged ({damage}) and was recreated empty",
            )
            checks.append(
                Check(
                    check,
                    "warn",
                    done,
                    "Nothing more to do; `ragtui index` re-reads anything lost.",
                )
            )
        else:
            checks.append(
                Check(
                    check,
                    "fail",
                    f"damaged ({damage})",
                    "Run `ragtui doctor --repair` to mend it (any command also "
                    "mends it when it next opens it).",
                )
            )
    return checks


def _files_check(index: IndexCheck) -> Check:
    """Files that could not be indexed (a bad name, a broken file) are not healthy."""
    failed = index.failed_files
    if not failed:
        return Check("files", "ok", "every file found was indexed or skipped with a reason")
    path, error = failed[0]
    more = f" and {len(failed) - 1} more" if len(failed) > 1 else ""
    return Check(
        "files",
        "warn",
        f"{len(failed)} files could not be indexed: {path}{more} ({error})",
        "Fix or remove those files, then run `ragtui index`; "
        "`ragtui index --json` lists every error.",
    )


def _index_check(index: IndexCheck) -> Check:
    health = index.health
    if health is not None and health.consistent:
        cat = health.catalog
        detail = (
            f"catalog {cat.chunks} chunks ({cat.embedded} embedded), keywords "
            f"{health.keywords.chunks}, vectors {health.vectors.rows}"
        )
        if health.repaired:
            detail += "; repaired: " + "; ".join(health.repaired)
        return Check("index", "ok", detail)
    problems = health.problems if health is not None else index.problems
    return Check(
        "index",
        "fail",
        "; ".join(problems or ["not checked"]),
        "Run `ragtui index --rebuild` if it persists after this repair.",
    )


# python and cpu -----------------------------------------------------------------------
def python_check() -> Check:
    """Python ≥ 3.11."""
    version = platform.python_version()
    if sys.version_info < (3, 11):  # noqa: UP036 - an install forced past requires-python
        return Check("python", "fail", f"Python {version}", "Install Python 3.11 or newer.")
    return Check(
        "python", "ok", f"Python {version} ({platform.python_implementation()}, {sys.executable})"
    )


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str] | None:
    """The CPU feature flags the kernel reports (None where /proc/cpuinfo is not readable)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return set(value.split())
    return None


def amx_granted() -> bool | None:
    """Whether the kernel supports AMX tile data for user processes (None: cannot tell).

    A CPU can advertise AMX (``amx_tile`` in /proc/cpuinfo) while the kernel or the
    hypervisor does not enable it; an AMX instruction then raises SIGILL.
    """
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "AMD64"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        mask = ctypes.c_ulong(0)
        if libc.syscall(_SYS_ARCH_PRCTL, _ARCH_GET_XCOMP_SUPP, ctypes.byref(mask)) != 0:
            return False
        return bool(mask.value & (1 << _XFEATURE_XTILEDATA))
    except (OSError, AttributeError):
        return None


def cpu_checks(flags: set[str] | None) -> list[Check]:
    """AVX2 (the portable llama.cpp build's baseline) and the AMX trap."""
    if flags is None:
        return [
            Check(
                "cpu",
                "warn",
                "/proc/cpuinfo is not readable, so CPU features are unknown",
                "Nothing to do off Linux; on Linux check that /proc is mounted.",
            )
        ]
    checks = []
    if "avx2" in flags:
        checks.append(Check("cpu.avx2", "ok", "AVX2 present (the portable llama.cpp baseline)"))
    else:
        checks.append(
            Check(
                "cpu.avx2",
                "fail",
                "this CPU has no AVX2, which the portable llama.cpp build needs",
                "Rebuild llama-cpp-python without it: "
                'CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=OFF -DGGML_FMA=OFF" '
                "pip install --force-reinstall --no-cache-dir llama-cpp-python.",
            )
        )
    advertised = sorted(f for f in _AMX_FLAGS if f in flags)
    if not advertised:
        checks.append(Check("cpu.amx", "ok", "no AMX advertised, so no AMX trap"))
    else:
        granted = amx_granted()
        state = {
            True: "and the kernel enables it",
            False: "but the kernel does not enable it",
            None: "and whether the kernel enables it is unknown",
        }[granted]
        checks.append(
            Check(
                "cpu.amx",
                "ok" if granted else "warn",
                f"the CPU advertises AMX ({', '.join(advertised)}) {state}",
                ""
                if granted
                else "A llama.cpp built natively for this CPU would die with SIGILL in "
                "its AMX code: keep the portable build (see the llama_cpp check).",
            )
        )
    return checks


def llama_cpp_check(flags: set[str] | None) -> Check:
    """Is the installed llama.cpp build safe on this CPU? Asked in a child process, so a
    build that dies with SIGILL is reported instead of killing the doctor. No model loads."""
    code = (
        "import sys, llama_cpp; "
        "sys.stdout.write(llama_cpp.llama_print_system_info().decode('utf-8', 'replace'))"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check(
            "llama_cpp",
            "warn",
            f"could not ask llama.cpp for its build ({exc})",
            "Run `python -c 'import llama_cpp'` to see why.",
        )
    if done.returncode == -signal.SIGILL:
        return Check(
            "llama_cpp",
            "fail",
            "loading llama.cpp dies with SIGILL (illegal "
            "instruction): it was built for another CPU",
            f"Reinstall it: {_PORTABLE_BUILD}.",
        )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return Check(
            "llama_cpp",
            "fail",
            f"llama-cpp-python does not import ({last})",
            f"Reinstall it: {_PORTABLE_BUILD}.",
        )
    features = build_features(done.stdout)
    enabled = sorted(f for f, on in features.items() if on and f in _FEATURE_FLAGS)
    if flags is None:
        return Check(
            "llama_cpp",
            "warn",
            f"build uses {', '.join(enabled) or 'no SIMD'}; CPU features unknown",
            "",
        )
    unsupported = [f for f in enabled if f in _FEATURE_FLAGS and _FEATURE_FLAGS[f] not in flags]
    if "AMX_INT8" in enabled and "AMX_INT8" not in unsupported and amx_granted() is False:
        unsupported.append("AMX_INT8 (advertised, not enabled by the kernel)")
    if unsupported:
        return Check(
            "llama_cpp",
            "fail",
            f"the installed llama.cpp build uses {', '.join(unsupported)}, which this machine "
            "cannot run: answering would die with SIGILL",
            f"Reinstall the portable build: {_PORTABLE_BUILD}.",
        )
    return Check(
        "llama_cpp",
        "ok",
        f"build uses {', '.join(enabled) or 'no SIMD'}; all supported by this CPU",
    )


def build_features(system_info: str) -> dict[str, bool]:
    """``{"AVX2": True, …}`` from llama.cpp's system-info line."""
    features: dict[str, bool] = {}
    for part in system_info.replace("\n", "|").split("|"):
        key, sep, value = part.partition("=")
        key = key.split(":")[-1].strip()
        if sep and key:
            features[key] = value.strip() not in ("0", "")
    return features


# models, disk, inotify ------------------------------------------------------------
def model_checks(settings: Settings) -> list[Check]:
    """The active embedding model and language model: present and matching their sha256."""
    from ragtui.core.models_admin import ModelAdmin

    checks = []
    admin = ModelAdmin(settings)
    try:
        results = admin.verify(active_only=True)
    except (RagtuiError, OSError) as exc:
        return [
            Check("models", "fail", str(exc), "Run `ragtui models list` to see what is installed.")
        ]
    for result in results:
        name = f"models.{result.kind}"
        if result.note and result.ok:
            status: Status = "warn" if result.note == "not installed" else "ok"
            fix = (
                f"Run `ragtui models pull {result.name}` on a connected machine."
                if status == "warn"
                else ""
            )
            checks.append(Check(name, status, f"{result.name}: {result.note}", fix))
        elif result.ok:
            checks.append(
                Check(
                    name,
                    "ok",
                    f"{result.name} verified ({result.files} "
                    f"file{'s' if result.files != 1 else ''} at {result.path})",
                )
            )
        else:
            checks.append(
                Check(
                    name,
                    "fail",
                    result.problem,
                    "`ragtui models verify` re-checks it once it is replaced.",
                )
            )
    return checks


def data_dir_check(data_dir: Path) -> Check:
    """The data dir can be created and written, and has room."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".doctor-", delete=True) as fh:
            fh.write(b"ok")
            fh.flush()
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return Check(
                "data_dir",
                "fail",
                f"{data_dir} is on a full disk",
                "Free disk space, or move ragtui's data elsewhere with --home DIR or RAGTUI_HOME.",
            )
        return Check(
            "data_dir",
            "fail",
            f"{data_dir} is not writable ({exc.strerror or exc})",
            "Fix its permissions, or move ragtui's data elsewhere with --home DIR or RAGTUI_HOME.",
        )
    free = shutil.disk_usage(data_dir).free
    detail = f"{data_dir} is writable; {free / _GIB:.1f} GiB free"
    if free < _FREE_FAIL:
        return Check(
            "data_dir",
            "fail",
            detail,
            "Free disk space: indexing and model assembly need a few hundred MB at least.",
        )
    if free < _FREE_WARN:
        return Check(
            "data_dir",
            "warn",
            detail,
            "Free some disk space: an upgrade model "
            "needs about 2 GB and indexes grow with your documents.",
        )
    return Check("data_dir", "ok", detail)


def privacy_check(*roots: Path) -> Check:
    """Whether other users can read the data or config dir; group and other bits found are
    taken away (the doctor's repair)."""
    from ragtui.core import privacy

    found = [path for root in roots if root.is_dir() for path in privacy.exposed(root)]
    if not found:
        return Check("privacy", "ok", "data and config dirs are readable by you only")
    fixed = sum(privacy.make_private(root) for root in roots if root.is_dir())
    left = [path for root in roots if root.is_dir() for path in privacy.exposed(root)]
    if left:
        return Check(
            "privacy",
            "fail",
            f"{len(left)} paths under {left[0].parent} can be read "
            "by other users and could not be changed",
            f"Run `chmod -R go-rwx {left[0].parent}` as their owner.",
        )
    return Check(
        "privacy",
        "warn",
        f"{fixed} files or folders were readable by other users; made them private",
        "Nothing more to do; ragtui keeps them private now.",
    )


def inotify_check(folders: Iterable[str], proc_sys: Path = Path("/proc/sys")) -> Check:
    """``ragtui watch`` needs one inotify watch per directory of the registered folders."""
    limit_file = proc_sys / "fs" / "inotify" / "max_user_watches"
    try:
        limit = int(limit_file.read_text().strip())
    except (OSError, ValueError):
        return Check("inotify", "ok", "no inotify limit to check on this system")
    roots = [Path(f) for f in folders]
    if not roots:
        return Check("inotify", "ok", f"max_user_watches {limit:,}; no folders registered")
    directories, files = count_tree(roots, stop_after=limit + 1)
    detail = (
        f"{directories:,} directories ({files:,} files) in {len(roots)} registered "
        f"folder{'s' if len(roots) != 1 else ''}; max_user_watches {limit:,}"
    )
    fix = (
        "Raise the limit: `sudo sysctl fs.inotify.max_user_watches=524288` (add it to "
        "/etc/sysctl.d/ to keep it)."
    )
    if directories > limit:
        return Check("inotify", "warn", detail + ": watch falls back to polling", fix)
    if directories > limit // 2:
        return Check("inotify", "warn", detail + ": other programs share the limit", fix)
    return Check("inotify", "ok", detail)


def count_tree(roots: Iterable[Path], stop_after: int) -> tuple[int, int]:
    """(directories, files) under ``roots``, counting stops once directories pass
    ``stop_after`` (the answer is then "more than the limit")."""
    directories = files = 0
    for root in roots:
        for _dirpath, _dirnames, filenames in os.walk(root, onerror=lambda _e: None):
            directories += 1
            files += len(filenames)
            if directories > stop_after:
                return directories, files
    return directories, files
