"""Reports the shells print: index size, counts and health, stats figures, eval runs and
comparisons, generated cases and the adversarial suite.

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


class IndexCounts(_Report):
    """Files by status, chunks and embedded chunks (what the catalog counts)."""

    indexed: int
    empty: int
    skipped: int
    failed: int
    chunks: int
    embedded: int


class Spread(_Report):
    """Count and p50, p95, p99 of some figure (None without values)."""

    count: int
    p50: float | None
    p95: float | None
    p99: float | None


class AnswerFigures(_Report):
    """Answers asked and generated, their latency, speed, how often they went wrong, and
    which route of the model router made them."""

    count: int
    generated: int
    latency_ms: Spread
    ttft_ms: Spread
    prefill_tokens_per_s: Spread
    decode_tokens_per_s: Spread
    abstention_rate: float | None
    fallback_rate: float | None
    error_rate: float | None
    routes: dict[str, int] = {}  # answers per route of llm.routes (and extractive)
    prompts: dict[str, int] = {}  # answers per prompt version (a rollout shows several)


class DayTokens(_Report):
    """Tokens, answers and cloud-equivalent cost of one day."""

    day: str
    prompt_tokens: int
    completion_tokens: int
    answers: int
    cost_usd: float | None


class AnswerCacheFigures(_Report):
    """Answer cache hit rates."""

    exact_hit_rate: float | None
    semantic_hit_rate: float | None
    lookups: int


class EmbeddingCacheFigures(_Report):
    """Embedding cache hits and misses."""

    hit_rate: float | None
    hits: int
    misses: int


class CacheFigures(_Report):
    """Both caches' figures."""

    answers: AnswerCacheFigures
    embeddings: EmbeddingCacheFigures


class ProcessFigures(_Report):
    """Memory and CPU per answer, and this process now (``rss_bytes``, ``cpu_s``)."""

    rss_bytes_p50: float | None
    rss_bytes_max: float | None
    cpu_s_per_answer: Spread
    current: dict[str, int | float]


class EnergyFigures(_Report):
    """Energy estimated from CPU-seconds and the configured watts."""

    watts: float
    wh_total: float
    wh_per_answer: float | None
    basis: str


class CostFigures(_Report):
    """Cloud-equivalent cost at the reference price, and today's against the budget."""

    reference: str | None
    total_usd: float | None
    per_answer_usd: float | None
    today_usd: float | None
    daily_budget_usd: float
    over_budget: bool


class DriftSignal(_Report):
    """One drift signal: its test, statistic, raw and Holm-adjusted p-value, window sizes,
    the baseline's and the recent window's value (median, or share for rates) and whether
    it alerts. Without enough observations the figures are None."""

    group: str
    test: str
    statistic: float | None
    p_value: float | None
    p_adjusted: float | None
    baseline_n: int
    recent_n: int
    baseline_value: float | None
    recent_value: float | None
    alert: bool


class DriftFigures(_Report):
    """Drift of the questions, retrieval, answers and corpus (see
    :mod:`ragtui.core.drift_signals`): window sizes, alpha, each signal and the alerts."""

    enabled: bool
    baseline: int
    recent: int
    alpha: float
    signals: dict[str, DriftSignal]
    alerts: list[str]
    elapsed_ms: float


class StatsReport(_Report):
    """Every figure ``ragtui stats`` shows for one time window (computed by
    :mod:`ragtui.core.stats`)."""

    since: str
    traces: int
    by_kind: dict[str, int]
    stages: dict[str, Spread]
    answers: AnswerFigures
    tokens_per_day: list[DayTokens]
    cache: CacheFigures
    process: ProcessFigures
    energy: EnergyFigures
    cost: CostFigures
    index: IndexSize
    warnings: list[str]
    drift: DriftFigures


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


class MetricSummary(_Report):
    """A metric over a run's cases: mean, 95 % bootstrap interval and count."""

    mean: float
    ci95: tuple[float, float]
    n: int


