"""``ragtui mcp``: the Engine as a Model Context Protocol server, for editors and agents.

A thin shell like the CLI: every tool calls one Engine method (built by the same factory)
and turns its records into plain JSON. Tools: ``search``, ``ask``, ``sources`` and, only
when ``mcp.allow_changes`` is set, ``add_folder``; a cited passage is the resource
``ragtui://passage/{chunk_id}``. A :class:`~ragtui.core.errors.RagtuiError` becomes a tool
error carrying its one sentence; anything else is logged to the log file with its
traceback and reported as an error naming the log. Calls reach the Engine one at a time.

Over stdio the SDK serves the protocol on a private copy of stdout and points the process's
own stdout at stderr, so nothing else can corrupt the stream.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from ragtui import __version__, paths
from ragtui.core.errors import RagtuiError

if TYPE_CHECKING:
    from ragtui.core.engine import Engine
    from ragtui.core.models import Citation

log = logging.getLogger("ragtui.mcp")

PASSAGE_URI = "ragtui://passage/{chunk_id}"
MAX_K = 50  # hits one search call may ask for

INSTRUCTIONS = """\
ragtui answers from the user's own documents, indexed on this machine; nothing leaves it.
Use `search` to find passages (fast, no model) and `ask` for an answer with numbered
citations from the local model (slower; it may decline when the documents do not say).
Cite what you use by its path and location. Read a passage in full from its `uri`.
`sources` lists the indexed folders and how many files were read."""

T = TypeVar("T")


class Hit(BaseModel):
    """One ranked passage."""

    path: str = Field(description="The file the passage comes from.")
    location: str = Field(description="Where in the file: page, heading, lines.")
    snippet: str = Field(description="The passage, shortened around the query.")
    score: float = Field(description="Relevance (higher is better; comparable within a call).")
    also_at: list[str] = Field(description="Other files with the same text.")
    uri: str = Field(description="The full passage, as a resource to read.")


class SearchResult(BaseModel):
    """Ranked passages for a query."""

    hits: list[Hit]
    mode: str = Field(description="hybrid, dense or bm25.")
    embedded_fraction: float = Field(
        description="Share of the index with vectors; below 1 while indexing is unfinished."
    )


class Cited(BaseModel):
    """A passage an answer rests on."""

    n: int = Field(description="The [n] marker in the answer.")
    path: str
    location: str
    snippet: str
    inferred: bool = Field(description="Used but not marked in the answer's text.")
    uri: str = Field(description="The full passage, as a resource to read.")


class EvidenceLine(BaseModel):
    """A sentence of a passage that answers the question."""

    text: str
    path: str
    location: str


class AnswerResult(BaseModel):
    """An answer from the documents with its citations and how it was made."""

    answer: str
    citations: list[Cited]
    evidence: list[EvidenceLine]
    abstained: bool = Field(description="The documents do not answer it; nothing was made up.")
    fallback: bool = Field(description="The model failed: the answer is quoted from passages.")
    quoted: bool = Field(description="The model's answer failed its checks: evidence is quoted.")
    closest: list[Cited] = Field(description="When abstaining: the nearest passages, not sources.")
    cached: bool
    model: str
    timings_ms: dict[str, float]


class FolderStatus(BaseModel):
    """A registered folder and its files by status."""

    path: str
    files: dict[str, int] = Field(description="Files by status: indexed, empty, skipped, failed.")


class Failure(BaseModel):
    """A file that could not be read."""

    path: str
    error: str


class Sources(BaseModel):
    """What is indexed."""

    folders: list[FolderStatus]
    files: dict[str, int] = Field(description="All files by status.")
    chunks: int
    embedded: int
    failed: list[Failure] = Field(description="Files that failed (the first 20).")


class Added(BaseModel):
    """A folder registered and indexed."""

    folder: str
    new: bool
    added: int
    updated: int
    unchanged: int
    skipped: int
    failed: int
    chunks: int


def passage_uri(chunk_id: str) -> str:
    """The resource URI of a stored passage."""
    return PASSAGE_URI.format(chunk_id=chunk_id)


def _cited(citations: tuple[Citation, ...]) -> list[Cited]:
    return [
        Cited(
            n=c.n,
            path=c.path,
            location=c.location.label(),
            snippet=c.snippet,
            inferred=c.inferred,
            uri=passage_uri(c.chunk_id),
        )
        for c in citations
    ]


class _Gate:
    """Calls reach the Engine one at a time; its errors become MCP errors."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __call__(self, work: Callable[[], T], error: type[Exception] = ToolError) -> T:
        with self._lock:
            try:
                return work()
            except RagtuiError as exc:
                raise error(str(exc)) from None
            except (ToolError, ResourceError):
                raise
            except Exception:
                log.exception("MCP request failed")
                raise error(
                    f"ragtui hit an unexpected error; the details are in {paths.log_file()}."
                ) from None


