"""Settings: pydantic models loaded from ``config.toml`` and ``RAGTUI_*`` env vars.

Env vars nest with ``__``: ``RAGTUI_RETRIEVAL__MODE=bm25`` sets ``retrieval.mode``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from ragtui import paths

SearchMode = Literal["hybrid", "dense", "bm25"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EmbeddingSettings(_Section):
    """The text embedding model (fastembed, ONNX, local files only)."""

    model: str = Field(
        "all-MiniLM-L6-v2-int8",
        description="Model name from models/models.toml, or any id when model_dir is set.",
    )
    model_dir: Path | None = Field(
        None, description="A local fastembed-compatible model directory (model.onnx + tokenizer)."
    )
    dim: int = Field(384, description="Vector dimension of a custom model_dir model.")
    pooling: Literal["mean", "cls"] = Field(
        "mean",
        description="Pooling of a model_dir model: mean (sentence-transformers) or cls (BGE).",
    )
    max_tokens: int = Field(256, ge=16, description="Tokens per passage the model sees.")
    batch_size: int = Field(16, ge=1, description="Passages per embedding batch.")
    threads: int | None = Field(None, ge=1, description="ONNX threads (default: all cores).")


class IngestSettings(_Section):
    """What gets read and how it is cut into chunks."""

    max_file_mb: float = Field(50, gt=0, description="Files larger than this are skipped.")
    ignore: list[str] = Field(
        default_factory=list, description="Extra glob patterns to ignore (gitignore syntax)."
    )
    include_hidden: bool = Field(False, description="Index hidden files and folders.")
    respect_gitignore: bool = Field(True, description="Honour .gitignore files.")
    follow_symlinks: bool = Field(
        True,
        description=(
            "Follow symlinked folders (loops are cut); off: symlinked folders are not entered and "
            "symlinked files leading outside their folder are not read."
        ),
    )
    ocr: bool = Field(
        True,
        description=(
            "Read images (PNG, JPEG, TIFF, WebP) and scanned PDF pages with offline OCR "
            "(rapidocr-onnxruntime); off: images are skipped and scanned pages stay unread."
        ),
    )
    ocr_max_megapixels: float = Field(
        50, gt=0, description="Images larger than this fail alone instead of being decoded."
    )
    reader_process: bool = Field(
        True,
        description=(
            "Read PDFs, office files, e-books, images, mail, compressed and large files in a "
            "separate process held to file_timeout_s and file_memory_mb (POSIX); off: in "
            "ragtui's own process, without those limits."
        ),
    )
    file_timeout_s: float = Field(
        60, gt=0, description="A file that takes longer than this to read fails alone."
    )
    ocr_timeout_s: float = Field(
        900,
        gt=0,
        description="The time limit instead for a file that needs OCR (an image or a "
        "scanned PDF; OCR takes 7-25 s a page on two cores).",
    )
    file_memory_mb: float = Field(
        2048,
        gt=0,
        description="Memory the reading of one file may take (Linux); a file that needs "
        "more fails alone.",
    )
    chunk_tokens: int = Field(160, ge=32, description="Target chunk size in tokens.")
    chunk_overlap: int = Field(24, ge=0, description="Tokens repeated between split chunks.")


class IndexSettings(_Section):
    """Where the indexes live."""

    vectors_uri: str | None = Field(
        None, description="LanceDB URI (local path or object store); default: data dir."
    )
    embed_batch_chunks: int = Field(256, ge=1, description="Chunks embedded per write batch.")


class RetrievalSettings(_Section):
    """How search ranks chunks."""

    mode: SearchMode = Field("hybrid", description="hybrid, dense or bm25.")
    k: int = Field(10, ge=1, description="Hits returned.")
    candidates: int = Field(100, ge=1, description="Hits taken from each retriever before fusion.")
    fusion: Literal["convex", "rrf"] = Field(
        "convex",
        description="How hybrid merges rankings: convex (weighted min-max scores) or rrf.",
    )
    rrf_k: float = Field(60.0, gt=0, description="Reciprocal-rank fusion constant.")
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense ranking in fusion.")
    bm25_weight: float = Field(1.0, ge=0, description="Weight of the BM25 ranking in fusion.")
    reranker_dir: Path | None = Field(
        None,
        description="A local cross-encoder ONNX directory (`ragtui models use NAME`); "
        "when set, the top fused hits are re-scored by it.",
    )
    rerank_candidates: int = Field(
        30, ge=1, description="Fused hits the cross-encoder re-scores (it costs per hit)."
    )
    mmr: bool = Field(False, description="Diversify hits with maximal marginal relevance.")
    mmr_lambda: float = Field(0.7, ge=0, le=1, description="MMR relevance/diversity balance.")
    expansion: Literal["off", "keywords", "multi", "hyde"] = Field(
        "off",
        description="Search more than the query: keywords (terms of the top keyword hits "
        "added, no model), multi (two rewordings by the local model) or hyde (a passage "
        "the local model writes as an answer, searched by vector). Measured in the README; "
        "none wins by default.",
    )
    followups: Literal["carry", "condense", "off"] = Field(
        "carry",
        description='In a conversation, a question that leans on earlier turns ("and the '
        'rear ones?") is searched with the key terms of the latest turns added (carry), '
        "as the local model rewrites it to stand alone (condense; carry when the rewrite "
        "is degenerate), or as it is (off). The model always gets the question as asked.",
    )


ROUTE_RULE = re.compile(
    r"^\s*(?:(?P<word>always|user)|(?P<fact>question_words|context_tokens|relevance)\s*"
    r"(?P<op><=|>=|≤|≥)\s*(?P<value>\d+(?:\.\d+)?))\s*$"
)


class RouteSettings(_Section):
    """One route of the model router: a backend (any key left out is taken from [llm]) and
    the rule that decides when it answers. Routes are tried in order; a route that fails,
    times out or whose circuit breaker is open passes the question to the next matching
    one, and after the last comes the extractive answer."""

    name: str = Field(
        ...,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$",
        description="What the trace, `ragtui stats` and `ragtui ask --route NAME` call it "
        "(letters, digits, - and _; required).",
    )
    when: str = Field(
        "always",
        description="always; user (only with `ragtui ask --route NAME`); or a fact, <= or "
        ">= and a number: question_words (words in the question), context_tokens (estimated "
        "tokens of the retrieved passages) or relevance (the calibrated confidence, 0 to 1, "
        'that the passages answer the question), e.g. "context_tokens >= 400".',
    )
    backend: Literal["llama_cpp", "openai"] | None = Field(
        None, description="llama_cpp or openai (default: llm.backend)."
    )
    model: str | None = Field(None, description="Model name from models.toml or the server's.")
    model_path: Path | None = Field(None, description="Any GGUF file; overrides model.")
    prompt_format: Literal["auto", "completion", "chat"] | None = Field(
        None, description="completion, chat or auto (default: llm.prompt_format)."
    )
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint (backend = openai).")
    api_key: str | None = Field(None, description="Bearer token for the HTTP backend, if any.")
    n_ctx: int | None = Field(None, ge=512, description="Context window in tokens.")
    threads: int | None = Field(None, ge=1, description="CPU threads (default: llm.threads).")
    timeout_s: float | None = Field(
        None, gt=0, description="Give up on this route after this long (default: llm.timeout_s)."
    )
    breaker_s: float | None = Field(
        None,
        ge=0,
        description="After this route fails, skip it for this long (default: llm.breaker_s).",
    )

    @field_validator("when")
    @classmethod
    def _rule(cls, value: str) -> str:
        if ROUTE_RULE.match(value) is None:
            raise ValueError(
                "write always, user, or question_words, context_tokens or relevance with "
                "<= or >= and a number"
            )
        return value.strip()


class LLMSettings(_Section):
    """The generation model: an in-process GGUF through llama.cpp, or an OpenAI-compatible
    server on the user's own network."""

    backend: Literal["llama_cpp", "openai"] = Field(
        "llama_cpp",
        description="llama_cpp (in process) or openai (an HTTP server such as llama-server).",
    )
    model: str = Field(
        "gemma-3-270m-q4_k_m", description="Model name from models.toml (or the server's model)."
    )
    model_path: Path | None = Field(None, description="Any GGUF file; overrides model.")
    prompt_format: Literal["auto", "completion", "chat"] = Field(
        "auto",
        description="completion (base models), chat (instruction-tuned) or auto "
        "(models.toml, else the GGUF's chat template).",
    )
    base_url: str = Field(
        "http://127.0.0.1:8080/v1", description="OpenAI-compatible endpoint (backend = openai)."
    )
    api_key: str | None = Field(None, description="Bearer token for the HTTP backend, if any.")
    n_ctx: int = Field(4096, ge=512, description="Context window in tokens.")
    threads: int | None = Field(None, ge=1, description="CPU threads (default: physical cores).")
    max_tokens: int = Field(160, ge=1, description="Most tokens an answer may have.")
    temperature: float = Field(0.0, ge=0, description="Sampling temperature (0: greedy).")
    draft: Literal["off", "prompt_lookup", "model"] = Field(
        "off",
        description="Speculative decoding for greedy answers: prompt_lookup drafts tokens "
        "by copying from the prompt, model has llm.draft_model_path write them, and the "
        "answering model checks them in one batch. Measured slower with the default 270M "
        "model, so off (README, Models).",
    )
    draft_tokens: int = Field(
        2,
        ge=1,
        le=16,
        description="Most tokens drafted per step (llm.draft = prompt_lookup or model).",
    )
    draft_model_path: Path | None = Field(
        None,
        description="The smaller GGUF that drafts when llm.draft = model (default: the bundled "
        "model); it must share the answering model's vocabulary.",
    )
    timeout_s: float = Field(120.0, gt=0, description="Give up on an answer after this long.")
    breaker_s: float = Field(
        60.0, ge=0, description="After a model failure, answer extractively for this long."
    )
    routes: list[RouteSettings] = Field(
        default_factory=list,
        description="The model router: [[llm.routes]] tables, tried in order (see "
        "`ragtui help llm.routes`). Empty: this section's model is the one route.",
    )

    @field_validator("routes")
    @classmethod
    def _unique(cls, routes: list[RouteSettings]) -> list[RouteSettings]:
        names = [r.name for r in routes]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"two routes are named {name!r}")
            if name == "extractive":
                raise ValueError("extractive is the answer after every route, not a route")
        return routes


