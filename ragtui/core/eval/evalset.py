"""The kept, versioned eval set of continuous evaluation, in ``evals/continuous`` in the data
dir: ``set@N.jsonl`` (the cases) with ``set@N.json`` (what it was drawn from), and
``corpus/DIGEST.json`` (indexed files and content hashes, shared by sets and runs). A new
version is written beside the old ones, never over them."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragtui.core.eval.fingerprint import corpus_digest

_MANIFEST = re.compile(r"^set@(\d+)\.json$")


@dataclass(frozen=True)
class EvalSet:
    """One version of the kept set."""

    version: int
    path: Path
    corpus: str
    created: float
    cases: int
    report: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        """``{version, path, corpus, created, cases, report}``."""
        return {
            "version": self.version,
            "path": str(self.path),
            "corpus": self.corpus,
            "created": self.created,
            "cases": self.cases,
            "report": self.report,
        }


class EvalSets:
    """The versions of the kept set and the corpus snapshots they and the runs refer to."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def versions(self) -> list[EvalSet]:
        """Every version whose cases and manifest are both there, oldest first."""
        if not self.root.is_dir():
            return []
        found = []
        for manifest in self.root.iterdir():
            match = _MANIFEST.match(manifest.name)
            cases = self.root / f"set@{match.group(1)}.jsonl" if match else None
            if match and cases is not None and cases.is_file():
                data = json.loads(manifest.read_text(encoding="utf-8"))
                found.append(
                    EvalSet(
                        int(match.group(1)),
                        cases,
                        str(data["corpus"]),
                        float(data["created"]),
                        int(data["cases"]),
                        dict(data.get("report", {})),
                    )
                )
        return sorted(found, key=lambda s: s.version)

    def latest(self) -> EvalSet | None:
        """The newest version, if any."""
        versions = self.versions()
        return versions[-1] if versions else None

    def next_version(self) -> int:
        """The version a new set gets."""
        latest = self.latest()
        return 1 if latest is None else latest.version + 1

    def draft(self, version: int) -> Path:
        """Where the cases of a version being drawn are written before :meth:`keep`."""
        self.root.mkdir(parents=True, exist_ok=True)
        return self.root / f"set@{version}.jsonl.part"

    def keep(
        self, version: int, files: Mapping[str, str], cases: int, report: dict[str, Any]
    ) -> EvalSet:
        """Make the drawn cases version ``version``, with its manifest."""
        digest = self.save_corpus(files)
        final = self.root / f"set@{version}.jsonl"
        created = time.time()
        manifest = {"corpus": digest, "created": created, "cases": cases, "report": report}
        os.replace(self.draft(version), final)
        _write(self.root / f"set@{version}.json", manifest)
        return EvalSet(version, final, digest, created, cases, report)

    def save_corpus(self, files: Mapping[str, str]) -> str:
        """Store a corpus snapshot once; returns its digest."""
        digest = corpus_digest(files)
        path = self.root / "corpus" / f"{digest}.json"
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            _write(path, dict(sorted(files.items())))
        return digest

    def corpus(self, digest: str) -> dict[str, str] | None:
        """A stored corpus snapshot (None when it is gone)."""
        path = self.root / "corpus" / f"{digest}.json"
        if not path.is_file():
            return None
        return {str(k): str(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}


def _write(path: Path, data: object) -> None:
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(data), encoding="utf-8")
    os.replace(part, path)
