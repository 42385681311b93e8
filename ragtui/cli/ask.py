"""``ragtui ask``: an answer with citations, streamed as the model writes it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ragtui.cli.common import JsonOpt, _engine, _fail, _print_json, echo, request_cancel

if TYPE_CHECKING:
    from ragtui.core.conversations import ConversationStore
    from ragtui.core.followup import Exchange
    from ragtui.core.models import Answer, Citation


def _conversation(
    store: ConversationStore, continue_last: bool, conversation: int | None
) -> tuple[int | None, list[Exchange]]:
    """The conversation a question continues (None: a new one, made after the answer) and
    its earlier turns, oldest first."""
    from ragtui.core.followup import Exchange

    if conversation is not None:
        if not any(info.id == conversation for info in store.all()):
            _fail(
                f"There is no conversation {conversation}: use --continue for the most "
                "recent one, or an id from `ragtui ask --continue --json` or the app's list."
            )
        chosen: int | None = conversation
    else:
        recent = store.all() if continue_last else []
        chosen = recent[0].id if recent else None
    if chosen is None:
        return None, []
    return chosen, [Exchange(t.question, t.answer.answer) for t in store.turns(chosen)]


def ask(
    question: Annotated[str, typer.Argument(help="A question about your documents.")],
    k: Annotated[int | None, typer.Option("-k", help="Passages to retrieve.")] = None,
    model: Annotated[
        Path | None, typer.Option("--model", help="A GGUF file to answer with.")
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not reuse answers.")] = False,
    continue_last: Annotated[
        bool,
        typer.Option(
            "--continue", help="Continue the most recent conversation (a follow-up question)."
        ),
    ] = False,
    conversation: Annotated[
        int | None,
        typer.Option("--conversation", help="Continue the conversation with this id.", min=1),
    ] = None,
    route: Annotated[
        str | None,
        typer.Option(
            "--route",
            help='Try this route of llm.routes first (a route with when = "user" answers '
            "only when chosen here).",
        ),
    ] = None,
    as_json: JsonOpt = False,
    stream_json: Annotated[
        bool,
        typer.Option(
            "--stream-json",
            help='Print JSON lines: {"token": …} as the model writes, then {"answer": …} '
            "(as --json prints it) with the full answer record.",
        ),
    ] = False,
) -> None:
    """Answer a question from the indexed documents, with citations.

    With --continue or --conversation the question is asked as the next turn of a stored
    conversation (the app's too): a follow-up such as "and the rear ones?" is searched
    with the key terms of the turns before it, and the turn is saved there.
    """
    from ragtui.core.conversations import answer_labels
    from ragtui.core.errors import Cancelled

    if continue_last and conversation is not None:
        _fail("Give either --continue or --conversation ID, not both.")
    if as_json and stream_json:
        _fail("Give either --json or --stream-json, not both.")

    overrides: dict[str, Any] = {}
    if model is not None:
        if not model.is_file():
            _fail(f"{model} is not a file: give the path of a GGUF model.")
        overrides = {"llm": {"model_path": model.expanduser().resolve()}}
    with _engine(overrides) as engine:
        streamed: list[str] = []

        def show(piece: str) -> None:
            if not streamed:
                piece = piece.lstrip()
            streamed.append(piece)
            if stream_json:
                _print_json({"token": piece})
            elif not as_json:
                echo(piece, nl=False)

        conversing = continue_last or conversation is not None
        chosen, history = (
            _conversation(engine.conversations, continue_last, conversation)
            if conversing
            else (None, [])
        )
        try:
            answer = engine.ask(
                question,
                k=k,
                use_cache=not no_cache,
                on_token=show,
                history=history,
                cancel=request_cancel(),
                route=route,
            )
        except Cancelled:
            echo("\nstopped.", err=True)
            raise typer.Exit(130) from None
        if conversing:
            store = engine.conversations
            chosen = chosen if chosen is not None else store.create()
            store.add_turn(chosen, answer)
    if stream_json:
        _print_json(
            {"answer": answer_json(answer, chosen), "record": answer.model_dump(mode="json")}
        )
        return
    if as_json:
        _print_json(answer_json(answer, chosen))
        return
    if not streamed:
        echo(answer.answer, nl=False)
    elif answer.quoted:
        echo(
            f"\n{answer.error or 'the answer failed its checks'}; from the passages:",
            fg=typer.colors.YELLOW,
        )
        echo(answer.answer, nl=False)
    elif answer.stream_discarded and not answer.fallback:
        failed = answer.routes_failed[-1] if answer.routes_failed else "a route failed"
        echo(f"\n{failed}; answered by route {answer.route}:", fg=typer.colors.YELLOW)
        echo(answer.answer, nl=False)
    elif answer.refocused:
        echo("\nre-checked against the passage that matches the question:", fg=typer.colors.YELLOW)
        echo(answer.answer, nl=False)
    echo("")
    labels = answer_labels(answer)
    if labels:
        echo("[" + ", ".join(labels) + "]", fg=typer.colors.YELLOW)

    def where(c: Citation) -> str:
        return f"{c.path} · {c.location.label()}" if c.location.label() else c.path

    if answer.evidence and not answer.quoted:
        echo("evidence:", dim=True)
        for e in answer.evidence:
            place = f"{e.path} · {e.location.label()}" if e.location.label() else e.path
            echo(f"  “{e.text}” — {place}")
    for c in answer.citations:
        kind = " (inferred)" if c.inferred else ""
        echo(f"[{c.n}]{kind} {where(c)}", fg=typer.colors.CYAN)
        if c.also_at:
            echo(f"    also in {', '.join(c.also_at)}", dim=True)
    if answer.closest:
        echo("nearest passages (below answer.min_confidence, not used):", fg=typer.colors.YELLOW)
    for c in answer.closest:
        echo(f"  {where(c)}", fg=typer.colors.CYAN)
    for sentence in answer.unsupported:
        echo(f"unsupported by the passages: {sentence}", fg=typer.colors.YELLOW, err=True)
    if answer.retrieval_query:
        echo(f"searched for: {answer.retrieval_query}", dim=True, err=True)
    if chosen is not None:
        echo(f"conversation {chosen} · turn {len(history) + 1}", dim=True, err=True)
    t = answer.timings_ms
    first = f"first token {t['ttft']:.0f} ms · " if t.get("ttft") else ""
    routed = f"route {answer.route} · " if answer.route not in (None, "llm") else ""
    echo(
        f"{routed}{answer.model} · {answer.prompt_version} · retrieve {t['retrieve']:.0f} ms · "
        f"{first}total {t['total']:.0f} ms",
        dim=True,
        err=True,
    )


def answer_json(answer: Answer, conversation: int | None) -> dict[str, Any]:
    """The object ``ragtui ask --json`` prints (schema ``ask``)."""

    def cited(citations: tuple[Citation, ...]) -> list[dict[str, Any]]:
        return [
            {
                "n": c.n,
                "path": c.path,
                "location": c.location.label(),
                "hidden": c.location.hidden,
                "snippet": c.snippet,
                "inferred": c.inferred,
                "also_at": list(c.also_at),
            }
            for c in citations
        ]

    return {
        "answer": answer.answer,
        "citations": cited(answer.citations),
        "closest": cited(answer.closest),
        "cached": answer.cached,
        "fallback": answer.fallback,
        "abstained": answer.abstained,
        "refocused": answer.refocused,
        "quoted": answer.quoted,
        "evidence": [
            {
                "text": e.text,
                "path": e.path,
                "location": e.location.label(),
                "score": e.score,
            }
            for e in answer.evidence
        ],
        "unsupported": list(answer.unsupported),
        "dropped_citations": answer.dropped_citations,
        "timings_ms": {key: round(v, 1) for key, v in answer.timings_ms.items()},
        "tokens": answer.tokens,
        "model": answer.model,
        "prompt_version": answer.prompt_version,
        "prompt_candidate": answer.prompt_candidate,
        "trace_id": answer.trace_id,
        "retrieval_query": answer.retrieval_query,
        "route": answer.route,
        "routes_failed": list(answer.routes_failed),
        "conversation": conversation,
    }
