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
from dataclasses import dataclass, field
from typing import Any

import psutil

from ragtui.config import LLMSettings, Settings
from ragtui.core import abstain, citations, evidence, followup, prompts, rollout
from ragtui.core.answer_checks import answer_flaw, focus_line, quote
from ragtui.core.cache import AnswerCache, answer_key, semantic_scope
from ragtui.core.condense import model_condenser
from ragtui.core.context import Packed, earlier_turns, prompt_context, render
from ragtui.core.errors import Cancelled, RagtuiError
from ragtui.core.generate import Backend, Generation, GenerationError
from ragtui.core.giveway import checkpoint
from ragtui.core.models import Answer, Hit
from ragtui.core.router import EXTRACTIVE, Facts, Relay, Route, Router, Tries
from ragtui.core.trace import Tracing, mark_error, trace_id_of

NOT_FOUND = "Not in your documents."
_PROCESS = psutil.Process()
TokenFn = Callable[[str], None]


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
) -> tuple[Answer, citations.Support | None]:
    """Check markers, infer citations for unmarked sentences, flag unsupported ones; the
    answer and each sentence's support (None when the model declined)."""
    raw = generation.text.strip()
    if not raw or raw.lower().startswith(NOT_FOUND.lower().rstrip(".")):
        declined = Answer(question=question, answer=NOT_FOUND, citations=(), abstained=True, **base)
        return declined, None
    markers = citations.check_markers(raw, len(packed.hits))
    found = citations.support(markers.text, packed.texts, embed, floor, question)
    cites = [citations.citation_for(n, packed.hits[n - 1], inferred=False) for n in markers.cited]
    for n in found.inferred:
        if n not in markers.cited:
            cites.append(citations.citation_for(n, packed.hits[n - 1], inferred=True))
    answer = Answer(
        question=question,
        answer=markers.text,
        citations=tuple(cites),
        unsupported=tuple(found.unsupported),
        dropped_citations=markers.dropped,
        **base,
    )
    return answer, found


@dataclass
class _Setup:
    """What one route's model makes of the question: its prompt template (and whether it is
    a rollout candidate's), the earlier turns it reads, the question it is shown, and the
    answer cache keys for it."""

    model: str
    template: prompts.PromptTemplate
    said: str
    earlier: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    key: str = ""
    chunk_set: str = ""
    arm: str = rollout.DEFAULT


