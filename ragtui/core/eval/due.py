"""Is a continuous eval run due, and why: a pure decision over the answer fingerprint, the
indexed files, the kept eval set and the last continuous run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ragtui.core.eval.fingerprint import changed_share, describe_change


@dataclass(frozen=True)
class SetState:
    """The newest eval set version and the files it was drawn from."""

    version: int
    files: Mapping[str, str]


@dataclass(frozen=True)
class LastRun:
    """The newest continuous run: its fingerprint, set version and files (None: unknown)."""

    name: str
    run_id: str
    status: str
    fingerprint: Mapping[str, Any]
    set_version: int
    files: Mapping[str, str] | None
    done: int
    total: int


@dataclass(frozen=True)
class Due:
    """The decision: run or not, why, and whether to draw a new set or resume a run first."""

    due: bool
    reason: str
    regenerate: bool = False
    resume: str | None = None


def decide(
    fingerprint: Mapping[str, Any],
    files: Mapping[str, str],
    eval_set: SetState | None,
    last: LastRun | None,
    share: float,
) -> Due:
    """Whether a continuous run is due now; ``share`` is the corpus change that counts."""
    if not files:
        return Due(False, "nothing is indexed yet")
    if eval_set is None:
        return Due(True, "no eval set yet: one is drawn from your index", regenerate=True)
    drift = changed_share(eval_set.files, files)
    if drift > share:
        return Due(
            True,
            f"{_pct(drift)} of the indexed files changed since set@{eval_set.version} was "
            "drawn: a new set version is drawn",
            regenerate=True,
        )
    if last is None:
        return Due(True, f"set@{eval_set.version} has no continuous run yet")
    if last.set_version != eval_set.version:
        return Due(True, f"set@{eval_set.version} is newer than run {last.name}")
    if dict(last.fingerprint) != dict(fingerprint):
        return Due(
            True, f"changed since run {last.name}: {describe_change(last.fingerprint, fingerprint)}"
        )
    if last.status != "complete":
        return Due(
            True,
            f"run {last.name} stopped at {last.done}/{last.total} cases: it resumes",
            resume=last.run_id,
        )
    if last.files is not None:
        moved = changed_share(last.files, files)
        if moved > share:
            return Due(True, f"{_pct(moved)} of the indexed files changed since run {last.name}")
    return Due(False, f"nothing that decides answers changed since run {last.name}")


def _pct(share: float) -> str:
    return f"{share * 100:.0f} %"