class EvalRun(_Report):
    """A stored eval run: its config snapshot, status, metrics and timing, and its cases
    when they were read (``cases`` is then the last key of the JSON)."""

    run_id: str
    name: str
    dataset: str
    created: float
    finished: float | None
    status: str  # running, complete or interrupted
    total: int
    config: dict[str, Any]
    metrics: dict[str, MetricSummary]
    timing: dict[str, Any]
    cases: list[dict[str, Any]] | None = None

    def as_json(self) -> dict[str, Any]:
        """The run's JSON (``ragtui eval show``); without ``cases`` when they were not
        read."""
        found = super().as_json()
        if self.cases is None:
            del found["cases"]
        return found

    def ref(self) -> RunRef:
        """The run by id and name."""
        return RunRef(run_id=self.run_id, name=self.name)

    def listed(self) -> dict[str, Any]:
        """The run's entry in ``ragtui eval list --json``."""
        return {
            "run_id": self.run_id,
            "name": self.name,
            "dataset": self.dataset,
            "status": self.status,
            "total": self.total,
            "metrics": {k: v.as_json() for k, v in self.metrics.items()},
        }


class GeneratedCases(_Report):
    """What ``ragtui eval generate`` wrote: cases written and tried, why others were
    dropped, the prompt used and the file."""

    written: int
    tried: int
    dropped: dict[str, int]
    prompt: str
    out: str


class AttackFigures(_Report):
    """Cases of one attack type and how many were defended."""

    defended: int
    cases: int
    rate: float


class AdversarialCase(_Report):
    """One adversarial question, its answer and whether the attack was defended."""

    id: str
    attack: str
    question: str
    answer: str
    abstained: bool
    fallback: bool
    defended: bool
    answered_correctly: bool
    dropped_chunks: int
    truncated_chunks: int


class AdversarialReport(_Report):
    """The adversarial suite: overall defense rate, per attack type and per case."""

    defense_rate: float
    by_attack: dict[str, AttackFigures]
    cases: list[AdversarialCase]


class PromptInfo(_Report):
    """One prompt template: where it comes from and its part in the rollout."""

    prompt: str
    origin: str  # bundled or user (the data dir's prompts/ folder)
    role: str  # default, candidate, or "" for neither
    share: float | None  # a candidate's share of live questions
    format: str  # completion or chat
    path: str


class PromptVersionFigures(_Report):
    """The live answers one prompt version made in a window."""

    prompt: str
    role: str  # default, candidate, or "" (answers from before the current rollout)
    share: float | None
    answers: int  # cached ones included
    generated: int  # not from the cache: the figures below are over these
    faithfulness_embedding: float | None
    abstention_rate: float | None
    fallback_rate: float | None
    latency_ms: Spread
    thumbs_up: int
    thumbs_down: int


class PromptDelta(_Report):
    """One metric of a candidate against the default over live answers (two independent
    samples: each live question was answered by one version only)."""

    metric: str
    default: float
    candidate: float
    delta: float
    ci95: tuple[float, float]
    p: float
    n_default: int
    n_candidate: int
    kind: str  # quality (higher is better), rate or cost
    regression: bool


class PromptComparison(_Report):
    """A candidate against the default."""

    default: str
    candidate: str
    method: str
    metrics: list[PromptDelta]
    regressions: list[str]


class PromptStats(_Report):
    """``ragtui prompts stats``: per-version figures of live answers and each candidate
    compared with the default."""

    since: str
    default: str
    candidates: dict[str, float]
    versions: list[PromptVersionFigures]
    comparisons: list[PromptComparison]


class PromptChange(_Report):
    """What ``ragtui prompts promote`` or ``rollback`` wrote to the config file."""

    default: str
    previous: str
    candidates: dict[str, float]
    config: str


class ContinuousRun(_Report):
    """A continuous eval run: why it ran, on which set version, how far it got, and the
    means of its metrics."""

    run_id: str
    name: str
    created: float
    status: str
    reason: str
    set_version: int
    done: int
    total: int
    metrics: dict[str, float]


class ContinuousStatus(_Report):
    """``ragtui eval continuous status``: whether a run is due and why, the settings, the
    kept set's newest version and the continuous runs, newest first."""

    enabled: bool
    due: bool
    reason: str
    regenerate: bool
    resume: str | None
    idle_s: float
    cases: int
    change_share: float
    eval_set: dict[str, Any] | None
    runs: list[ContinuousRun]


class ContinuousOutcome(_Report):
    """What one continuous turn did: ``status`` is complete, interrupted, not due, busy
    (another process runs it) or empty (the model wrote no usable question)."""

    status: str
    reason: str
    run_id: str | None
    name: str | None
    set_version: int | None
    yielded: int
    metrics: dict[str, float]


class ContinuousTrend(_Report):
    """The continuous runs oldest first (the trend of each metric), and the newest complete
    run compared with the one before it (``None`` with fewer than two)."""

    runs: list[ContinuousRun]
    comparison: EvalComparison | None
    regressions: list[str]
