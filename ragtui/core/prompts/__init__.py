"""Versioned prompt templates: ``<name>@<version>.toml`` files in this package, and the
user's own in the data dir's ``prompts/`` folder (a user file never replaces a bundled
version; a name without a version means its newest bundled version)."""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from ragtui import paths
from ragtui.core.errors import RagtuiError
from ragtui.core.prompts.kinds import KINDS, answer_kind

_HERE = Path(__file__).parent
_FILE = re.compile(r"^(?P<name>[\w-]+)@(?P<version>\d+)\.toml$")
_ID = re.compile(r"^(?P<name>[\w-]+)@(?P<version>\d+)$")
_DELIMITERS = re.compile(r"<<<|>>>")


@dataclass(frozen=True)
class PromptTemplate:
    """A prompt: a fixed prefix, one block per passage, and a suffix with the question.

    A template with ``examples`` (one worked example per answer kind, see
    :mod:`ragtui.core.prompts.kinds`) puts the one for the question's kind at
    ``{example}`` in its prefix: a handful of fixed prefixes, each cached once.
    """

    name: str
    version: int
    format: str
    prefix: str
    passage: str
    suffix: str
    stop: tuple[str, ...]
    examples: tuple[tuple[str, str], ...] = ()
    origin: str = "bundled"  # or "user": a file in the data dir's prompts/ folder
    digest: str = ""  # of the file's bytes: an edited user file changes cache keys

    @property
    def id(self) -> str:
        """``name@version``, as recorded with every answer."""
        return f"{self.name}@{self.version}"

    def prefix_for(self, question: str) -> str:
        """The fixed prefix, with the worked example for ``question``'s kind of answer."""
        if not self.examples:
            return self.prefix
        pool = dict(self.examples)
        return self.prefix.replace("{example}", pool.get(answer_kind(question), pool["other"]))

    def render_passage(self, n: int, source: str, text: str) -> str:
        """One quoted passage; delimiter look-alikes inside documents are neutralised."""
        clean = _DELIMITERS.sub("‹‹", text)
        return (
            self.passage.replace("{n}", str(n)).replace("{source}", source).replace("{text}", clean)
        )

    def render_suffix(self, question: str) -> str:
        """The question part."""
        return self.suffix.replace("{question}", _DELIMITERS.sub("‹‹", " ".join(question.split())))


def files() -> dict[str, dict[int, Path]]:
    """Every template file by name and version: the bundled ones, then the user's."""
    found: dict[str, dict[int, Path]] = {}
    for folder in (_HERE, paths.layout().prompts):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            match = _FILE.match(path.name)
            if match:
                found.setdefault(match["name"], {}).setdefault(int(match["version"]), path)
    return found


def available() -> dict[str, list[int]]:
    """Template names and their versions."""
    return {name: sorted(versions) for name, versions in files().items()}


def parse_id(prompt_id: str) -> tuple[str, int]:
    """``qa@2`` as ``("qa", 2)``; anything else is a one-sentence error."""
    match = _ID.match(prompt_id.strip())
    if match is None:
        raise RagtuiError(f"{prompt_id!r} is not a prompt version: write it as name@N, like qa@2.")
    return match["name"], int(match["version"])


def resolve(name: str, version: int | None = None) -> str:
    """The id ``name@version`` names (its newest bundled version when None), checked."""
    return load(name, version).id


def load(name: str, version: int | None = None) -> PromptTemplate:
    """The template ``name@version``; with no version, the newest bundled one (the newest
    of the user's when the name is only theirs)."""
    versions = files().get(name)
    if not versions:
        raise RagtuiError(
            f"Unknown prompt template {name!r}: use one of {', '.join(sorted(files()))}."
        )
    bundled = [v for v, path in versions.items() if path.parent == _HERE]
    chosen = max(bundled or versions) if version is None else version
    if chosen not in versions:
        raise RagtuiError(
            f"Prompt {name} has no version {chosen}: versions are {sorted(versions)}."
        )
    path = versions[chosen]
    stat = path.stat()
    return _read(path, stat.st_mtime_ns, stat.st_size)


@cache
def _read(path: Path, _mtime_ns: int, _size: int) -> PromptTemplate:
    """One template file (re-read when it changes)."""
    match = _FILE.match(path.name)
    assert match is not None
    name, chosen = match["name"], int(match["version"])
    data = path.read_bytes()
    try:
        raw = tomllib.loads(data.decode("utf-8"))
        template = _template(name, chosen, raw)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError) as exc:
        raise RagtuiError(
            f"{path} is not a prompt template ({type(exc).__name__}: {exc}): it needs "
            "format, prefix, passage and suffix, like the bundled ones."
        ) from None
    origin = "bundled" if path.parent == _HERE else "user"
    digest = hashlib.sha256(data).hexdigest()[:16]
    return replace(template, origin=origin, digest=digest)


def _template(name: str, chosen: int, raw: dict[str, Any]) -> PromptTemplate:
    examples = raw.get("examples", {})
    unknown = sorted(set(examples) - set(KINDS))
    if examples and ("other" not in examples or unknown):
        raise RagtuiError(
            f"Prompt {name}@{chosen} has examples for {unknown or 'no other'}: give one per "
            f"kind of {', '.join(KINDS)}, with 'other' always."
        )
    return PromptTemplate(
        name,
        chosen,
        str(raw["format"]),
        str(raw["prefix"]),
        str(raw["passage"]),
        str(raw["suffix"]),
        tuple(str(s) for s in raw.get("stop", [])),
        tuple(sorted((str(k), str(v)) for k, v in examples.items())),
    )
