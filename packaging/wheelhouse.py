"""Build an offline wheelhouse for ragtui. Called by build-wheelhouse.sh; stdlib only.

The wheelhouse holds wheels and nothing else, so the air-gapped machine needs neither a
network nor a compiler:

* ragtui, built from this repository;
* llama-cpp-python, built here (llama.cpp is compiled; pip's wheel cache makes a rebuild
  free) for a portable AVX2 baseline, and checked: no AVX-512 / AMX code, and the system
  libraries and glibc it needs on the target are recorded;
* every other runtime dependency, downloaded from PyPI as a binary wheel for the target,
  the newest pip (pipx upgrades its shared pip from the wheelhouse before installing) and
  pipx itself;
* with ``--with-models``, the default-model packages of the Makefile's MODELS: data only
  (the build fails if one declares a requirement outside that list). The MiniLM tokenizer
  files ship inside ragtui, so no package that pulls PyTorch is needed;
* the OCR package of the Makefile's OCR (rapidocr-onnxruntime, which carries its models),
  alone: it declares opencv-python, which needs libGL, so it is installed with
  ``--no-deps`` on top of ragtui, which declares what it really needs with
  opencv-python-headless. opencv-python itself never enters the wheelhouse.

It ends with offline dry-run resolutions (``--no-index``, no pip config) and writes
``SHA256SUMS`` and ``manifest.json`` next to the wheels.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

REPO = Path(__file__).resolve().parents[1]
LLAMA = "llama-cpp-python"
# CPU features that must not be compiled into a wheel meant for other machines.
FORBIDDEN_FEATURES = ("avx512", "amx_int8")
LEGACY_MANYLINUX = {"manylinux1": 5, "manylinux2010": 12, "manylinux2014": 17}
# The OCR package declares the OpenCV build with GUI support, which needs libGL; ragtui
# declares the headless build in its place. The GUI build must never be installed.
OPENCV_GUI = "opencv-python"
OPENCV_HEADLESS = "opencv-python-headless"
# Never resolved from the wheelhouse: PyTorch and what pulls it, and the GUI OpenCV.
FORBIDDEN = ("torch", "sentence-transformers", "transformers", OPENCV_GUI)


class BuildError(Exception):
    """A wheelhouse that cannot be built as asked; the message says why and what to do."""


def canonical(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if match is None:
        raise BuildError(f"cannot read the requirement {requirement!r}")
    return canonical(match.group(1))


def run(cmd: list[str], env: dict[str, str] | None = None) -> None:
    print("+ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, env=env)


def pip(*args: str, env: dict[str, str] | None = None) -> None:
    run([sys.executable, "-m", "pip", *args], env=env)


def isolated_env() -> dict[str, str]:
    """The environment of an offline pip: no config files, no PIP_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


# target ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The machine the wheelhouse is for. ``native`` means this one."""

    python_version: str
    platforms: tuple[str, ...] = ()
    native: bool = True
    glibc: tuple[int, int] | None = None
    arch: str = field(default_factory=platform.machine)

    def pip_args(self) -> list[str]:
        if self.native:
            return []
        args: list[str] = []
        for tag in self.platforms:
            args += ["--platform", tag]
        nodot = self.python_version.replace(".", "")
        return [
            *args,
            "--python-version",
            self.python_version,
            "--implementation",
            "cp",
            "--abi",
            f"cp{nodot}",
            "--abi",
            "abi3",
            "--abi",
            "none",
        ]

    def describe(self) -> dict[str, Any]:
        return {
            "python_version": self.python_version,
            "platforms": list(self.platforms) or ["this machine"],
            "arch": self.arch,
            "glibc": ".".join(map(str, self.glibc)) if self.glibc else None,
        }


