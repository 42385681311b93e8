"""Reports the shells print: index size and health, stats figures and eval comparisons.

Each is a frozen record whose ``as_json()`` is the object ``--json`` prints (the JSON
Schemas in ``ragtui/schemas`` describe it); field names and order are the JSON's.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Report(BaseModel):
    model_config = ConfigDict(frozen=True)

    def as_json(self) -> dict[str, Any]:
        """The JSON object ``--json`` prints."""
        return self.model_dump(mode="json")


class IndexSize(_Report):
    """Files by status, chunks, and bytes on disk of the catalog and both indexes."""

    files: int
    failed: int
    skipped: int
    chunks: int
    embedded: int
    bytes_on_disk: int
    bytes: dict[str, int]


class CatalogFigures(_Report):
    """What the catalog holds."""

    files: int
    indexed: int
    failed: int
    chunks: int
    embedded: int
    pending_vector_deletes: int
    generation: int


class KeywordFigures(_Report):
    """What the keyword index holds."""

    chunks: int


class VectorFigures(_Report):
    """What the vector table holds, and how it disagrees with the catalog."""

    rows: int
    duplicates: int
    orphans: int
    missing: int


class IndexHealth(_Report):
    """Whether the catalog and both indexes agree (``consistent`` when no problem was
    found), their counts, and what a start-up repair had to do."""

    consistent: bool
    problems: list[str]
    catalog: CatalogFigures
    keywords: KeywordFigures
    vectors: VectorFigures
    repaired: list[str]
    data_dir: str


class StatsReport(_Report):
    """Every figure ``ragtui stats`` shows for one time window (see :mod:`ragtui.core.stats`
    for each part's keys)."""

    since: str
    traces: int
    by_kind: dict[str, int]
    stages: dict[str, dict[str, Any]]
    answers: dict[str, Any]
    tokens_per_day: list[dict[str, Any]]
    cache: dict[str, Any]
    process: dict[str, Any]
    energy: dict[str, Any]
    cost: dict[str, Any]
    index: dict[str, Any]
    warnings: list[str]


class RunRef(_Report):
    """An eval run by id and name."""

    run_id: str
    name: str


class MetricDelta(_Report):
    """One metric of two compared runs: means, the change, its interval and p-value."""

    metric: str
    a: float
    b: float
    delta: float
    ci95: tuple[float, float]
    p: float
    n: int
    kind: str  # quality or cost
    regression: bool


class CaseChange(_Report):
    """A case whose quality metrics moved, with each metric's change."""

    case_id: str
    question: str
    deltas: dict[str, float]


class EvalComparison(_Report):
    """Run ``b`` against run ``a``: per-metric deltas, regressions and the cases that moved
    most."""

    a: RunRef
    b: RunRef
    cases_compared: int
    tolerance: float
    metrics: list[MetricDelta]
    regressions: list[str]
    changed_cases: list[CaseChange]