class AnswerPipeline:
    """Turns a question into an :class:`Answer` using an engine's search and the model
    router's chain of backends."""

    def __init__(
        self,
        settings: Settings,
        search: Callable[[str, int], Sequence[Hit]],
        embed: Callable[[Sequence[str]], Any],
        embed_query: Callable[[str], Any],
        backend: Callable[[], Backend],
        cache: AnswerCache | None,
        router: Router,
        tracing: Tracing,
        rarity: Callable[[], abstain.Rarity] | None = None,
    ) -> None:
        self.settings = settings
        self.rarity = rarity  # word rarity in the index now (weighs the question's words)
        self.search = search
        self.embed = embed
        self.embed_query = embed_query
        self.backend = backend  # the [llm] model: helper prompts (condensing follow-ups)
        self.cache = cache
        self.router = router
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
        llm: LLMSettings | None = None,
    ) -> Generation:
        with self.tracing.span(
            "prompt.render",
            {"ragtui.prompt.name": template.name, "ragtui.prompt.version": template.version},
        ) as span:
            prefix, rest = render(template, packed, question, earlier)
            span.set_attribute("ragtui.prompt.text", prefix + rest)
        cfg = llm or self.settings.llm
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
        llm: LLMSettings,
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
                backend, template, narrow, question, None, deadline, purpose="refocus", llm=llm
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
        route: str | None = None,
    ) -> Answer:
        """Answer ``question`` from the index, streaming tokens to ``on_token`` (one trace).

        After ``history`` (earlier turns, oldest first) a follow-up is searched with a
        standalone rewrite (:mod:`ragtui.core.followup`). A set ``cancel`` raises
        :class:`Cancelled` at the next streamed token. ``route`` names the route of
        ``llm.routes`` to try first (a ``user`` route answers only when chosen).
        """
        if route is not None:
            self.router.get(route)  # an unknown route fails before any work
        relay = Relay(on_token) if on_token is not None else None
        stream: TokenFn | None = relay
        if cancel is not None:
            stream = _stoppable(relay, cancel)
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
                answer = self._ask(
                    question, k, use_cache, stream, query, history, relay=relay, chosen=route
                )
                answer = answer.model_copy(
                    update={
                        "retrieval_query": query if query != question else None,
                        "trace_id": trace_id_of(span),
                    }
                )
            except Cancelled:
                mark_error(span, "cancelled")
                raise
            span.set_attributes(_answer_attributes(answer))
            if route is not None:
                span.set_attribute("ragtui.route.chosen", route)
            span.set_attributes(_process_attributes(cpu_before))
            if answer.fallback:
                mark_error(span, answer.error or "fallback")
            return answer

    def _setup(self, backend: Backend | None, llm: LLMSettings, question: str) -> _Setup:
        """The template a backend's prompt format calls for: the rollout candidate the
        question falls to, if its format fits, else the default (the rest waits for
        :meth:`_key`)."""
        cfg = self.settings.answer
        fmt = backend.prompt_format if backend is not None else "completion"
        model = backend.model_id if backend is not None else llm.model
        candidate = rollout.assign(question, cfg.prompt_candidates)
        if candidate is not None:
            template = prompts.load(*prompts.parse_id(candidate))
            if template.format == fmt:
                return _Setup(model, template, question, arm=rollout.CANDIDATE)
        name = "qa-chat" if fmt == "chat" and cfg.prompt == "qa" else cfg.prompt
        template = prompts.load(name, cfg.prompt_version if name == cfg.prompt else None)
        return _Setup(model, template, question)

    def _key(
        self,
        setup: _Setup,
        backend: Backend | None,
        llm: LLMSettings,
        question: str,
        searched: str,
        history: Sequence[followup.Exchange],
        ids: Sequence[str],
    ) -> _Setup:
        """Fill in the earlier turns, the question shown, and the cache keys."""
        cfg = self.settings.answer
        params: dict[str, Any] = {
            "max_tokens": llm.max_tokens,
            "temperature": llm.temperature,
            "n_ctx": llm.n_ctx,
            "context_tokens": cfg.context_tokens,
            "support_floor": cfg.support_floor,
            "min_confidence": cfg.min_confidence if cfg.abstain else None,
            "passage_margin": cfg.passage_margin,
            "overrule_decline": cfg.overrule_decline,
        }
        said, earlier = question, ""
        if backend is not None and setup.template.format == "chat":
            earlier = earlier_turns(history, backend.count_tokens, cfg.history_tokens)
        elif cfg.followup_question == "rewrite":
            said = searched
        if earlier:  # the answer depends on the turns it was shown
            params["earlier"] = earlier
        if said != question:
            params["said"] = said
        if setup.template.origin != "bundled":  # a user's file may be edited in place
            params["prompt_digest"] = setup.template.digest
        template_id = setup.template.id
        return _Setup(
            setup.model,
            setup.template,
            said,
            earlier,
            params,
            answer_key(question, setup.model, template_id, params, ids),
            semantic_scope(setup.model, template_id, params, ids),
            setup.arm,
        )

    def _facts(self, question: str, hits: Sequence[Hit], confident: float | None) -> Facts:
        """What the routes' rules look at (only the facts some rule uses)."""
        from ragtui.core.ingest.chunking import estimate_tokens

        needs = self.router.needs
        return Facts(
            len(question.split()) if "question_words" in needs else None,
            sum(estimate_tokens(h.text) for h in hits) if "context_tokens" in needs else None,
            confident,
        )

    def _ask(
        self,
        question: str,
        k: int | None,
        use_cache: bool,
        on_token: TokenFn | None,
        retrieval_query: str | None = None,
        history: Sequence[followup.Exchange] = (),
        *,
        relay: Relay | None = None,
        chosen: str | None = None,
    ) -> Answer:
        cfg = self.settings.answer
        started = time.perf_counter()
        searched = retrieval_query or question  # what relevance and evidence are judged on
        pool = list(self.search(searched, max(k or cfg.k, cfg.evidence_k)))
        hits = pool[: k or cfg.k]
        retrieve_ms = (time.perf_counter() - started) * 1000
        checkpoint()
        relevance = None  # computed before the cache only when a route's rule needs it
        if "relevance" in self.router.needs and hits:
            relevance = self._relevance(searched, hits, pool)
        plan = self.router.plan(
            self._facts(question, hits, relevance[2] if relevance else None), chosen
        )
        tries = Tries(self.router)
        primary = tries.primary(plan)
        backend = primary[1] if primary is not None else None
        llm = primary[0].settings if primary is not None else self.settings.llm
        setup = self._setup(backend, llm, question)
        base: dict[str, Any] = {
            "model": setup.model,
            "prompt_version": setup.template.id,
            "prompt_candidate": setup.arm == rollout.CANDIDATE,
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
        ids = [h.chunk_id for h in hits]
        setup = self._key(setup, backend, llm, question, searched, history, ids)
        caching = use_cache and cfg.cache and self.cache is not None
        if caching:
            cached = self._lookup(setup.key, question, setup.chunk_set)
            if cached is not None:  # what this answer cost now, not what the first one did
                return done(
                    cached.model_copy(
                        update={
                            "timings_ms": base["timings_ms"],
                            "tokens": base["tokens"],
                            "routes_failed": (),
                            "stream_discarded": False,
                            "prompt_candidate": base["prompt_candidate"],
                        }
                    )
                )
        scored, scores, confident = relevance or self._relevance(searched, hits, pool)
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
        checkpoint()
        answered = self._first_answer(
            plan,
            tries,
            primary,
            setup,
            question,
            searched,
            history,
            ids,
            hits,
            scores,
            on_token,
            relay,
        )
        discarded = relay is not None and relay.muted
        if answered is None:
            fallback = extractive(question, hits, tries.reason(), base)
            return done(
                fallback.model_copy(
                    update={
                        "route": EXTRACTIVE,
                        "routes_failed": tries.reasons(),
                        "stream_discarded": discarded,
                    }
                )
            )
        route, backend, setup, packed, generation, deadline = answered
        base |= {
            "model": setup.model,
            "prompt_version": setup.template.id,
            "prompt_candidate": setup.arm == rollout.CANDIDATE,
            "route": route.name,
            "routes_failed": tries.reasons(),
            "stream_discarded": discarded,
        }
        base["timings_ms"] |= {"ttft": generation.ttft_ms, "generate": generation.generate_ms}
        base["tokens"] = {
            "prompt": generation.prompt_tokens,
            "completion": generation.completion_tokens,
        }
        refocused = self._refocus(
            backend, setup.template, packed, question, generation, deadline, route.settings
        )
        if refocused is not None:
            generation, packed = refocused
            base["refocused"] = True
            base["timings_ms"]["generate"] += generation.generate_ms
            base["tokens"]["prompt"] += generation.prompt_tokens
            base["tokens"]["completion"] += generation.completion_tokens
        checkpoint()
        with self.tracing.span("citations.check") as span:
            answer, found = finish(
                question, generation, packed, self.embed, cfg.support_floor, base
            )
            span.set_attributes(
                {
                    "ragtui.citations.explicit": sum(not c.inferred for c in answer.citations),
                    "ragtui.citations.inferred": sum(c.inferred for c in answer.citations),
                    "ragtui.citations.dropped": answer.dropped_citations,
                    "ragtui.citations.unsupported": len(answer.unsupported),
                }
            )
            if found is not None and found.per_sentence:  # eval's faithfulness_embedding
                supported = sum(n is not None for _, n, _ in found.per_sentence)
                span.set_attribute(
                    "ragtui.answer.faithfulness_embedding", supported / len(found.per_sentence)
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
                    setup.key,
                    answer.model_dump(mode="json"),
                    self.embed_query(question),
                    setup.chunk_set,
                )
        return done(answer)

    def _first_answer(
        self,
        plan: Sequence[Route],
        tries: Tries,
        primary: tuple[Route, Backend] | None,
        setup: _Setup,
        question: str,
        searched: str,
        history: Sequence[followup.Exchange],
        ids: Sequence[str],
        hits: Sequence[Hit],
        scores: Sequence[float | None],
        on_token: TokenFn | None,
        relay: Relay | None,
    ) -> tuple[Route, Backend, _Setup, Packed, Generation, float] | None:
        """Try the planned routes in order until one answers: a route whose backend cannot
        open, whose breaker is open, or that fails or times out passes to the next."""
        for route in plan:
            backend = tries.open(route)
            if backend is None:
                tries.failed(route, tries.problem(route))
                continue
            reason = route.breaker.open_reason()
            if reason is not None:
                tries.failed(route, f"skipped for now: {reason}")
                continue
            llm = route.settings
            here = setup
            if primary is None or route is not primary[0]:
                here = self._setup(backend, llm, question)
                here = self._key(here, backend, llm, question, searched, history, ids)
            settings = (
                self.settings
                if llm is self.settings.llm
                else self.settings.model_copy(update={"llm": llm})
            )
            try:
                with self.tracing.span("context.pack") as span:
                    packed, budget = prompt_context(
                        here.said, hits, scores, here.template, backend, settings, here.earlier
                    )
                    span.set_attributes(_packed_attributes(packed, budget))
                deadline = time.perf_counter() + llm.timeout_s
                generation = self._generate(
                    backend,
                    here.template,
                    packed,
                    here.said,
                    on_token,
                    deadline,
                    earlier=here.earlier,
                    llm=llm,
                )
            except (GenerationError, RagtuiError) as exc:
                route.breaker.trip(str(exc))
                tries.failed(route, str(exc))
                if relay is not None:
                    relay.after_failure()
                continue
            route.breaker.reset()
            return route, backend, here, packed, generation, deadline
        return None

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
            rarity = self.rarity() if self.rarity is not None else None
            found = abstain.signals(question, hits, scored, rarity)
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
        "ragtui.prompt.arm": rollout.CANDIDATE if answer.prompt_candidate else rollout.DEFAULT,
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
    if answer.route is not None:
        attributes["ragtui.route"] = answer.route
    if answer.routes_failed:
        attributes["ragtui.route.failed"] = list(answer.routes_failed)
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
