"""The answer pipeline: retrieve → cache → pack → prompt → stream → citations → cache.

If the model cannot load, times out or fails mid-stream, the answer is made of
the retrieved passages (marked ``fallback``), and a circuit breaker stops
retrying a broken model for ``llm.breaker_s`` seconds.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import psutil

from ragtui.config import Settings
from ragtui.core import abstain, citations, evidence, followup, prompts
from ragtui.core.answer_checks import answer_flaw, focus_line, quote
from ragtui.core.cache import AnswerCache, answer_key, semantic_scope
from ragtui.core.condense import model_condenser
from ragtui.core.context import Packed, earlier_turns, prompt_context, render
from ragtui.core.errors import Cancelled, RagtuiError
from ragtui.core.generate import Backend, Generation, GenerationError
from ragtui.core.models import Answer, Hit
from ragtui.core.trace import Tracing, mark_error

NOT_FOUND = "Not in your documents."
_PROCESS = psutil.Process()
TokenFn = Callable[[str], None]


class Breaker:
    """Remembers (on disk, across processes) that the model failed, for a while."""

    def __init__(self, path: Path, seconds: float) -> None:
        self.path = path
        self.seconds = seconds

    def open_reason(self) -> str | None:
        """Why the model is being skipped, or None if it may be tried."""
        if self.seconds <= 0:
            return None
        try:
            state = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        if time.time() < float(state.get("until", 0)):
            return str(state.get("reason", "it failed recently"))
        return None

    def trip(self, reason: str) -> None:
        """Skip the model for ``seconds``."""
        if self.seconds <= 0:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({"until": time.time() + self.seconds, "reason": reason}))

    def reset(self) -> None:
        """The model worked: close the breaker."""
        self.path.unlink(missing_ok=True)


_CLOSEST = 2  # passages shown with a declined answer, for the user to check


def extractive(question: str, hits: Sequence[Hit], reason: str, base: dict[str, Any]) -> Answer:
    """An answer made of the best passages, for when the model cannot answer."""
    lines = [f"The model could not answer ({reason}). The most relevant passages:"]
    cites = []
    for n, hit in enumerate(hits[:3], 1):
        lines.append(f"[{n}] {hit.snippet}")
        cites.append(citations.citation_for(n, hit, inferred=False))
    return Answer(
        question=question,
        answer="\n".join(lines),
        citations=tuple(cites),
        fallback=True,
        error=reason,
        **base,
    )


def _generation_attributes(generation: Generation) -> dict[str, Any]:
    """OpenInference token counts plus ragtui's prefill/decode figures."""
    decode_ms = generation.generate_ms - generation.ttft_ms
    prefilled = generation.prompt_tokens - (
        generation.prefix_tokens if generation.prefix_reused else 0
    )
    return {
        "llm.token_count.prompt": generation.prompt_tokens,
        "llm.token_count.completion": generation.completion_tokens,
        "llm.token_count.total": generation.prompt_tokens + generation.completion_tokens,
        "output.value": generation.text,
        "ragtui.llm.ttft_ms": generation.ttft_ms,
        "ragtui.llm.generate_ms": generation.generate_ms,
        "ragtui.llm.prefix_tokens": generation.prefix_tokens,
        "ragtui.llm.stopped_repeating": generation.stopped_repeating,
        "ragtui.llm.prefix_reused": generation.prefix_reused,
        "ragtui.llm.draft_proposed": generation.draft_proposed,
        "ragtui.llm.draft_accepted": generation.draft_accepted,
        "ragtui.llm.prefill_tokens": prefilled,
        "ragtui.llm.prefill_tps": prefilled / (generation.ttft_ms / 1000)
        if generation.ttft_ms > 0
        else 0.0,
        "ragtui.llm.decode_tps": (generation.completion_tokens - 1) / (decode_ms / 1000)
        if decode_ms > 0 and generation.completion_tokens > 1
        else 0.0,
    }


