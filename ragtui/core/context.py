"""What a prompt holds: the retrieved passages close enough to the best one, packed into
the model's token budget and rendered with a prompt template."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ragtui.config import Settings
from ragtui.core import evidence, prompts
from ragtui.core.followup import Exchange
from ragtui.core.generate import Backend
from ragtui.core.models import Hit

_TURN_ANSWER_CHARS = 400  # of each earlier answer a chat prompt shows


@dataclass
class Packed:
    """Passages that fit the token budget, and those that did not."""

    hits: list[Hit]
    texts: list[str]
    dropped: list[str]
    truncated: list[str]
    tokens: int
    weak: list[str] = field(default_factory=list)  # left out by answer.passage_margin


def pack(
    hits: Sequence[Hit], template: prompts.PromptTemplate, count: Callable[[str], int], budget: int
) -> Packed:
    """Add passages in rank order while they fit ``budget`` tokens; cut the first one that
    does not fit if at least a quarter of the budget is left, drop the rest.

    The packed passages are then put best-last, nearest the question, where small
    models attend most (10 of 13 demo answers right against 6 of 13 best-first).
    """
    packed = Packed([], [], [], [], 0)
    for hit in hits:
        text = f"{hit.context}\n{hit.text}" if hit.context else hit.text
        block = template.render_passage(len(packed.hits) + 1, _source(hit), text)
        cost = count(block)
        left = budget - packed.tokens
        if cost <= left:
            packed.hits.append(hit)
            packed.texts.append(text)
            packed.tokens += cost
            continue
        if left >= budget // 4 and not packed.truncated:
            ratio = left / cost
            cut = text[: max(0, int(len(text) * ratio) - 40)]
            while (
                cut
                and count(template.render_passage(len(packed.hits) + 1, _source(hit), cut + " …"))
                > left
            ):
                cut = cut[: int(len(cut) * 0.9)]
            if cut:
                packed.hits.append(hit)
                packed.texts.append(cut + " …")
                packed.tokens += count(
                    template.render_passage(len(packed.hits), _source(hit), cut + " …")
                )
                packed.truncated.append(hit.chunk_id)
                continue
        packed.dropped.append(hit.chunk_id)
    packed.hits.reverse()
    packed.texts.reverse()
    return packed


def _source(hit: Hit) -> str:
    where = hit.location.label()
    return f"{Path(hit.path).name} ({where})" if where else Path(hit.path).name


def earlier_turns(history: Sequence[Exchange], count: Callable[[str], int], budget: int) -> str:
    """The conversation's latest turns that fit ``budget`` tokens (newest kept first, shown
    oldest first), as a block for a chat prompt; empty without turns or budget."""
    kept: list[str] = []
    used = count("Earlier in this conversation:\n")
    for turn in reversed(history):
        answer = " ".join(turn.answer.split())[:_TURN_ANSWER_CHARS]
        block = f"Q: {' '.join(turn.question.split())}\nA: {answer}\n"
        used += count(block)
        if used > budget:
            break
        kept.insert(0, block)
    return "Earlier in this conversation:\n" + "".join(kept) + "\n" if kept else ""


def render(
    template: prompts.PromptTemplate, packed: Packed, question: str, earlier: str = ""
) -> tuple[str, str]:
    """(fixed prefix, the rest): passages, the ``earlier`` turns (chat format only) and the
    question."""
    blocks = "".join(
        template.render_passage(n, _source(hit), text)
        for n, (hit, text) in enumerate(zip(packed.hits, packed.texts, strict=True), 1)
    )
    prefix = template.prefix_for(question)
    if template.format == "chat":
        return prefix, "Passages:\n" + blocks + "\n" + earlier + template.render_suffix(question)
    return prefix, blocks + template.render_suffix(question)


def passage_relevance(
    question_vec: Any, hits: Sequence[Hit], embed: Callable[[Sequence[str]], Any]
) -> list[float | None]:
    """Per hit, the cosine between the question and its best single sentence (or line);
    its dense score when it has no sentence long enough, None without either.

    A passage on the right topic that lacks the answer matches as a whole about as well as
    one that has it; the sentence that would hold the answer is what tells them apart.
    """
    return evidence.best_per_hit(hits, evidence.score_sentences(question_vec, hits, embed))


def focus(
    hits: Sequence[Hit], scores: Sequence[float | None], margin: float
) -> tuple[list[Hit], list[Hit]]:
    """(hits to pack, hits left out): a hit whose best sentence is more than ``margin`` below
    the best hit's is left out. Hits without a score stay.
    """
    known = [s for s in scores if s is not None]
    if not known:
        return list(hits), []
    floor = max(known) - margin
    kept = [h for h, s in zip(hits, scores, strict=True) if s is None or s >= floor]
    weak = [h for h, s in zip(hits, scores, strict=True) if s is not None and s < floor]
    return kept, weak


def prompt_context(
    question: str,
    hits: Sequence[Hit],
    scores: Sequence[float | None],
    template: prompts.PromptTemplate,
    backend: Backend,
    settings: Settings,
    earlier: str = "",
) -> tuple[Packed, int]:
    """The passages a prompt holds and its token budget: the hits :func:`focus` keeps,
    packed into what the model's context leaves after the fixed text (with the ``earlier``
    turns) and the answer."""
    cfg, llm_cfg = settings.answer, settings.llm
    kept, weak = focus(hits, scores, cfg.passage_margin)
    fixed = backend.count_tokens(
        template.prefix_for(question) + earlier + template.render_suffix(question)
    )
    budget = min(cfg.context_tokens, llm_cfg.n_ctx - llm_cfg.max_tokens - fixed - 16)
    packed = pack(kept, template, backend.count_tokens, max(budget, 0))
    packed.weak = [h.chunk_id for h in weak]
    return packed, budget