def expand_platform(tag: str) -> tuple[list[str], tuple[int, int] | None, str | None]:
    """All tags a machine of platform ``tag`` accepts, with its glibc and arch if Linux.

    pip does not widen ``manylinux_2_28_x86_64`` to the older manylinux tags, so a target
    given that way would miss most wheels. ``linux_<arch>`` is added for the locally built
    llama-cpp-python wheel.
    """
    match = re.fullmatch(r"manylinux_(\d+)_(\d+)_(\w+)", tag)
    legacy = re.fullmatch(r"(manylinux1|manylinux2010|manylinux2014)_(\w+)", tag)
    if match:
        major, minor, arch = int(match.group(1)), int(match.group(2)), match.group(3)
    elif legacy:
        major, minor, arch = 2, LEGACY_MANYLINUX[legacy.group(1)], legacy.group(2)
    else:
        linux = re.fullmatch(r"linux_(\w+)", tag)
        return [tag], None, (linux.group(1) if linux else None)
    if major != 2:
        raise BuildError(f"unknown glibc major version in {tag}")
    tags = [f"manylinux_2_{m}_{arch}" for m in range(minor, 4, -1)]
    tags += [f"{name}_{arch}" for name, m in LEGACY_MANYLINUX.items() if m <= minor]
    return [*tags, f"linux_{arch}"], (2, minor), arch


def native_glibc() -> tuple[int, int] | None:
    name, version = platform.libc_ver()
    if name != "glibc" or not version:
        return None
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def make_target(python_version: str | None, platform_tag: str | None) -> Target:
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    version = python_version or here
    if not re.fullmatch(r"3\.\d+", version):
        raise BuildError(f"--python-version wants MAJOR.MINOR such as 3.12, not {version!r}")
    if tuple(map(int, version.split("."))) < (3, 11):
        raise BuildError(f"ragtui needs Python >= 3.11; --python-version {version} is older")
    if platform_tag is None:
        native = version == here
        return Target(version, (), native, native_glibc() if sys.platform == "linux" else None)
    tags, glibc, arch = expand_platform(platform_tag)
    return Target(version, tuple(tags), False, glibc, arch or platform_tag)


# the project's own lists ----------------------------------------------------------


def makefile_list(variable: str) -> list[str]:
    """A requirement list the Makefile assigns to ``variable`` (continued lines joined)."""
    text = (REPO / "Makefile").read_text()
    match = re.search(rf"^{variable}\s*:?=((?:[^\n]*\\\n)*[^\n]*)", text, re.M)
    if match is None:
        raise BuildError(f"the Makefile has no {variable} variable")
    return match.group(1).replace("\\\n", " ").split()


def makefile_models() -> list[str]:
    """The MODELS requirement list of the Makefile (the packages `make install` adds)."""
    return makefile_list("MODELS")


def makefile_ocr() -> list[str]:
    """The OCR requirement of the Makefile (installed with --no-deps by `make install`)."""
    return makefile_list("OCR")


def default_models_extra() -> list[str]:
    with (REPO / "pyproject.toml").open("rb") as fh:
        project = tomllib.load(fh)["project"]
    extra: list[str] = project.get("optional-dependencies", {}).get("default-models", [])
    return extra


# wheels ---------------------------------------------------------------------------


def wheel_project(wheel: Path | str) -> str:
    """The canonical project name of a wheel, from its file name."""
    return canonical(Path(wheel).name.split("-", 1)[0])


def wheel_metadata(wheel: Path) -> tuple[str, str]:
    """(dist-info directory, METADATA text) of a wheel."""
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            parts = name.split("/")
            if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                return parts[0], zf.read(name).decode("utf-8")
    raise BuildError(f"{wheel.name} has no METADATA")


def requires_dist(metadata: str) -> list[str]:
    head = metadata.split("\n\n", 1)[0]
    return [
        line.split(":", 1)[1].strip()
        for line in head.splitlines()
        if line.startswith("Requires-Dist:")
    ]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _versions(pattern: bytes, data: bytes) -> set[tuple[int, ...]]:
    """Symbol versions (GLIBC_2.34 …) named in a shared library's string tables."""
    return {tuple(map(int, v.split(b"."))) for v in re.findall(pattern, data)}