def finish(
    question: str,
    generation: Generation,
    packed: Packed,
    embed: Callable[[Sequence[str]], Any],
    floor: float,
    base: dict[str, Any],
) -> Answer:
    """Check markers, infer citations for unmarked sentences, flag unsupported ones."""
    raw = generation.text.strip()
    if not raw or raw.lower().startswith(NOT_FOUND.lower().rstrip(".")):
        return Answer(question=question, answer=NOT_FOUND, citations=(), abstained=True, **base)
    markers = citations.check_markers(raw, len(packed.hits))
    found = citations.support(markers.text, packed.texts, embed, floor, question)
    cites = [citations.citation_for(n, packed.hits[n - 1], inferred=False) for n in markers.cited]
    for n in found.inferred:
        if n not in markers.cited:
            cites.append(citations.citation_for(n, packed.hits[n - 1], inferred=True))
    return Answer(
        question=question,
        answer=markers.text,
        citations=tuple(cites),
        unsupported=tuple(found.unsupported),
        dropped_citations=markers.dropped,
        **base,
    )


class AnswerPipeline:
    """Turns a question into an :class:`Answer` using an engine's search and a model backend."""

    def __init__(
        self,
        settings: Settings,
        search: Callable[[str, int], Sequence[Hit]],
        embed: Callable[[Sequence[str]], Any],
        embed_query: Callable[[str], Any],
        backend: Callable[[], Backend],
        cache: AnswerCache | None,
        breaker: Breaker,
        tracing: Tracing,
    ) -> None:
        self.settings = settings
        self.search = search
        self.embed = embed
        self.embed_query = embed_query
        self.backend = backend
        self.cache = cache
        self.breaker = breaker
        self.tracing = tracing

    def _generate(
        self,
        backend: Backend,
        template: prompts.PromptTemplate,
        packed: Packed,
        question: str,
        on_token: TokenFn | None,
        deadline: float,
        purpose: str = "answer",
        earlier: str = "",
    ) -> Generation:
        with self.tracing.span(
            "prompt.render",
            {"ragtui.prompt.name": template.name, "ragtui.prompt.version": template.version},
        ) as span:
            prefix, rest = render(template, packed, question, earlier)
            span.set_attribute("ragtui.prompt.text", prefix + rest)
        cfg = self.settings.llm
        invocation = {
            "max_tokens": cfg.max_tokens,
            "temperature": cfg.temperature,
            "n_ctx": backend.n_ctx,
        }
        with self.tracing.span(
            "llm.generate",
            {
                "openinference.span.kind": "LLM",
                "llm.model_name": backend.model_id,
                "llm.invocation_parameters": json.dumps(invocation),
                "ragtui.llm.purpose": purpose,
            },
        ) as span:
            start_ns = time.time_ns()
            generation = backend.generate(
                prefix,
                rest,
                max_tokens=cfg.max_tokens,
                temperature=cfg.temperature,
                stop=template.stop,
                on_token=on_token,
                deadline=deadline,
            )
            span.set_attributes(_generation_attributes(generation))
            # the backend times from when it starts (after its lock): anchor at the end
            end_ns = time.time_ns()
            begin_ns = max(start_ns, end_ns - int(generation.generate_ms * 1e6))
            first_ns = min(end_ns, begin_ns + int(generation.ttft_ms * 1e6))
            span.add_event("first_token", timestamp=first_ns)
            self.tracing.child("llm.prefill", begin_ns, first_ns)
            self.tracing.child("llm.decode", first_ns, end_ns)
            return generation

    def _refocus(
        self,
        backend: Backend,
        template: prompts.PromptTemplate,
        packed: Packed,
        question: str,
        first: Generation,
        deadline: float,
    ) -> tuple[Generation, Packed] | None:
        """Ask again over the line that best matches the question when the first answer
        came from elsewhere (see :func:`focus_line`); None when not needed or it failed."""
        focus = focus_line(question, first.text, packed)
        if focus is None:
            return None
        index, text = focus
        hit = packed.hits[index]
        narrow = Packed([hit], [f"{hit.context}\n{text}" if hit.context else text], [], [], 0)
        try:
            retry = self._generate(
                backend, template, narrow, question, None, deadline, purpose="refocus"
            )
        except GenerationError:
            return None
        return (retry, narrow) if retry.text.strip() else None

    def ask(
        self,
        question: str,
        *,
        k: int | None = None,
        use_cache: bool = True,
        on_token: TokenFn | None = None,
        cancel: threading.Event | None = None,
        history: Sequence[followup.Exchange] = (),
    ) -> Answer:
        """Answer ``question`` from the index, streaming tokens to ``on_token`` (one trace).

        After ``history`` (earlier turns, oldest first) a follow-up is searched with a
        standalone rewrite (:mod:`ragtui.core.followup`). A set ``cancel`` raises
        :class:`Cancelled` at the next streamed token.
        """
        if cancel is not None:
            on_token = _stoppable(on_token, cancel)
        with self.tracing.span(
            "ask", {"openinference.span.kind": "CHAIN", "input.value": question}
        ) as span:
            cpu_before = _cpu_seconds()
            try:
                mode = self.settings.retrieval.followups
                condense = model_condenser(self.backend) if mode == "condense" else None
                query = followup.traced_rewrite(
                    self.tracing, question, history, mode, condense
                ).query
                answer = self._ask(question, k, use_cache, on_token, query, history)
                answer = answer.model_copy(
                    update={"retrieval_query": query if query != question else None}
                )
            except Cancelled:
                mark_error(span, "cancelled")
                raise
            span.set_attributes(_answer_attributes(answer))
            span.set_attributes(_process_attributes(cpu_before))
            if answer.fallback:
                mark_error(span, answer.error or "fallback")
            return answer

    def _ask(
        self,
        question: str,
        k: int | None,
        use_cache: bool,
        on_token: TokenFn | None,
        retrieval_query: str | None = None,
        history: Sequence[followup.Exchange] = (),
    ) -> Answer:
        cfg, llm_cfg = self.settings.answer, self.settings.llm
        started = time.perf_counter()
        searched = retrieval_query or question  # what relevance and evidence are judged on
        said = question  # what the model reads as the question
        pool = list(self.search(searched, max(k or cfg.k, cfg.evidence_k)))
        hits = pool[: k or cfg.k]
        retrieve_ms = (time.perf_counter() - started) * 1000
        backend: Backend | None = None
        try:
            backend = self.backend()
        except RagtuiError as exc:
            problem = str(exc)
        fmt = backend.prompt_format if backend is not None else "completion"
        name = "qa-chat" if fmt == "chat" and cfg.prompt == "qa" else cfg.prompt
        template = prompts.load(name, cfg.prompt_version if name == cfg.prompt else None)
        base: dict[str, Any] = {
            "model": backend.model_id if backend is not None else llm_cfg.model,
            "prompt_version": template.id,
            "timings_ms": {"retrieve": retrieve_ms, "ttft": 0.0, "generate": 0.0, "total": 0.0},
            "tokens": {"prompt": 0, "completion": 0},
        }

        def done(answer: Answer) -> Answer:
            timings = dict(answer.timings_ms)
            timings["total"] = (time.perf_counter() - started) * 1000
            return answer.model_copy(update={"timings_ms": timings})

        if cfg.abstain and not hits:
            return done(
                Answer(question=question, answer=NOT_FOUND, citations=(), abstained=True, **base)
            )
        params: dict[str, Any] = {
            "max_tokens": llm_cfg.max_tokens,
            "temperature": llm_cfg.temperature,
            "n_ctx": llm_cfg.n_ctx,
            "context_tokens": cfg.context_tokens,
            "support_floor": cfg.support_floor,
            "min_confidence": cfg.min_confidence if cfg.abstain else None,
            "passage_margin": cfg.passage_margin,
            "overrule_decline": cfg.overrule_decline,
        }
        earlier = ""
        if backend is not None and template.format == "chat":
            earlier = earlier_turns(history, backend.count_tokens, cfg.history_tokens)
        elif cfg.followup_question == "rewrite":
            said = searched
        if earlier:  # the answer depends on the turns it was shown
            params["earlier"] = earlier
        if said != question:
            params["said"] = said
        ids = [h.chunk_id for h in hits]
        key = answer_key(question, base["model"], template.id, params, ids)
        chunk_set = semantic_scope(base["model"], template.id, params, ids)
        caching = use_cache and cfg.cache and self.cache is not None
        if caching:
            cached = self._lookup(key, question, chunk_set)
            if cached is not None:  # what this answer cost now, not what the first one did
                return done(
                    cached.model_copy(
                        update={"timings_ms": base["timings_ms"], "tokens": base["tokens"]}
                    )
                )
        scored, scores, confident = self._relevance(searched, hits, pool)
        if cfg.abstain and confident < cfg.min_confidence:
            closest = tuple(
                citations.citation_for(n, hit, inferred=True)
                for n, hit in enumerate(hits[:_CLOSEST], 1)
            )
            return done(
                Answer(
                    question=question,
                    answer=NOT_FOUND,
                    citations=(),
                    abstained=True,
                    closest=closest,
                    **base,
                )
            )
        base["evidence"] = evidence.select(searched, pool, scored)
        if backend is None:
            return done(extractive(question, hits, problem, base))
        reason = self.breaker.open_reason()
        if reason is not None:
            return done(extractive(question, hits, f"skipped for now: {reason}", base))
        try:
            with self.tracing.span("context.pack") as span:
                packed, budget = prompt_context(
                    said, hits, scores, template, backend, self.settings, earlier
                )
                span.set_attributes(_packed_attributes(packed, budget))
            deadline = time.perf_counter() + llm_cfg.timeout_s
            generation = self._generate(
                backend, template, packed, said, on_token, deadline, earlier=earlier
            )
        except (GenerationError, RagtuiError) as exc:
            self.breaker.trip(str(exc))
            return done(extractive(question, hits, str(exc), base))
        self.breaker.reset()
        base["timings_ms"] |= {"ttft": generation.ttft_ms, "generate": generation.generate_ms}
        base["tokens"] = {
            "prompt": generation.prompt_tokens,
            "completion": generation.completion_tokens,
        }
        refocused = self._refocus(backend, template, packed, question, generation, deadline)
        if refocused is not None:
            generation, packed = refocused
            base["refocused"] = True
            base["timings_ms"]["generate"] += generation.generate_ms
            base["tokens"]["prompt"] += generation.prompt_tokens
            base["tokens"]["completion"] += generation.completion_tokens
        with self.tracing.span("citations.check") as span:
            answer = finish(question, generation, packed, self.embed, cfg.support_floor, base)
            span.set_attributes(
                {
                    "ragtui.citations.explicit": sum(not c.inferred for c in answer.citations),
                    "ragtui.citations.inferred": sum(c.inferred for c in answer.citations),
                    "ragtui.citations.dropped": answer.dropped_citations,
                    "ragtui.citations.unsupported": len(answer.unsupported),
                }
            )
        answer = answer.model_copy(
            update={
                "packed": tuple(h.chunk_id for h in packed.hits),
                "dropped_chunks": tuple(packed.dropped),
                "truncated_chunks": tuple(packed.truncated),
                "weak_chunks": tuple(packed.weak),
            }
        )
        flaw = answer_flaw(answer, generation, question, confident, cfg.overrule_decline)
        if flaw is not None and answer.evidence:
            answer = quote(answer, pool, flaw)
        if caching and self.cache is not None and flaw is None and not answer.fallback:
            with self.tracing.span("cache.store"):
                self.cache.put(
                    key, answer.model_dump(mode="json"), self.embed_query(question), chunk_set
                )
        return done(answer)

    def _relevance(
        self,
        question: str,
        hits: Sequence[Hit],
        pool: Sequence[Hit],
    ) -> tuple[list[evidence.Sentence], list[float | None], float]:
        """The sentences of ``pool`` (``hits`` and the further passages searched for
        evidence) scored against the question (best first), each hit's best sentence score
        (see passage_relevance), and the calibrated confidence that the hits answer the
        question (see :mod:`ragtui.core.abstain`)."""
        with self.tracing.span("answer.relevance") as span:
            every = evidence.score_sentences(self.embed_query(question), pool, self.embed)
            scored = [s for s in every if s.owner < len(hits)]
            scores = evidence.best_per_hit(hits, scored)
            known = [s for s in scores if s is not None]
            found = abstain.signals(question, hits, scored)
            confident = abstain.confidence(found)
            span.set_attributes(
                {
                    "ragtui.answer.relevance": max(known) if known else -1.0,
                    "ragtui.answer.passage_relevance": [-1.0 if s is None else s for s in scores],
                    "ragtui.answer.confidence": confident,
                    "ragtui.answer.min_confidence": self.settings.answer.min_confidence,
                    "ragtui.answer.passage_margin": self.settings.answer.passage_margin,
                    "ragtui.answer.sentences": len(scored),
                    **{f"ragtui.answer.signal.{k}": v for k, v in found.as_dict().items()},
                }
            )
            return every, scores, confident

    def _lookup(self, key: str, question: str, chunk_set: str) -> Answer | None:
        """An exact, then a semantic, cache hit (marked as such), or None."""
        cfg = self.settings.answer
        assert self.cache is not None
        with self.tracing.span("cache.lookup") as span:
            kind, found = "miss", None
            record = self.cache.get(key)
            if record is not None:
                kind, found = "exact", Answer.model_validate(record | {"cached": "exact"})
            elif cfg.semantic_cache:
                similar = self.cache.semantic(
                    self.embed_query(question), chunk_set, cfg.semantic_threshold
                )
                if similar is not None:
                    kind = "semantic"
                    found = Answer.model_validate(
                        similar[0] | {"cached": "semantic", "question": question}
                    )
                    span.set_attribute("ragtui.cache.similarity", float(similar[1]))
            span.set_attribute("ragtui.cache.hit", kind)
            return found


