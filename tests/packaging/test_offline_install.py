"""The air-gapped install, end to end.

A wheelhouse is built (network: PyPI only), then everything else runs inside
``unshare -n`` — a network namespace with no interfaces but loopback — with every
compiler on PATH replaced by a stub that records the call and fails: a fresh venv,
``pip install --no-index --find-links WHEELHOUSE ragtui``, then ``'ragtui[default-models]'``,
then the OCR package alone (``--no-deps --ignore-requires-python``, as the README says),
then ``ragtui add``, ``index``, ``ask --json`` and ``doctor`` on the demo corpus with a
rendered PNG added, which OCR must read.

The figures the issue asks for (install seconds, venv bytes with and without the default
models and OCR, wheelhouse bytes) are printed and written to
``$TMPDIR/ragtui-offline-install.json``; like every speed figure they are recorded, not
asserted.

Set RAGTUI_TEST_WHEELHOUSE to a wheelhouse built with ``--with-models`` (and with OCR, by
this version of the script) to skip the build.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from ragtui import schemas
from ragtui.core.ingest import ocr
from tests.cli.test_json_contracts import problems
from tests.conftest import DEMO_CORPUS, REPO

pytestmark = pytest.mark.slow

BUILD = REPO / "packaging" / "build-wheelhouse.sh"
REPORT = Path(tempfile.gettempdir()) / "ragtui-offline-install.json"
QUESTION = "At what mileage is the timing belt replaced?"
# What a build could call: C/C++ compilers, linkers, build drivers.
TOOLS = (
    "cc",
    "gcc",
    "c++",
    "g++",
    "clang",
    "clang++",
    "x86_64-linux-gnu-gcc",
    "x86_64-linux-gnu-g++",
    "ld",
    "cmake",
    "ninja",
    "make",
    "meson",
    "cargo",
    "rustc",
)
HEAVY = {"torch", "sentence-transformers", "transformers"}
# What OCR must read from a picture dropped among the demo documents.
PICTURE_TEXT = "The grayling rose to a small red fly"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")


def _unshare_refusal() -> str | None:
    if not sys.platform.startswith("linux"):
        return "network namespaces (unshare -n) exist only on Linux"
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"`unshare -n` is not permitted here: {probe.stderr.strip()}"
    return None


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _picture(path: Path) -> None:
    """PICTURE_TEXT in black on white, 40-pixel type: a line a scanner would see."""
    font = ImageFont.truetype(str(FONT), 40) if FONT.exists() else ImageFont.load_default(size=40)
    page = Image.new("L", (1000, 130), 255)
    ImageDraw.Draw(page).text((30, 30), PICTURE_TEXT, font=font, fill=0)
    page.save(path)


def _tree_bytes(root: Path) -> int:
    """Apparent size of every file under ``root``, each inode once, links not followed."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            st = os.lstat(os.path.join(folder, name))
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size
    return total


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A wheelhouse with the default models: given by RAGTUI_TEST_WHEELHOUSE, or built once
    (and removed after the session: it is over half a gigabyte). Skips first if the test
    could not run offline anyway."""
    refusal = _unshare_refusal()
    if refusal:
        pytest.skip(refusal)
    given = os.environ.get("RAGTUI_TEST_WHEELHOUSE")
    if given:
        path = Path(given)
        manifest = path / "manifest.json"
        built = json.loads(manifest.read_text()) if manifest.is_file() else {}
        if not (built.get("with_models") and built.get("ocr_wheels")):
            pytest.fail(
                f"RAGTUI_TEST_WHEELHOUSE={given} is not a wheelhouse built with --with-models "
                "by a build-wheelhouse.sh that adds OCR"
            )
        yield path
        return
    out = tmp_path_factory.mktemp("wheelhouse") / "wheelhouse"
    env = {**os.environ, "PYTHON": sys.executable}
    build = subprocess.run(
        ["bash", str(BUILD), "--out", str(out), "--with-models"],
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    if build.returncode != 0:
        pytest.fail(
            f"build-wheelhouse.sh failed ({build.returncode}):\n"
            f"{_tail(build.stdout)}\n{_tail(build.stderr)}"
        )
    yield out
    shutil.rmtree(out, ignore_errors=True)


class Offline:
    """Runs commands in a network namespace of their own, with compilers stubbed out."""

    def __init__(self, root: Path) -> None:
        self.stubs = root / "no-compilers"
        self.stubs.mkdir()
        self.calls = root / "compiler-calls.log"
        for tool in TOOLS:
            stub = self.stubs / tool
            stub.write_text(f'#!/bin/sh\necho "$0 $*" >> "{self.calls}"\nexit 1\n')
            stub.chmod(0o755)
        home = root / "user-home"
        home.mkdir()
        keep = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PIP_", "RAGTUI_", "VIRTUAL_ENV", "PYTHON", "CMAKE"))
        }
        self.env = keep | {
            "PATH": f"{self.stubs}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": str(home),
            "PIP_CONFIG_FILE": os.devnull,  # no machine-wide index, find-links or cache set-up
            "CC": str(self.stubs / "cc"),
            "CXX": str(self.stubs / "c++"),
        }

    def compiler_calls(self) -> list[str]:
        """Stub calls other than version probes (pip asks `rustc --version` for its
        user agent)."""
        if not self.calls.exists():
            return []
        return [c for c in self.calls.read_text().splitlines() if not c.endswith(" --version")]

    def run(self, *cmd: str | Path, timeout: float = 600) -> tuple[str, float]:
        started = time.monotonic()
        done = subprocess.run(
            ["unshare", "-n", *map(str, cmd)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        seconds = time.monotonic() - started
        if done.returncode != 0:
            pytest.fail(
                f"offline `{' '.join(map(str, cmd))}` failed ({done.returncode}):\n"
                f"{_tail(done.stdout)}\n{_tail(done.stderr)}"
            )
        return done.stdout, seconds


@pytest.mark.timeout(1800)
def test_air_gapped_install_answers_with_citations(wheelhouse: Path, tmp_path: Path) -> None:
    assert all(
        p.suffix == ".whl"
        for p in wheelhouse.iterdir()
        if p.name not in ("SHA256SUMS", "manifest.json")
    ), "the wheelhouse holds an sdist"
    assert not list(wheelhouse.glob("opencv_python-*")), "the GUI OpenCV (needs libGL) came in"
    # The command the README gives and the one ragtui prints when OCR is missing install
    # what the Makefile installs.
    ocr_install = json.loads((wheelhouse / "manifest.json").read_text())["ocr_install"]
    assert ocr_install == [f"{ocr.PACKAGE}=={ocr.VERSION}"]
    offline = Offline(tmp_path)
    interfaces, _ = offline.run("cat", "/proc/net/dev")
    names = {line.split(":")[0].strip() for line in interfaces.splitlines() if ":" in line}
    assert names == {"lo"}, f"the namespace is not cut off: {names}"
    venv = tmp_path / "venv"
    pip: list[str | Path] = [
        venv / "bin" / "python",
        "-m",
        "pip",
        "install",
        "--no-cache-dir",
        "--no-index",
        "--find-links",
        wheelhouse,
    ]

    base_python = getattr(sys, "_base_executable", sys.executable)
    _, venv_s = offline.run(base_python, "-m", "venv", venv)
    _, core_s = offline.run(*pip, "ragtui")
    core_bytes = _tree_bytes(venv)
    _, models_s = offline.run(*pip, "ragtui[default-models]")
    full_bytes = _tree_bytes(venv)
    _, ocr_s = offline.run(*pip, "--no-deps", "--ignore-requires-python", *ocr_install)
    ocr_bytes = _tree_bytes(venv)

    builds = offline.compiler_calls()
    assert not builds, f"the install ran a compiler: {builds}"
    listed, _ = offline.run(venv / "bin" / "python", "-m", "pip", "list", "--format", "json")
    installed = {
        re.sub(r"[-_.]+", "-", p["name"]).lower(): p["version"] for p in json.loads(listed)
    }
    assert not HEAVY & set(installed), f"PyTorch came along: {HEAVY & set(installed)}"
    assert "ragtui" in installed and "llama-cpp-python" in installed
    assert installed.get(ocr.PACKAGE) == ocr.VERSION
    assert "opencv-python-headless" in installed and "opencv-python" not in installed

    docs = tmp_path / "docs"
    shutil.copytree(DEMO_CORPUS, docs)
    _picture(docs / "grayling.png")
    ragtui: list[str | Path] = [venv / "bin" / "ragtui", "--home", tmp_path / "ragtui-home"]
    offline.run(*ragtui, "add", docs)
    out, index_s = offline.run(*ragtui, "index", "--json")
    indexed = json.loads(out)
    assert not indexed["errors"] and not indexed["skips"], indexed
    out, _ = offline.run(*ragtui, "search", PICTURE_TEXT, "--type", "image", "--json")
    pictures = json.loads(out)["hits"]
    out, ask_s = offline.run(*ragtui, "ask", QUESTION, "--json")
    answer = json.loads(out)
    doctor = json.loads(offline.run(*ragtui, "doctor", "--json")[0])

    figures = {
        "install_seconds": round(venv_s + core_s + models_s + ocr_s, 1),
        "install_steps_seconds": {
            "venv": round(venv_s, 1),
            "ragtui": round(core_s, 1),
            "default_models": round(models_s, 1),
            "ocr": round(ocr_s, 1),
        },
        "venv_bytes_without_models": core_bytes,
        "venv_bytes_with_models": full_bytes,
        "venv_bytes_with_models_and_ocr": ocr_bytes,
        "wheelhouse_bytes": sum(p.stat().st_size for p in wheelhouse.glob("*.whl")),
        "index_seconds": round(index_s, 1),
        "ask_seconds": round(ask_s, 1),
        "compiler_calls": offline.compiler_calls(),
        "answer": answer.get("answer"),
        "picture_read": pictures[0]["snippet"] if pictures else None,
    }
    REPORT.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\noffline install: {json.dumps(figures)}\nreport: {REPORT}")

    assert isinstance(answer["answer"], str) and answer["answer"].strip()
    assert answer["fallback"] is False, answer
    assert answer["abstained"] is False, answer
    assert answer["model"] and answer["tokens"]["completion"] > 0
    demo_files = {p.relative_to(docs).as_posix() for p in docs.rglob("*") if p.is_file()}
    cited = [Path(c["path"]) for c in answer["citations"]]
    assert any(
        p.is_relative_to(docs) and p.relative_to(docs).as_posix() in demo_files for p in cited
    ), answer["citations"]
    assert all(
        isinstance(c["n"], int) and isinstance(c["snippet"], str) for c in answer["citations"]
    )
    assert doctor["consistent"] is True, doctor
    assert pictures and Path(pictures[0]["path"]).name == "grayling.png", pictures
    assert "grayling" in pictures[0]["snippet"].lower(), pictures[0]
    shipped, _ = offline.run(
        venv / "bin" / "python", "-c", "from ragtui import schemas; print(*schemas.names())"
    )
    assert set(shipped.split()) == set(schemas.names()), "the wheel ships every JSON Schema"
    assert problems("ask", answer) == [] and problems("doctor", doctor) == []
    assert problems("index", indexed) == []
    shutil.rmtree(venv)  # 1 GiB; the figures are in the report
