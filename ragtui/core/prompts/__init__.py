"""Versioned prompt templates: ``<name>@<version>.toml`` files in this package."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ragtui.core.errors import RagtuiError
from ragtui.core.prompts.kinds import KINDS, answer_kind

_HERE = Path(__file__).parent
_FILE = re.compile(r"^(?P<name>[\w-]+)@(?P<version>\d+)\.toml$")
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


def available() -> dict[str, list[int]]:
    """Template names and their versions."""
    found: dict[str, list[int]] = {}
    for path in _HERE.glob("*.toml"):
        match = _FILE.match(path.name)
        if match:
            found.setdefault(match["name"], []).append(int(match["version"]))
    return {name: sorted(versions) for name, versions in found.items()}


@cache
def load(name: str, version: int | None = None) -> PromptTemplate:
    """The template ``name@version`` (newest version when None)."""
    versions = available().get(name)
    if not versions:
        raise RagtuiError(
            f"Unknown prompt template {name!r}: use one of {', '.join(sorted(available()))}."
        )
    chosen = versions[-1] if version is None else version
    if chosen not in versions:
        raise RagtuiError(f"Prompt {name} has no version {chosen}: versions are {versions}.")
    with (_HERE / f"{name}@{chosen}.toml").open("rb") as fh:
        raw = tomllib.load(fh)
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
        raw["format"],
        raw["prefix"],
        raw["passage"],
        raw["suffix"],
        tuple(raw.get("stop", [])),
        tuple(sorted(examples.items())),
    )