def build_server(engine: Engine) -> MCPServer[Any]:
    """An MCP server over ``engine``: ``search``, ``ask``, ``sources``, the passage
    resource, and ``add_folder`` when ``mcp.allow_changes`` is set."""
    settings = engine.settings.mcp
    gate = _Gate()
    server: MCPServer[Any] = MCPServer(
        "ragtui",
        version=__version__,
        instructions=INSTRUCTIONS,
        log_level="WARNING",
    )
    read_only = ToolAnnotations(readOnlyHint=True, openWorldHint=False)

    @server.tool(annotations=read_only)
    def search(
        query: Annotated[str, Field(description="What to look for, in words or a question.")],
        k: Annotated[int, Field(ge=1, le=MAX_K, description="Number of hits.")] = (
            settings.search_k
        ),
        mode: Annotated[
            Literal["hybrid", "dense", "bm25"] | None,
            Field(description="Retrieval mode (default: the configured one, hybrid)."),
        ] = None,
    ) -> SearchResult:
        """Search the user's indexed documents: ranked passages with their file and place
        (page, heading, lines). Fast; no language model."""
        result = gate(lambda: engine.search(query, k=k, mode=mode))
        return SearchResult(
            hits=[
                Hit(
                    path=h.path,
                    location=h.location.label(),
                    snippet=h.snippet,
                    score=round(h.score, 6),
                    also_at=list(h.also_at),
                    uri=passage_uri(h.chunk_id),
                )
                for h in result.hits
            ],
            mode=result.mode,
            embedded_fraction=round(result.embedded_fraction, 4),
        )

    @server.tool(annotations=read_only)
    def ask(
        question: Annotated[str, Field(description="A question about the documents.")],
    ) -> AnswerResult:
        """Answer a question from the user's indexed documents with a local model, with
        numbered citations. Declines ("abstained") when the documents do not say."""
        answer = gate(lambda: engine.ask(question))
        return AnswerResult(
            answer=answer.answer,
            citations=_cited(answer.citations),
            evidence=[
                EvidenceLine(text=e.text, path=e.path, location=e.location.label())
                for e in answer.evidence
            ],
            abstained=answer.abstained,
            fallback=answer.fallback,
            quoted=answer.quoted,
            closest=_cited(answer.closest),
            cached=bool(answer.cached),
            model=answer.model,
            timings_ms={key: round(v, 1) for key, v in answer.timings_ms.items()},
        )

    @server.tool(annotations=read_only)
    def sources() -> Sources:
        """The folders ragtui indexes and their files by status (indexed, empty, skipped,
        failed), with chunk counts and the files that failed."""
        return gate(lambda: _sources(engine))

    @server.resource(
        PASSAGE_URI,
        name="passage",
        description="A stored passage in full: its file and place, then its text.",
        mime_type="text/plain",
    )
    def passage(chunk_id: str) -> str:
        found = gate(lambda: engine.retriever.passages([chunk_id]), ResourceError)
        if chunk_id not in found:
            raise ResourceNotFoundError(
                f"No passage {chunk_id} is stored: search again, the index may have changed."
            )
        p = found[chunk_id]
        where = f"{p.path} · {p.location.label()}" if p.location.label() else p.path
        return f"{where}\n\n{p.text}\n"

    if settings.allow_changes:

        @server.tool(
            annotations=ToolAnnotations(
                readOnlyHint=False, destructiveHint=False, idempotentHint=True, openWorldHint=False
            )
        )
        def add_folder(
            path: Annotated[str, Field(description="An absolute path of a folder.")],
        ) -> Added:
            """Register a folder of documents on this machine and index it (may take
            minutes for a large folder)."""

            def work() -> Added:
                folder, new = engine.add_folder(Path(path))
                report = engine.index([Path(folder)])
                return Added(
                    folder=folder,
                    new=new,
                    added=report.added,
                    updated=report.updated,
                    unchanged=report.unchanged,
                    skipped=report.skipped,
                    failed=report.failed,
                    chunks=report.chunks,
                )

            return gate(work)

    return server


def _sources(engine: Engine) -> Sources:
    folders = engine.folders()
    files = engine.files()
    counts = engine.stats.counts()
    failed = [Failure(path=i.path, error=i.error or "") for i in files if i.status == "failed"]
    per_folder: dict[str, dict[str, int]] = {f: {} for f in folders}
    for info in files:
        owner = next(
            (f for f in folders if info.path == f or info.path.startswith(f.rstrip("/") + "/")),
            None,
        )
        if owner is not None:
            per_folder[owner][info.status] = per_folder[owner].get(info.status, 0) + 1
    return Sources(
        folders=[FolderStatus(path=f, files=per_folder[f]) for f in folders],
        files={
            "indexed": counts.indexed,
            "empty": counts.empty,
            "skipped": counts.skipped,
            "failed": counts.failed,
        },
        chunks=counts.chunks,
        embedded=counts.embedded,
        failed=failed[:20],
    )


def serve(engine: Engine, *, http: bool = False, port: int | None = None) -> None:
    """Serve ``engine`` over stdio (the default) or streamable HTTP on 127.0.0.1 until the
    client goes away (stdio) or Ctrl-C (HTTP)."""
    server = build_server(engine)
    if http:
        server.run("streamable-http", host="127.0.0.1", port=port or engine.settings.mcp.port)
    else:
        server.run("stdio")
