"""One question and its answer: streamed Markdown, labels, citations as links."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Markdown, Static

from ragtui.core.api import Answer, answer_labels, printable

_MARKER = re.compile(r"\[(\d+)\]")
FRAME_S = 1 / 60  # the stream appends to the Markdown at most this often


def link_citations(text: str, numbers: Iterable[int]) -> str:
    """Turn ``[n]`` markers of known citations into ``cite:n`` links (shown highlighted)."""
    known = set(numbers)

    def link(match: re.Match[str]) -> str:
        n = int(match.group(1))
        return f"[\\[{n}\\]](cite:{n})" if n in known else match.group(0)

    return _MARKER.sub(link, text)


def answer_markdown(answer: Answer) -> str:
    """The answer as the Markdown the view shows (citations linked)."""
    text = printable(answer.answer.strip())
    if answer.fallback:  # passages, one per line: keep them as lines
        text = text.replace("\n", "  \n")
    return link_citations(text, (c.n for c in answer.citations))


def evidence_content(answer: Answer) -> Content:
    """The answer's evidence: each sentence highlighted, with its file and lines."""
    parts: list[tuple[str, str] | str] = []
    for item in answer.evidence:
        where = item.location.label()
        place = f"{Path(item.path).name} · {where}" if where else Path(item.path).name
        if parts:
            parts.append("\n")
        parts += [(printable(f"“{item.text}”"), "bold"), (printable(f"  {place}"), "$text-muted")]
    return Content.assemble(*parts)


def answer_meta(answer: Answer) -> str:
    """Route (when llm.routes is set), model, prompt (a rollout candidate's marked) and
    timings in one dim line."""
    t = answer.timings_ms
    prompt = f"{answer.prompt_version} (candidate)" if answer.prompt_candidate else None
    parts = [answer.model, prompt or answer.prompt_version]
    if answer.route not in (None, "llm"):
        parts.insert(0, f"route {answer.route}")
    if t.get("retrieve") is not None:
        parts.append(f"retrieve {t['retrieve']:.0f} ms")
    if t.get("ttft"):
        parts.append(f"first token {t['ttft']:.0f} ms")
    if t.get("total"):
        parts.append(f"total {t['total'] / 1000:.1f} s")
    return " · ".join(parts)


class TokenStream:
    """Feeds tokens from a worker thread into a :class:`Markdown`, one batch per repaint.

    ``put`` is thread-safe and never waits for the UI; the UI task appends
    whatever arrived since its last append in one go, at most once per frame
    (1/60 s), so a fast model costs at most 60 Markdown updates per second
    however many tokens it streams. With
    ``record=True`` each token's delay from ``put`` to the Markdown holding it
    is kept in ``latencies_ms`` (the streaming benchmark reads it).
    """

    def __init__(self, markdown: Markdown, *, record: bool = False) -> None:
        self.markdown = markdown
        self.record = record
        self.latencies_ms: list[float] = []
        self.tokens = 0
        self.appends = 0
        self._pending: list[tuple[str, float]] = []
        self._lock = threading.Lock()
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._run())
        self._started = False

    def put(self, token: str) -> None:
        """Queue a token (any thread)."""
        now = time.perf_counter()
        token = printable(token)
        with self._lock:
            if not self._started:
                token = token.lstrip()
                if not token:
                    return
                self._started = True
            first = not self._pending
            self._pending.append((token, now))
            self.tokens += 1
        if first:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            started = time.perf_counter()
            await self._flush()
            # at most one append per frame: tokens arriving meanwhile join the next batch
            await asyncio.sleep(max(0.0, FRAME_S - (time.perf_counter() - started)))

    async def _flush(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, []
        if not batch:
            return
        await self.markdown.append("".join(token for token, _ in batch))
        self.appends += 1
        if self.record:
            done = time.perf_counter()
            self.latencies_ms.extend((done - at) * 1000 for _, at in batch)

    async def finish(self) -> None:
        """Append what is left and stop."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self._flush()


class TurnView(Vertical):
    """A question, what was searched for it when that differs (a rewritten follow-up), its
    (streaming) answer, how it was made, and its timings."""

    def __init__(self, question: str, answer: Answer | None = None) -> None:
        super().__init__(classes="turn")
        self.question = question
        self.answer = answer
        self.rating: bool | None = None  # the user's thumbs up (True) or down (False)

    def compose(self) -> ComposeResult:
        yield Static(
            Content.assemble(("› ", "bold $accent"), (self.question, "bold")), classes="question"
        )
        yield Static("", classes="searched")
        yield Markdown(
            answer_markdown(self.answer) if self.answer else "", open_links=False, classes="answer"
        )
        yield Static("", classes="evidence")
        yield Static("", classes="labels")
        yield Static("", classes="meta")

    def on_mount(self) -> None:
        if self.answer is not None:
            self._show_labels(self.answer)

    @property
    def markdown(self) -> Markdown:
        """The answer's Markdown widget."""
        return self.query_one(Markdown)

    def set_status(self, text: str) -> None:
        """A dim line under the answer while it is being made."""
        self.query_one(".meta", Static).update(Content.styled(text, "italic $text-muted"))

    async def show_answer(self, answer: Answer) -> None:
        """Replace the streamed text with the checked answer (linked citations, labels)."""
        self.answer = answer
        await self.markdown.update(answer_markdown(answer))
        self._show_labels(answer)

    def set_rating(self, up: bool) -> None:
        """Show the user's thumbs up or down after the answer's meta line."""
        self.rating = up
        if self.answer is not None:
            self._show_meta(self.answer)

    def show_problem(self, message: str, severity: str = "error") -> None:
        """Say why there is no answer."""
        self.query_one(".labels", Static).update(
            Content.styled(message, "$error" if severity == "error" else "$warning")
        )
        self.query_one(".meta", Static).update("")

    def _show_labels(self, answer: Answer) -> None:
        searched = self.query_one(".searched", Static)
        searched.update(Content(printable(f"searched for: {answer.retrieval_query}")))
        searched.display = bool(answer.retrieval_query)
        evidence = self.query_one(".evidence", Static)
        evidence.update(evidence_content(answer))
        evidence.display = bool(answer.evidence) and not answer.quoted
        labels = answer_labels(answer)
        label = self.query_one(".labels", Static)
        parts: list[tuple[str, str] | str] = []
        for text in labels:
            parts += [(f" {text} ", "bold $text-warning on $warning-muted"), " "]
        label.update(Content.assemble(*parts))
        label.display = bool(labels)
        self._show_meta(answer)

    def _show_meta(self, answer: Answer) -> None:
        meta = Content.styled(answer_meta(answer), "$text-muted")
        if self.rating is not None:
            rated = ("  ▲ rated up", "$success") if self.rating else ("  ▼ rated down", "$error")
            meta = Content.assemble(meta, rated)
        self.query_one(".meta", Static).update(meta)