def _stoppable(on_token: TokenFn | None, cancel: threading.Event) -> TokenFn:
    """``on_token`` that raises :class:`Cancelled` once ``cancel`` is set."""

    def checked(piece: str) -> None:
        if cancel.is_set():
            raise Cancelled("The answer was stopped.")
        if on_token is not None:
            on_token(piece)

    return checked


def _cpu_seconds() -> float:
    times = _PROCESS.cpu_times()
    return float(times.user + times.system)


def _process_attributes(cpu_before: float) -> dict[str, Any]:
    """CPU seconds this answer took and the process's memory after it (psutil samples)."""
    return {
        "ragtui.process.cpu_s": _cpu_seconds() - cpu_before,
        "ragtui.process.rss_bytes": int(_PROCESS.memory_info().rss),
    }


def _answer_attributes(answer: Answer) -> dict[str, Any]:
    """What an answer was, as the root span's attributes."""
    attributes: dict[str, Any] = {
        "output.value": answer.answer,
        "llm.model_name": answer.model,
        "ragtui.prompt.name": answer.prompt_version.split("@")[0],
        "ragtui.prompt.version": answer.prompt_version.split("@")[-1],
        "ragtui.cache.hit": answer.cached or "none",
        "ragtui.answer.abstained": answer.abstained,
        "ragtui.answer.fallback": answer.fallback,
        "ragtui.answer.refocused": answer.refocused,
        "ragtui.answer.chars": len(answer.answer),
        "ragtui.answer.sentence_count": len(citations.sentences(answer.answer)),
        "ragtui.answer.unsupported": len(answer.unsupported),
        "ragtui.answer.citations": [c.chunk_id for c in answer.citations],
        "ragtui.context.packed": list(answer.packed),
        "ragtui.context.dropped": list(answer.dropped_chunks),
        "ragtui.context.truncated": list(answer.truncated_chunks),
        "ragtui.context.weak": list(answer.weak_chunks),
    }
    if answer.error:
        attributes["ragtui.error"] = answer.error
    return attributes


def _packed_attributes(packed: Packed, budget: int) -> dict[str, Any]:
    return {
        "ragtui.context.budget_tokens": budget,
        "ragtui.context.tokens": packed.tokens,
        "ragtui.context.packed": [h.chunk_id for h in packed.hits],
        "ragtui.context.dropped": packed.dropped,
        "ragtui.context.truncated": packed.truncated,
        "ragtui.context.weak": packed.weak,
    }
