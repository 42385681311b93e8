"""Query expansion (``retrieval.expansion``): more rankings for one query, fused with its own.

- ``keywords``: pseudo-relevance feedback. The words that stand out (term frequency times
  inverse document frequency) in the top keyword hits are added to the keyword query and
  searched again. No model; a few milliseconds.
- ``multi``: the local model writes two rewordings of the question (``multiquery@1``);
  each is searched by keywords and by vector.
- ``hyde``: the local model writes a short passage that would answer the question
  (``hyde@1``); its embedding is searched as a second dense query (Gao et al. 2022). Its
  facts may be wrong: only its wording steers retrieval, the model never sees it.

A rewording or passage that comes back degenerate (empty, a copy of the question, a loop)
is dropped, so expansion never does worse than no expansion by failing.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ragtui.core import prompts
from ragtui.core.followup import STOP, loops
from ragtui.core.generate import complete

if TYPE_CHECKING:
    from ragtui.core.generate import Backend
    from ragtui.core.index.catalog import Catalog
    from ragtui.core.index.keywords import KeywordIndex

ExpansionMode = Literal["off", "keywords", "multi", "hyde"]
Ranking = list[tuple[str, float]]

FEEDBACK_HITS = 3  # keyword hits the feedback terms come from
FEEDBACK_TERMS = 5  # terms added to the keyword query
EXTRA_WEIGHT = 0.5  # an expansion ranking counts half as much as the query's own
_WORD = re.compile(r"[a-z][a-z-]{2,}")
_WRITE_S = 60.0  # a rewording or passage that takes longer than this is given up


@dataclass
class Expansion:
    """The extra rankings for one query, what produced them, and what that cost."""

    rankings: dict[str, Ranking] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)  # the added terms, rewordings or passage
    ms: float = 0.0


def feedback_terms(query: str, texts: Sequence[str], idf: Callable[[str], float]) -> list[str]:
    """The :data:`FEEDBACK_TERMS` words of ``texts`` with the most weight (count times
    ``idf``) that the query does not already have."""
    asked = set(_WORD.findall(query.lower()))
    counts = Counter(
        w for text in texts for w in _WORD.findall(text.lower()) if w not in STOP and w not in asked
    )
    weighted = sorted(((n * idf(w), w) for w, n in counts.items() if n > 1), reverse=True)
    return [w for _, w in weighted[:FEEDBACK_TERMS]]


def rewordings(text: str, question: str) -> list[str]:
    """The numbered rewordings in the model's ``text`` that are usable queries."""
    found: list[str] = []
    for line in ("1." + text).splitlines():
        candidate = re.sub(r"^\s*\d+[.)]\s*", "", line).strip()
        if _usable(candidate, question) and candidate.casefold() not in map(str.casefold, found):
            found.append(candidate)
    return found[:2]


def _usable(text: str, question: str) -> bool:
    words = text.split()
    normalised = " ".join(question.casefold().split())
    return (
        2 < len(words) <= max(12, 4 * len(question.split()))
        and " ".join(text.casefold().split()) != normalised
        and not loops(words)
    )


def passage(text: str) -> str | None:
    """The model's hypothetical passage, or None when it is too short or loops."""
    words = text.split()
    if len(words) < 5 or loops(words):
        return None
    return " ".join(words)


class QueryExpander:
    """Extra rankings for a query by the configured expansion."""

    def __init__(
        self,
        keywords: Callable[[], KeywordIndex],
        catalog: Catalog,
        writer: Callable[[], Backend] | None,
    ) -> None:
        self._keywords = keywords
        self._catalog = catalog
        self._writer = writer

    def expand(
        self,
        mode: ExpansionMode,
        query: str,
        own: dict[str, Ranking],
        pool: int,
        dense: Callable[[Any], Ranking | None],
        embed_query: Callable[[str], Any],
        embed_passage: Callable[[str], Any],
    ) -> Expansion:
        """The rankings ``mode`` adds to the query's ``own`` (``dense`` searches a vector)."""
        started = time.perf_counter()
        found = Expansion()
        if mode == "keywords" and own.get("bm25"):
            self._feedback(query, own["bm25"], pool, found)
        elif mode == "multi" and self._writer is not None:
            for n, variant in enumerate(rewordings(self._write("multiquery", query), query), 1):
                found.texts.append(variant)
                if "bm25" in own:
                    found.rankings[f"bm25:{n}"] = self._keywords().search(variant, pool)
                if "dense" in own and (ranking := dense(embed_query(variant))) is not None:
                    found.rankings[f"dense:{n}"] = ranking
        elif mode == "hyde" and self._writer is not None and "dense" in own:
            written = passage(self._write("hyde", query))
            if written is not None and (ranking := dense(embed_passage(written))) is not None:
                found.texts.append(written)
                found.rankings["dense:hyde"] = ranking
        found.ms = (time.perf_counter() - started) * 1000
        return found

    def _feedback(self, query: str, bm25: Ranking, pool: int, found: Expansion) -> None:
        keywords = self._keywords()
        rarity = keywords.rarity()

        def idf(word: str) -> float:
            return rarity(word)[0]

        top = self._catalog.chunks([cid for cid, _ in bm25[:FEEDBACK_HITS]])
        terms = feedback_terms(query, [c.text for c in top.values()], idf)
        if terms:
            found.texts.extend(terms)
            found.rankings["bm25:feedback"] = keywords.search(f"{query} {' '.join(terms)}", pool)

    def _write(self, name: str, question: str) -> str:
        assert self._writer is not None
        template = prompts.load(name)
        rest = template.render_suffix(question)
        return complete(self._writer, template.prefix, rest, template.stop, 64, _WRITE_S)
