"""The Ask screen: a question box with history, streamed answers, their sources."""

from __future__ import annotations

import logging
import threading
import time
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.events import Click
from textual.widgets import Input, Markdown, Static

from ragtui.core.api import Answer, Cancelled, Citation, Exchange, RagtuiError
from ragtui.tui.app import MainScreen
from ragtui.tui.screens.conversations import NEW, ConversationsScreen
from ragtui.tui.screens.preview import SourcePreview
from ragtui.tui.serve_link import ServiceGone
from ragtui.tui.widgets.answer_view import TokenStream, TurnView
from ragtui.tui.widgets.history_input import HistoryInput
from ragtui.tui.widgets.source_list import SourceList

log = logging.getLogger(__name__)

WELCOME = (
    "Ask anything about your documents. Answers cite their sources as [n]: pick one on the "
    "right (Tab, then Enter) or click it to see the passage. Add folders on the Library "
    "screen (F3)."
)


class AskScreen(MainScreen):
    """Questions and streamed, cited answers, kept as conversations."""

    TITLE_TEXT = "Ask"
    MODE = "ask"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "new_conversation", "New chat"),
        Binding("ctrl+o", "conversations", "Chats"),
        Binding("ctrl+g", "rate(True)", "Rate the answer good (thumbs up)", show=False),
        Binding("ctrl+b", "rate(False)", "Rate the answer bad (thumbs down)", show=False),
        Binding("escape", "stop", "Stop answer", show=False),
        Binding("ctrl+l", "focus_question", "Back to the question", show=False),
        Binding("pageup", "scroll_transcript(-1)", "Scroll answers up", show=False),
        Binding("pagedown", "scroll_transcript(1)", "Scroll answers down", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.conversation: int | None = None
        self.selected: TurnView | None = None
        self._cancel: threading.Event | None = None
        self._asking = False
        self._started = 0.0
        self.last_stream: TokenStream | None = None  # the benchmark reads its latencies
        self.record_latency = False

    def body(self) -> ComposeResult:
        with Horizontal(id="ask-main"):
            with VerticalScroll(id="transcript", can_focus=False):
                yield Static(Content.styled(WELCOME, "$text-muted"), id="welcome")
            yield SourceList(id="sources")
        yield HistoryInput(
            placeholder="Ask a question about your documents…  (Enter)", id="question"
        )

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#sources", SourceList).border_title = "Sources"
        try:
            history = self.engine.conversations.questions()
        except Exception:  # an unreadable history must not stop the app
            log.exception("cannot read the question history")
            history = []
        self.query_one(HistoryInput).history = history
        self.query_one(HistoryInput).focus()
        self.set_interval(0.1, self._tick)

    # asking ------------------------------------------------------------------------
    async def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        question = event.value.strip()
        if not question:
            return
        if self._asking:
            self.notify("An answer is still coming: Escape stops it.", severity="warning")
            return
        box = self.query_one(HistoryInput)
        box.remember(question)
        box.value = ""
        await self.ask(question)

    async def ask(self, question: str) -> TurnView:
        """Add a turn and answer it in a worker thread; returns the turn."""
        transcript = self.query_one("#transcript", VerticalScroll)
        welcome = self.query("#welcome")
        if welcome:
            await welcome.remove()
        turn = TurnView(question)
        await transcript.mount(turn)
        transcript.anchor()
        self._select(turn)
        turn.set_status("searching your documents…")
        stream = TokenStream(turn.markdown, record=self.record_latency)
        self.last_stream = stream
        self._cancel = threading.Event()
        self._asking = True
        self._started = time.perf_counter()
        self._answer(question, turn, stream, self._cancel)
        return turn

    @work(thread=True, group="ask", exit_on_error=False)
    def _answer(
        self, question: str, turn: TurnView, stream: TokenStream, cancel: threading.Event
    ) -> None:
        continuing = self.conversation is not None
        try:
            answer = self._ask_served(question, stream, cancel)
            stored = answer is not None and continuing  # the service added the turn
            if answer is None:
                history = self._history()
                answer = self.engine.ask(
                    question, on_token=stream.put, cancel=cancel, history=history
                )
        except Cancelled:
            self.from_thread(self._done, turn, stream, None, "Stopped.", "warning")
            return
        except RagtuiError as exc:
            self.from_thread(self._done, turn, stream, None, str(exc), "error")
            return
        except Exception as exc:
            log.exception("ask failed")
            self.from_thread(
                self._done,
                turn,
                stream,
                None,
                f"The answer failed ({type(exc).__name__}: {exc}).",
                "error",
            )
            return
        try:
            store = self.engine.conversations
            if self.conversation is None:
                self.conversation = store.create()
            if not stored:
                store.add_turn(self.conversation, answer)
        except Exception as exc:
            log.exception("cannot store the conversation")
            self.from_thread(
                self.notify, f"The conversation could not be saved ({exc}).", severity="warning"
            )
        self.from_thread(self._done, turn, stream, answer, None, "")

    def _ask_served(
        self, question: str, stream: TokenStream, cancel: threading.Event
    ) -> Answer | None:
        """The answer of ``ragtui serve`` when the app is attached to it (a follow-up goes
        as ``--conversation``, which it stores); None: ask in-process instead."""
        link = self.ragtui.attached
        if link is None:
            return None
        try:
            served = link.ask(question, self.conversation, stream.put, cancel)
        except ServiceGone:
            self.from_thread(
                self.ragtui.detach, "ragtui serve stopped mid-answer: answering here instead"
            )
            return None
        if served is None:
            self.from_thread(
                self.ragtui.detach, "ragtui serve did not take the question: answering here"
            )
            return None
        if served.record is not None:
            return Answer.model_validate(served.record)
        if served.status == 130:
            raise Cancelled
        raise RagtuiError(served.message)

    def _history(self) -> list[Exchange]:
        """The open conversation's stored turns (none for a new one), oldest first."""
        if self.conversation is None:
            return []
        return [
            Exchange(t.question, t.answer.answer)
            for t in self.engine.conversations.turns(self.conversation)
        ]

    def _done(
        self,
        turn: TurnView,
        stream: TokenStream,
        answer: Answer | None,
        problem: str | None,
        severity: str,
    ) -> None:
        self.run_worker(self._finish(turn, stream, answer, problem, severity), group="finish")

    async def _finish(
        self,
        turn: TurnView,
        stream: TokenStream,
        answer: Answer | None,
        problem: str | None,
        severity: str,
    ) -> None:
        await stream.finish()
        self._asking = False
        if answer is not None:
            await turn.show_answer(answer)
        elif problem is not None:
            turn.show_problem(problem, severity)
            if severity == "error":
                self.notify(problem, severity="error", timeout=8)
        if turn is self.selected:
            self._select(turn)

    def _tick(self) -> None:
        if not self._asking or self.selected is None or self.last_stream is None:
            return
        elapsed = time.perf_counter() - self._started
        tokens = self.last_stream.tokens
        what = f"answering… {tokens} tokens" if tokens else "searching and reading…"
        self.selected.set_status(f"{what} · {elapsed:.1f} s · Escape stops")

    def on_unmount(self) -> None:
        if self._cancel is not None:  # the app is closing: let the model thread end
            self._cancel.set()

    def action_stop(self) -> None:
        """Stop the answer being streamed."""
        if self._asking and self._cancel is not None:
            self._cancel.set()

    def action_scroll_transcript(self, pages: int) -> None:
        transcript = self.query_one("#transcript", VerticalScroll)
        if pages < 0:
            transcript.scroll_page_up()
        else:
            transcript.scroll_page_down()

    def action_focus_question(self) -> None:
        self.query_one(HistoryInput).focus()

    # feedback ----------------------------------------------------------------------
    def action_rate(self, up: bool) -> None:
        """Thumbs up or down for the selected answer, kept with its trace."""
        turn = self.selected
        answer = turn.answer if turn is not None else None
        if turn is None or answer is None:
            self.notify("No answer to rate yet.", severity="warning")
            return
        if answer.trace_id is None:
            self.notify(
                "This answer has no trace (tracing was off), so it cannot be rated.",
                severity="warning",
            )
            return
        self._rate(turn, answer.trace_id, up)

    @work(thread=True, group="rate", exit_on_error=False)
    def _rate(self, turn: TurnView, trace_id: str, up: bool) -> None:
        try:
            self.engine.traces.rate(trace_id, up)
        except RagtuiError as exc:
            self.from_thread(self.notify, str(exc), severity="warning")
            return
        self.from_thread(turn.set_rating, up)
        self.from_thread(
            self.notify, f"Rated {'up' if up else 'down'}: `ragtui prompts stats` counts it."
        )

    # sources -----------------------------------------------------------------------
    def _select(self, turn: TurnView) -> None:
        for other in self.query(TurnView):
            other.set_class(other is turn, "selected")
        self.selected = turn
        answer, sources = turn.answer, self.query_one("#sources", SourceList)
        if answer is not None and answer.closest and not answer.citations:
            sources.show(answer.closest, "nearest, not used")  # declined: where to look
        else:
            sources.show(answer.citations if answer is not None else ())

    def on_click(self, event: Click) -> None:
        node = event.widget
        while node is not None and not isinstance(node, TurnView):
            node = node.parent  # type: ignore[assignment]
        if isinstance(node, TurnView) and node is not self.selected:
            self._select(node)

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        if not event.href.startswith("cite:"):
            return
        node = event.markdown.parent
        if isinstance(node, TurnView) and node.answer is not None:
            self._select(node)
            n = int(event.href.removeprefix("cite:"))
            for citation in node.answer.citations:
                if citation.n == n:
                    self.open_source(citation)

    def on_option_list_option_selected(self, event: SourceList.OptionSelected) -> None:
        event.stop()
        sources = self.query_one("#sources", SourceList)
        if event.option_index < len(sources.citations):
            self.open_source(sources.citations[event.option_index])

    def open_source(self, citation: Citation) -> None:
        """Show the cited passage in its file; closing it returns to the question box."""
        passage = self.engine.retriever.passages([citation.chunk_id]).get(citation.chunk_id)
        self.app.push_screen(
            SourcePreview(citation, passage), lambda _closed: self.action_focus_question()
        )

    # conversations -------------------------------------------------------------------
    async def action_new_conversation(self) -> None:
        """Start an empty conversation."""
        if self._asking:
            self.notify("An answer is still coming: Escape stops it.", severity="warning")
            return
        self.conversation = None
        await self._show_turns([])

    def action_conversations(self) -> None:
        """Pick a stored conversation to reopen, rename, delete or export."""

        async def chosen(choice: int | None) -> None:
            if choice is None:
                return
            if choice == NEW:
                await self.action_new_conversation()
                return
            await self.open_conversation(choice)

        self.app.push_screen(
            ConversationsScreen(self.engine.conversations, self.conversation), chosen
        )

    async def open_conversation(self, conversation_id: int) -> None:
        """Show a stored conversation; new questions continue it."""
        if self._asking:
            self.notify("An answer is still coming: Escape stops it.", severity="warning")
            return
        turns = self.engine.conversations.turns(conversation_id)
        self.conversation = conversation_id
        await self._show_turns([TurnView(t.question, t.answer) for t in turns])

    async def _show_turns(self, turns: list[TurnView]) -> None:
        transcript = self.query_one("#transcript", VerticalScroll)
        await transcript.remove_children()
        if turns:
            await transcript.mount_all(turns)
            self._select(turns[-1])
            transcript.scroll_end(animate=False)
        else:
            await transcript.mount(Static(Content.styled(WELCOME, "$text-muted"), id="welcome"))
            self.selected = None
            self.query_one("#sources", SourceList).show(())
        self.query_one(HistoryInput).focus()