class AnswerSettings(_Section):
    """How questions become answers."""

    k: int = Field(3, ge=1, description="Passages retrieved for an answer.")
    evidence_k: int = Field(
        5, ge=1, description="Passages whose sentences may be the evidence (the answer's first)."
    )
    context_tokens: int = Field(
        500, ge=64, description="Most prompt tokens spent on passages (prefill is the slow part)."
    )
    followup_question: Literal["asked", "rewrite"] = Field(
        "asked",
        description="The question a completion-format model reads for a follow-up: as "
        "asked, or the standalone rewrite retrieval used (README, follow-up questions).",
    )
    history_tokens: int = Field(
        256,
        ge=0,
        description="Most prompt tokens a chat-format model gets of the conversation's "
        "earlier turns (newest first; 0: none). Completion-format models get the question only.",
    )
    prompt: str = Field(
        "qa",
        description="Prompt template name: a bundled one, or your own as "
        "<name>@<version>.toml in the data dir's prompts/ folder.",
    )
    prompt_version: int | None = Field(
        None, description="Template version (default: the newest bundled one)."
    )
    prompt_candidates: dict[str, float] = Field(
        default_factory=dict,
        description="Prompt rollout: candidate versions and the share of live questions "
        'each answers, e.g. {"qa@2" = 0.2} (shares sum to at most 1; a question always '
        "gets the same version). `ragtui prompts stats` compares them with the default, "
        "`ragtui prompts promote` makes one the default. Eval runs use the default only.",
    )
    abstain: bool = Field(
        True, description="Say the documents lack the answer when retrieval is weak."
    )
    min_confidence: float = Field(
        0.35,
        ge=0,
        le=1,
        description="Abstain when the calibrated probability that the retrieved passages "
        "answer the question (from the best sentence's and passage's similarity, keyword and "
        "vector agreement, and how much of the question's words, weighed by their rarity, "
        "they hold) is below this.",
    )
    overrule_decline: float = Field(
        0.35,
        ge=0,
        le=1,
        description="When the model says the documents lack the answer but the abstention "
        "confidence is at least this, show the evidence quoted instead (1: never). At the "
        "default, as min_confidence: the small model's declines were wrong as often as right, "
        "so retrieval's calibrated confidence decides; raise it for a bigger model.",
    )
    passage_margin: float = Field(
        2.0,
        ge=0,
        description="Leave out a retrieved passage whose best sentence is this much less "
        "similar to the question than the best passage's: less to prefill and fewer wrong "
        "places to copy from. 2 keeps all k; see the README for 0.2.",
    )
    support_floor: float = Field(
        0.45, description="Least similarity for a passage to count as supporting a sentence."
    )
    cache: bool = Field(True, description="Reuse answers (exact and semantic).")
    semantic_cache: bool = Field(True, description="Reuse answers to near-identical questions.")
    semantic_threshold: float = Field(0.95, description="Cosine for a semantic cache hit.")
    cache_mb: int = Field(512, ge=1, description="Size bound of the answer and state caches.")

    @field_validator("prompt_candidates")
    @classmethod
    def _candidates(cls, shares: dict[str, float]) -> dict[str, float]:
        from ragtui.core import prompts
        from ragtui.core.errors import RagtuiError

        if any(not 0 < share <= 1 for share in shares.values()):
            raise ValueError("each candidate's share is a number above 0 and at most 1")
        if sum(shares.values()) > 1 + 1e-9:
            raise ValueError(f"the candidates' shares add up to {sum(shares.values()):g}, over 1")
        try:
            return {prompts.resolve(*prompts.parse_id(p)): share for p, share in shares.items()}
        except RagtuiError as exc:
            raise ValueError(str(exc).rstrip(".")) from None

    @model_validator(mode="after")
    def _not_the_default(self) -> AnswerSettings:
        from ragtui.core import prompts
        from ragtui.core.errors import RagtuiError

        if self.prompt_candidates:
            try:
                default = prompts.resolve(self.prompt, self.prompt_version)
            except RagtuiError:
                return self  # an unknown default fails where it is used, as before
            if default in self.prompt_candidates:
                raise ValueError(f"{default} is the default prompt, not a candidate")
        return self