SONAME = re.compile(rb"\x00(lib[A-Za-z0-9_+-]+\.so(?:\.\d+)*)\x00")


def inspect_llama(wheel: Path, target: Target) -> dict[str, Any]:
    """What the compiled llama.cpp libraries need, and whether they are portable.

    Raises BuildError for a wheel built with AVX-512 or AMX code (a native build on
    these machines): it dies with SIGILL on CPUs without them.
    """
    glibc: set[tuple[int, ...]] = set()
    glibcxx: set[tuple[int, ...]] = set()
    needed: set[str] = set()
    own: set[str] = set()
    with zipfile.ZipFile(wheel) as zf:
        # The package loads its libraries from llama_cpp/lib; the wheel's top-level lib/
        # holds copies (and tools' libraries) that nothing imports.
        libs = [
            n
            for n in zf.namelist()
            if n.startswith("llama_cpp/lib/") and re.search(r"\.so(\.\d+)*$", n)
        ]
        for name in libs:
            own.add(name.rsplit("/", 1)[-1])
            data = zf.read(name)
            glibc |= _versions(rb"GLIBC_(\d+\.\d+(?:\.\d+)?)\x00", data)
            glibcxx |= _versions(rb"GLIBCXX_(\d+\.\d+(?:\.\d+)*)\x00", data)
            needed |= {s.decode() for s in re.findall(SONAME, data)}
        report: dict[str, Any] = {
            "wheel": wheel.name,
            "needs_glibc": ".".join(map(str, max(glibc))) if glibc else None,
            "needs_glibcxx": ".".join(map(str, max(glibcxx))) if glibcxx else None,
            "system_libraries": sorted(needed - own),
            "cpu_features": None,
        }
        if target.glibc and glibc and max(glibc)[:2] > target.glibc:
            raise BuildError(
                f"{wheel.name} needs glibc {report['needs_glibc']} but the target platform "
                f"has glibc {target.glibc[0]}.{target.glibc[1]}: build the wheelhouse on a "
                "machine with the target's glibc (or older), or pass --llama-wheel."
            )
        same_machine = sys.platform == "linux" and target.arch == platform.machine()
        if not (same_machine and any(n.endswith("/libggml-cpu.so") for n in libs)):
            return report
        with tempfile.TemporaryDirectory() as tmp:
            for name in libs:
                (Path(tmp) / name.rsplit("/", 1)[-1]).write_bytes(zf.read(name))
            try:
                cpu = ctypes.CDLL(str(Path(tmp) / "libggml-cpu.so"))
            except OSError as exc:
                raise BuildError(f"cannot load llama.cpp from {wheel.name}: {exc}") from exc
            features = {}
            for feature in ("avx", "avx2", "fma", "f16c", *FORBIDDEN_FEATURES):
                func = getattr(cpu, f"ggml_cpu_has_{feature}", None)
                if func is not None:
                    features[feature] = bool(func())
    report["cpu_features"] = features
    if any(features.get(f) for f in FORBIDDEN_FEATURES):
        raise BuildError(
            f"{wheel.name} was compiled with AVX-512/AMX code ({features}): it is a native "
            "build (probably from pip's wheel cache) and dies with SIGILL on other CPUs. "
            "Rerun with --rebuild-llama (CMAKE_ARGS is set to a portable AVX2 baseline)."
        )
    return report


# the build ------------------------------------------------------------------------


