"""Records the core hands to its shells (pydantic, frozen)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Location(_Frozen):
    """Where a chunk sits in its file."""

    page: int | None = None
    heading: tuple[str, ...] = ()
    line_start: int | None = None
    line_end: int | None = None
    hidden: bool = False  # text a reader of the file does not see

    def label(self) -> str:
        """Human form: ``p. 3 · Install > Linux · lines 10-24`` (``· hidden text`` last when
        the text is hidden from a reader of the file)."""
        parts = []
        if self.page is not None:
            parts.append(f"p. {self.page}")
        if self.heading:
            parts.append(" > ".join(self.heading))
        if self.line_start is not None:
            end = self.line_end if self.line_end is not None else self.line_start
            parts.append(
                f"lines {self.line_start}-{end}"
                if end != self.line_start
                else f"line {self.line_start}"
            )
        if self.hidden:
            parts.append("hidden text")
        return " · ".join(parts)


class Hit(_Frozen):
    """One ranked chunk: where it is, how it scored at each stage, and its text."""

    chunk_id: str
    path: str
    also_at: tuple[str, ...] = ()  # the same or nearly the same text in other files
    location: Location
    score: float
    scores: dict[str, float]
    ranks: dict[str, int]
    snippet: str
    text: str
    context: str


class SearchResult(_Frozen):
    """Hits plus how much of the index could take part in dense retrieval."""

    query: str
    mode: str
    hits: tuple[Hit, ...]
    embedded_fraction: float
    timings_ms: dict[str, float]


class Citation(_Frozen):
    """A passage an answer rests on: explicit (``[n]`` in the text) or inferred."""

    n: int
    chunk_id: str
    path: str
    location: Location
    snippet: str
    inferred: bool
    also_at: tuple[str, ...] = ()  # the same text in other files


class Evidence(_Frozen):
    """A sentence (or a few lines) of a retrieved passage that best answers the question."""

    text: str
    chunk_id: str
    path: str
    location: Location  # narrowed to the sentence's own lines where the file has lines
    score: float


class Answer(_Frozen):
    """An answer with its sources, what it cost, and how it was made."""

    question: str
    answer: str
    citations: tuple[Citation, ...]
    cached: bool | str = False
    fallback: bool = False
    abstained: bool = False
    refocused: bool = False  # re-asked over the best-matching line; differs from the stream
    quoted: bool = False  # the model's answer failed its checks: the evidence is shown instead
    evidence: tuple[Evidence, ...] = ()
    unsupported: tuple[str, ...] = ()
    closest: tuple[Citation, ...] = ()  # when declined: the nearest passages, not sources
    dropped_citations: int = 0
    packed: tuple[str, ...] = ()
    dropped_chunks: tuple[str, ...] = ()
    truncated_chunks: tuple[str, ...] = ()
    weak_chunks: tuple[str, ...] = ()  # retrieved, left out: far less relevant than the best
    timings_ms: dict[str, float]
    tokens: dict[str, int]
    model: str
    prompt_version: str
    prompt_candidate: bool = False  # a rollout candidate's prompt (answer.prompt_candidates)
    trace_id: str | None = None  # the ask's trace (None when tracing is off)
    error: str | None = None
    retrieval_query: str | None = None  # what was searched, when not the question (follow-up)
    route: str | None = None  # the llm.routes route that answered, "extractive", or None
    routes_failed: tuple[str, ...] = ()  # routes tried before it, each as "name: why"
    stream_discarded: bool = False  # a route failed after streaming: this answer replaces it


class FileInfo(_Frozen):
    """One catalogued file as the library lists it."""

    path: str
    status: str  # indexed, empty, skipped or failed
    size: int
    chunks: int
    embedded: int
    indexed_at: float
    loader: str | None = None
    error: str | None = None


class Passage(_Frozen):
    """A stored chunk by id: where it is and its full text (for source previews)."""

    chunk_id: str
    path: str
    location: Location
    text: str
    context: str


class ConversationInfo(_Frozen):
    """A stored conversation: id, title, when, and how many turns."""

    id: int
    title: str
    created_at: float
    updated_at: float
    turns: int


class Turn(_Frozen):
    """One question and the answer it got."""

    question: str
    answer: Answer
    created_at: float