class TracingSettings(_Section):
    """Traces of every ask, search, index batch and eval case (OpenTelemetry spans kept in
    ``traces.sqlite`` in the data dir; nothing leaves the machine unless otlp_endpoint is set)."""

    enabled: bool = Field(True, description="Record traces.")
    content: Literal["full", "hash", "redact"] = Field(
        "full",
        description="Keep questions, prompts, passages and answers in full, as a sha256 "
        "prefix, or not at all.",
    )
    sample_rate: float = Field(
        1.0, ge=0, le=1, description="Share of ordinary traces kept (errors and slow ones always)."
    )
    slow_ms: dict[str, float] = Field(
        default_factory=lambda: {
            "ask": 15000.0,
            "search": 250.0,
            "index": 60000.0,
            "eval.case": 30000.0,
        },
        description="A trace slower than this (by root name) is always kept.",
    )
    max_traces: int = Field(20000, ge=1, description="Oldest traces beyond this are pruned.")
    max_age_days: float = Field(30.0, gt=0, description="Traces older than this are pruned.")
    stage_documents: int = Field(
        20, ge=0, description="Chunk ids and scores kept per retrieval stage span."
    )
    otlp_endpoint: str | None = Field(
        None,
        description="Also send spans to this OTLP/HTTP endpoint (e.g. a local Phoenix at "
        "http://127.0.0.1:6006/v1/traces); off by default.",
    )