def build(args: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    target = make_target(args.python_version, args.platform)
    out: Path = args.out.resolve()
    if out.exists() and any(out.iterdir()):
        if not args.clean:
            raise BuildError(f"{out} is not empty: pass --clean to replace its contents.")
        others = [
            p.name
            for p in out.iterdir()
            if p.suffix != ".whl" and p.name not in ("SHA256SUMS", "manifest.json")
        ]
        if others:
            raise BuildError(
                f"{out} holds more than a wheelhouse ({', '.join(others[:3])}): "
                "--clean only empties a wheelhouse; choose another --out."
            )
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    print(
        f"wheelhouse for Python {target.python_version} on "
        f"{', '.join(target.platforms[:1]) or 'this machine'} -> {out}",
        flush=True,
    )

    # 1. ragtui itself.
    pip("wheel", "--no-deps", "--wheel-dir", str(out), str(REPO))
    ragtui_wheels = sorted(out.glob("ragtui-*.whl"))
    if len(ragtui_wheels) != 1:
        raise BuildError(f"expected one ragtui wheel in {out}, found {ragtui_wheels}")
    ragtui_wheel = ragtui_wheels[0]
    _, metadata = wheel_metadata(ragtui_wheel)
    runtime = [r for r in requires_dist(metadata) if "extra ==" not in r]
    llama_req = next((r for r in runtime if requirement_name(r) == LLAMA), None)

    # 2. llama-cpp-python: compiled here, or given.
    llama_report: dict[str, Any] | None = None
    if llama_req is not None:
        if args.llama_wheel is not None:
            shutil.copy2(args.llama_wheel, out / args.llama_wheel.name)
        else:
            if target.arch != platform.machine() or sys.platform != "linux":
                raise BuildError(
                    "llama-cpp-python is compiled on the build machine, which is not of the "
                    f"target's kind ({target.arch}): build its wheel on a machine like the "
                    "target and pass it with --llama-wheel FILE."
                )
            extra = ["--no-cache-dir"] if args.rebuild_llama else []
            print(f"llama-cpp-python: CMAKE_ARGS={os.environ.get('CMAKE_ARGS', '')!r}", flush=True)
            pip(
                "wheel",
                "--no-deps",
                "--no-binary",
                LLAMA,
                *extra,
                "--wheel-dir",
                str(out),
                llama_req,
            )
        llama_wheels = sorted(out.glob("llama_cpp_python-*.whl"))
        if len(llama_wheels) != 1:
            raise BuildError(f"expected one llama-cpp-python wheel, found {llama_wheels}")
        llama_report = inspect_llama(llama_wheels[0], target)

    # 3. Every other runtime dependency, as binary wheels for the target.
    pip(
        "download",
        "--only-binary=:all:",
        "--progress-bar",
        "off",
        "--dest",
        str(out),
        "--find-links",
        str(out),
        *target.pip_args(),
        str(ragtui_wheel),
    )

    # pipx first upgrades its shared pip from the same --find-links; offline, the newest
    # pip must be in the wheelhouse or `pipx install` fails before it installs anything.
    # pipx itself comes along for a laptop that lacks it.
    pip(
        "download",
        "--only-binary=:all:",
        "--progress-bar",
        "off",
        "--dest",
        str(out),
        *target.pip_args(),
        "pip",
        "pipx",
    )

    # 4. The default models, data only.
    model_files: list[str] = []
    if args.with_models:
        models = makefile_models()
        names = {requirement_name(m) for m in models}
        missing = [r for r in default_models_extra() if requirement_name(r) not in names]
        if missing:
            raise BuildError(
                f"the default-models extra lists {missing}, which the "
                "Makefile's MODELS does not: keep the two lists in step."
            )
        before = set(out.iterdir())
        pip(
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--progress-bar",
            "off",
            "--dest",
            str(out),
            *target.pip_args(),
            *models,
        )
        fetched = sorted(set(out.iterdir()) - before)
        for wheel in fetched:
            _info, metadata = wheel_metadata(wheel)
            foreign = [r for r in requires_dist(metadata) if requirement_name(r) not in names]
            if foreign:
                raise BuildError(
                    f"{wheel.name} requires {', '.join(foreign)}: a default-model "
                    "package must carry data only."
                )
            model_files.append(wheel.name)

    # 5. OCR, alone. Its models ship inside its wheel; it declares opencv-python, which
    # needs libGL, so it is installed with --no-deps (as the Makefile does) on top of
    # ragtui, which declares the rest with the headless OpenCV. Its metadata stops at
    # Python 3.12; its code is plain Python.
    ocr = makefile_ocr()
    pip(
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--ignore-requires-python",
        "--progress-bar",
        "off",
        "--dest",
        str(out),
        *target.pip_args(),
        *ocr,
    )
    ocr_names = {requirement_name(r) for r in ocr}
    ocr_wheels = sorted(p for p in out.glob("*.whl") if wheel_project(p) in ocr_names)
    if {wheel_project(p) for p in ocr_wheels} != ocr_names or len(ocr_wheels) != len(ocr):
        raise BuildError(f"expected one wheel for each of {ocr}, found {ocr_wheels}")

    # 6. Only wheels, and they resolve offline for the target.
    strays = [p.name for p in out.iterdir() if p.suffix != ".whl"]
    if strays:
        raise BuildError(f"the wheelhouse holds files that are not wheels: {strays}")
    gui = [p.name for p in out.glob("*.whl") if wheel_project(p) == OPENCV_GUI]
    if gui:
        raise BuildError(
            f"{', '.join(gui)} entered the wheelhouse: it needs libGL; "
            f"ragtui uses {OPENCV_HEADLESS}."
        )
    resolved = check_offline(
        out, target, "ragtui[default-models]" if args.with_models else "ragtui"
    )
    ocr_unmet = ocr_requirements_unmet(ocr_wheels, {wheel_project(n) for n in resolved})
    resolved |= check_offline(out, target, "pipx")
    resolved |= check_offline(out, target, *ocr, no_deps=True)

    files = sorted(out.glob("*.whl"))
    sums = {p.name: sha256_file(p) for p in files}
    total = sum(p.stat().st_size for p in files)
    model_bytes = sum((out / n).stat().st_size for n in model_files)
    unused = sorted(n for n in set(sums) - resolved if not n.startswith("pip-"))
    manifest = {
        "ragtui": ragtui_wheel.name,
        "target": target.describe(),
        "built_by": f"Python {platform.python_version()} on {platform.platform()}",
        "cmake_args": os.environ.get("CMAKE_ARGS"),
        "llama_cpp": llama_report,
        "with_models": args.with_models,
        "model_wheels": model_files,
        "unused_wheels": unused,
        "bytes": total,
        "model_bytes": model_bytes,
        "ocr_wheels": [p.name for p in ocr_wheels],
        "ocr_install": ocr,
        "ocr_declared_not_installed": ocr_unmet,
        "seconds": round(time.monotonic() - started, 1),
        "files": [
            {"name": n, "sha256": h, "size": (out / n).stat().st_size} for n, h in sums.items()
        ],
    }
    (out / "SHA256SUMS").write_text("".join(f"{h}  {n}\n" for n, h in sums.items()))
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def ocr_requirements_unmet(wheels: list[Path], installed: set[str]) -> list[str]:
    """What the OCR wheels declare that ragtui's install does not bring, opencv-python aside.

    opencv-python stands for the headless build, which the install must bring. Anything
    else is returned for the manifest: rapidocr-onnxruntime 1.4.4 declares six, which its
    code never imports.
    """
    unmet: list[str] = []
    for wheel in wheels:
        _info, metadata = wheel_metadata(wheel)
        for requirement in requires_dist(metadata):
            name = requirement_name(requirement)
            if "extra ==" in requirement or name in installed:
                continue
            if name == OPENCV_GUI:
                if OPENCV_HEADLESS not in installed:
                    raise BuildError(
                        f"{wheel.name} needs OpenCV, and ragtui's install does not bring "
                        f"{OPENCV_HEADLESS}: declare it in pyproject.toml."
                    )
                continue
            unmet.append(requirement)
    return sorted(unmet)


def check_offline(out: Path, target: Target, *specs: str, no_deps: bool = False) -> set[str]:
    """Resolve ``specs`` from the wheelhouse alone, as the air-gapped machine will;
    ``no_deps`` installs them alone, as the OCR package is.

    Returns the wheel file names the resolution uses.
    """
    alone = ["--no-deps", "--ignore-requires-python"] if no_deps else []
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        pip(
            "install",
            "--dry-run",
            "--ignore-installed",
            "--no-index",
            "--find-links",
            str(out),
            "--only-binary=:all:",
            "--quiet",
            "--report",
            str(report),
            "--target",
            str(Path(tmp) / "target"),
            *target.pip_args(),
            *alone,
            *specs,
            env=isolated_env(),
        )
        installs = json.loads(report.read_text())["install"]
    used = {item["download_info"]["url"].rsplit("/", 1)[-1] for item in installs}
    names = {canonical(item["metadata"]["name"]) for item in installs}
    for heavy in FORBIDDEN:
        if heavy in names:
            raise BuildError(f"{' '.join(specs)} would install {heavy} from this wheelhouse")
    return {unquote(n) for n in used}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="build-wheelhouse.sh",
        description="Build a directory of wheels from which ragtui installs with no network "
        "and no compiler (see packaging/README.md).",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO / "dist" / "wheelhouse",
        help="output directory (default: dist/wheelhouse)",
    )
    parser.add_argument(
        "--clean", action="store_true", help="empty --out first if it holds anything"
    )
    parser.add_argument(
        "--with-models",
        action="store_true",
        help="add the default embedding and language models (~330 MiB)",
    )
    parser.add_argument(
        "--python-version",
        metavar="X.Y",
        help="target Python version (default: the one running this)",
    )
    parser.add_argument(
        "--platform",
        metavar="TAG",
        help="target platform tag, e.g. manylinux_2_35_x86_64 (default: this machine)",
    )
    parser.add_argument(
        "--llama-wheel",
        type=Path,
        metavar="FILE",
        help="use this llama-cpp-python wheel instead of building one",
    )
    parser.add_argument(
        "--rebuild-llama",
        action="store_true",
        help="compile llama-cpp-python afresh instead of reusing pip's cache",
    )
    args = parser.parse_args(argv)
    try:
        manifest = build(args)
    except BuildError as exc:
        print(f"build-wheelhouse: {exc}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as exc:
        print(
            f"build-wheelhouse: `{' '.join(map(str, exc.cmd))}` failed "
            f"(exit {exc.returncode}); see its output above.",
            file=sys.stderr,
        )
        return 1
    out = args.out.resolve()
    mib = manifest["bytes"] / 2**20
    print(f"\nwheelhouse: {out}")
    print(
        f"  {len(manifest['files'])} wheels, {mib:.1f} MiB ({manifest['bytes']} bytes)"
        + (
            f", of which models {manifest['model_bytes'] / 2**20:.1f} MiB"
            if manifest["with_models"]
            else ""
        )
    )
    if manifest["llama_cpp"]:
        llama = manifest["llama_cpp"]
        print(
            f"  llama.cpp needs glibc >= {llama['needs_glibc']}, libstdc++ with "
            f"GLIBCXX_{llama['needs_glibcxx']}, and {', '.join(llama['system_libraries'])}"
        )
    if manifest["unused_wheels"]:
        print(f"  not needed by the install: {', '.join(manifest['unused_wheels'])}")
    spec = "ragtui[default-models]" if manifest["with_models"] else "ragtui"
    print(f"  install: pipx install --pip-args=\"--no-index --find-links {out}\" '{spec}'")
    # Not `pipx inject`: pipx then looks for the metadata of every declared dependency and
    # fails on opencv-python (pypa/pipx#1104); runpip is plain pip in ragtui's venv.
    print(
        f"  then OCR: pipx runpip ragtui install --no-index --find-links {out} "
        f"--no-deps --ignore-requires-python {' '.join(manifest['ocr_install'])}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