class EvalSettings(_Section):
    """How ``ragtui eval run`` judges answers, and continuous evaluation."""

    judge_model_path: Path | None = Field(
        None, description="A GGUF for the faithfulness judge (default: the answering model)."
    )
    judge_prompt: str = Field("judge", description="Judge prompt template name (newest version).")
    continuous: bool = Field(
        True,
        description="Continuous evaluation: the app and `ragtui serve` re-run a kept eval "
        "set drawn from your own index when the model, prompt, embedding model, a retrieval "
        "or answer setting, or enough of the corpus changed, while no question is asked "
        "(`ragtui eval continuous status` says whether a run is due and why).",
    )
    continuous_idle_s: float = Field(
        300.0,
        ge=0,
        description="Seconds without a question before a continuous run starts or takes its "
        "next case; an answer in progress always stops the case in flight.",
    )
    continuous_cases: int = Field(
        20, ge=1, le=500, description="Cases in the kept eval set the local model writes."
    )
    continuous_change_share: float = Field(
        0.2,
        gt=0,
        le=1,
        description="Share of indexed files added, removed or changed since the eval set "
        "(or the last run) was drawn that writes a new set version (and runs it).",
    )
    continuous_judge: bool = Field(
        False,
        description="Judge faithfulness with the model in continuous runs (a judge call "
        "cannot be stopped for a question, and doubles the model time per case).",
    )


class PriceSettings(_Section):
    """What a cloud model would charge, in US dollars per 1,000 tokens."""

    prompt_per_1k: float = Field(0.00015, ge=0, description="$ per 1,000 prompt tokens.")
    completion_per_1k: float = Field(0.0006, ge=0, description="$ per 1,000 completion tokens.")


class StatsSettings(_Section):
    """How ``ragtui stats`` turns traces into cost and energy figures."""

    watts: float = Field(
        15.0, gt=0, description="CPU power while answering, for the energy estimate (Wh)."
    )
    price_reference: str = Field(
        "gpt-4o-mini", description="Which prices entry the cloud-equivalent cost uses."
    )
    prices: dict[str, PriceSettings] = Field(
        default_factory=lambda: {
            "gpt-4o-mini": PriceSettings(prompt_per_1k=0.00015, completion_per_1k=0.0006),
            "gpt-4o": PriceSettings(prompt_per_1k=0.0025, completion_per_1k=0.01),
            "claude-3-5-haiku": PriceSettings(prompt_per_1k=0.0008, completion_per_1k=0.004),
        },
        description="Price table: name = {prompt_per_1k, completion_per_1k}.",
    )
    daily_budget_usd: float = Field(
        1.0, ge=0, description="Warn when a day's cloud-equivalent cost exceeds this."
    )


class DriftSettings(_Section):
    """Drift checks in ``ragtui stats`` and the Stats screen: the newest questions, retrieval
    figures and answers (the recent window) against those just before them (the baseline),
    and newly indexed chunks against the older ones."""

    enabled: bool = Field(True, description="Compute drift signals with the stats.")
    baseline: int = Field(
        200, ge=10, le=5000, description="Observations of a signal in the baseline window."
    )
    recent: int = Field(
        30, ge=10, le=1000, description="Newest observations of a signal: the recent window."
    )
    alpha: float = Field(
        0.05,
        gt=0,
        lt=1,
        description="Alert when a signal's p-value, Holm-adjusted over all signals, is below "
        "this (the share of windows that raise a false alarm on any signal).",
    )
    permutations: int = Field(
        500, ge=50, le=10000, description="Label shuffles for the question-drift p-value."
    )
    corpus_window: str = Field(
        "7d",
        description="Chunks of files indexed within this window (24h, 7d …) are new; the "
        "new-topics signal compares them with the older ones.",
    )
    corpus_sample: int = Field(
        1000, ge=100, le=20000, description="Most older chunk vectors read to find its topics."
    )


class MCPSettings(_Section):
    """How ``ragtui mcp`` serves editors and agents over the Model Context Protocol."""

    allow_changes: bool = Field(
        False,
        description="Offer the add_folder tool, so an MCP client may register and index a "
        "folder; off: the server is read-only.",
    )
    port: int = Field(
        8765, ge=1, le=65535, description="Port of `ragtui mcp --http` (bound to 127.0.0.1 only)."
    )
    search_k: int = Field(5, ge=1, le=50, description="Hits the search tool returns by default.")


class Settings(BaseSettings):
    """All of ragtui's settings."""

    model_config = SettingsConfigDict(
        env_prefix="RAGTUI_", env_nested_delimiter="__", extra="forbid"
    )

    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    tracing: TracingSettings = Field(default_factory=TracingSettings)
    eval: EvalSettings = Field(default_factory=EvalSettings)
    stats: StatsSettings = Field(default_factory=StatsSettings)
    drift: DriftSettings = Field(default_factory=DriftSettings)
    mcp: MCPSettings = Field(default_factory=MCPSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=paths.config_file())
        return (init_settings, env_settings, toml)


class ConfigError(Exception):
    """The configuration is invalid; the message is one sentence naming the key."""


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into one readable sentence."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        raise ConfigError(
            f"Invalid setting {key!r} ({first['msg']}): fix it in {paths.config_file()} "
            "or the matching RAGTUI_ environment variable."
        ) from None
    except ValueError as exc:
        raise ConfigError(f"Cannot read {paths.config_file()}: {exc}.") from None
