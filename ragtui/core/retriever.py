"""The retriever: dense and BM25 rankings, query expansion, fusion, rerank, duplicate
collapsing, filters and MMR, each a traced stage; and the stored text of chunks by id."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ragtui.config import RetrievalSettings, SearchMode, Settings
from ragtui.core.errors import InvalidRequest
from ragtui.core.giveway import checkpoint
from ragtui.core.index.store import IndexStore
from ragtui.core.models import Hit, Location, Passage, SearchResult
from ragtui.core.trace import Tracing

if TYPE_CHECKING:  # loads the cross-encoder's runtime, the model: on first use
    from ragtui.core.generate import Backend
    from ragtui.core.rerank import Reranker

_DUPLICATE_ROOM = 3  # candidates per wanted hit, so that collapsing copies still leaves k


class Retriever:
    """Ranks the chunks of an index store for a query; every stage is a span."""

    def __init__(
        self,
        settings: Settings,
        store: IndexStore,
        tracing: Tracing,
        writer: Callable[[], Backend] | None = None,
    ) -> None:
        from ragtui.core.expansion import QueryExpander

        self.settings = settings
        self.store = store
        self.catalog = store.catalog
        self.tracing = tracing
        self._expander = QueryExpander(lambda: store.keywords, store.catalog, writer)
        self._reranker: Reranker | None = None
        self._lock = threading.Lock()

    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        mode: SearchMode | None = None,
        path_glob: str | None = None,
        file_types: Sequence[str] = (),
        diversify: bool | None = None,
    ) -> SearchResult:
        """Rank chunks for ``query`` with dense, BM25 or hybrid retrieval."""
        cfg = self.settings.retrieval
        query = fit_request(query, k, "query", "search for something")
        k = k or cfg.k
        mode = mode or cfg.mode
        diversify = cfg.mmr if diversify is None else diversify
        filtered = bool(path_glob or file_types)
        pool = max(cfg.candidates, k) * (10 if filtered else 1)
        with self.tracing.span(
            "search",
            {
                "openinference.span.kind": "RETRIEVER",
                "input.value": query,
                "ragtui.retrieve.mode": mode,
                "ragtui.retrieve.k": k,
            },
        ) as span:
            result = self._search(query, k, mode, pool, path_glob, file_types, diversify)
            self.tracing.extra(span, "documents", _documents(result.hits))
            return result

    def _search(
        self,
        query: str,
        k: int,
        mode: SearchMode,
        pool: int,
        path_glob: str | None,
        file_types: Sequence[str],
        diversify: bool,
    ) -> SearchResult:
        from ragtui.core.retrieve import convex, rrf

        cfg = self.settings.retrieval
        keep = self.settings.tracing.stage_documents
        timings: dict[str, float] = {}
        total, embedded = self.catalog.chunk_counts()
        fraction = embedded / total if total else 1.0
        rankings: dict[str, list[tuple[str, float]]] = {}
        query_vec = None
        if mode in ("hybrid", "bm25"):
            t = time.perf_counter()
            with self.tracing.span("retrieve.bm25") as span:
                rankings["bm25"] = self.store.keywords.search(query, pool)
                self._stage(span, rankings["bm25"], keep)
            timings["bm25"] = _ms(t)
        if mode in ("hybrid", "dense") and embedded:
            t = time.perf_counter()
            with self.tracing.span(
                "embed.query", {"embedding.model_name": self.store.embedder.model_id}
            ) as span:
                query_vec = self.store.embedder.embed_query(query)
                self.tracing.extra(span, "query_vector", query_vec)  # question drift
            timings["embed"] = _ms(t)
            checkpoint()
            t = time.perf_counter()
            with self.tracing.span("retrieve.dense") as span:
                dense = self._dense(query_vec, pool)
                if dense is not None:
                    rankings["dense"] = dense
                    self._stage(span, dense, keep)
                    _similarities(span, dense, k)
            timings["dense"] = _ms(t)
            if dense is None and "bm25" not in rankings:  # dense only, and the table is gone
                rankings["bm25"] = self.store.keywords.search(query, pool)
        checkpoint()
        if cfg.expansion != "off" and rankings:
            self._expand(query, rankings, pool, timings)
        t = time.perf_counter()
        with self.tracing.span("retrieve.fusion", {"ragtui.fusion": cfg.fusion}) as span:
            if len(rankings) > 1:
                weights = fusion_weights(cfg, rankings)
                if cfg.fusion == "rrf":
                    fused = rrf(rankings, weights, cfg.rrf_k)
                else:
                    fused = convex(rankings, weights)
            else:
                fused = next(iter(rankings.values()), [])
            self._stage(span, fused, keep)
        timings["fusion"] = _ms(t)
        checkpoint()
        if cfg.reranker_dir is not None and fused:
            t = time.perf_counter()
            with self.tracing.span(
                "retrieve.rerank", {"ragtui.rerank.model": str(cfg.reranker_dir)}
            ) as span:
                fused = self._rerank(query, fused, cfg.rerank_candidates)
                rankings["rerank"] = fused
                self._stage(span, fused, keep)
            timings["rerank"] = _ms(t)
        hits = self._hits(query, fused, rankings, k, path_glob, file_types, diversify, query_vec)
        return SearchResult(
            query=query,
            mode=mode,
            hits=tuple(hits),
            embedded_fraction=fraction,
            timings_ms=timings,
        )

    def _expand(
        self,
        query: str,
        rankings: dict[str, list[tuple[str, float]]],
        pool: int,
        timings: dict[str, float],
    ) -> None:
        """Add the configured expansion's rankings to ``rankings`` (a traced stage)."""
        mode = self.settings.retrieval.expansion
        embedder = self.store.embedder
        t = time.perf_counter()
        with self.tracing.span("retrieve.expand", {"ragtui.expansion": mode}) as span:
            found = self._expander.expand(
                mode,
                query,
                rankings,
                pool,
                dense=lambda vec: self._dense(vec, pool),
                embed_query=embedder.embed_query,
                embed_passage=lambda text: embedder.embed_passages([text])[0],
            )
            self.tracing.extra(span, "expansion", found.texts)
            rankings.update(found.rankings)
        timings["expand"] = _ms(t)

    def _dense(self, query_vec: Any, pool: int) -> list[tuple[str, float]] | None:
        """The dense ranking, or None when the vector table turned out damaged (it is
        dropped and re-queued)."""
        from ragtui.core.index.vectors import VectorsDamaged

        vectors = self.store.vectors
        try:
            return vectors.search(query_vec, pool)
        except VectorsDamaged as exc:
            self.store.mend_vectors(vectors, exc)
            return None

    def _stage(self, span: Any, ranking: list[tuple[str, float]], keep: int) -> None:
        """A retrieval stage's candidate count, and its top chunk ids and scores."""
        span.set_attribute("ragtui.retrieve.candidates", len(ranking))
        self.tracing.extra(span, "ranking", ranking[:keep])

    def _rerank(
        self,
        query: str,
        fused: list[tuple[str, float]],
        candidates: int,
    ) -> list[tuple[str, float]]:
        """Re-score the top fused chunks with the cross-encoder; the rest keep their order
        below them."""
        with self._lock:
            if self._reranker is None:
                from ragtui.core.rerank import Reranker

                reranker_dir = self.settings.retrieval.reranker_dir
                assert reranker_dir is not None
                self._reranker = Reranker(reranker_dir, self.settings.embedding.threads)
        top = [cid for cid, _ in fused[:candidates]]
        texts = self.chunk_texts(top)
        present = [cid for cid in top if cid in texts]
        scores = self._reranker.scores(query, [texts[cid][1] for cid in present])
        ranked = sorted(zip(present, scores, strict=True), key=lambda p: -p[1])
        return ranked + [(cid, s) for cid, s in fused[candidates:]]

    def _hits(
        self,
        query: str,
        fused: list[tuple[str, float]],
        rankings: dict[str, list[tuple[str, float]]],
        k: int,
        path_glob: str | None,
        file_types: Sequence[str],
        diversify: bool,
        query_vec: object,
    ) -> list[Hit]:
        from ragtui.core.language import same_language_first
        from ragtui.core.retrieve import collapse_duplicates, mmr, path_matches, snippet

        wanted = k * 4 if diversify else k
        fetch = wanted * _DUPLICATE_ROOM * (10 if (path_glob or file_types) else 1)
        chunks = self.catalog.chunks([cid for cid, _ in fused[:fetch]])
        paths = self.catalog.paths_for_hashes(c.hash for c in chunks.values())
        order = [
            (cid, score)
            for cid, score in fused
            if cid in chunks
            and paths.get(chunks[cid].hash)
            and path_matches(paths[chunks[cid].hash], path_glob, file_types)
        ][: wanted * _DUPLICATE_ROOM]
        groups = collapse_duplicates(
            [cid for cid, _ in order], {cid: chunks[cid].text for cid, _ in order}
        )
        copies = {
            cid: [p for dup in absorbed for p in paths[chunks[dup].hash]]
            for cid, absorbed in groups.items()
        }
        order = same_language_first(
            query,
            [(cid, score) for cid, score in order if cid in groups],
            lambda o: chunks[o[0]].text,
        )[:wanted]
        if diversify and query_vec is not None and len(order) > k and self.store.vectors_open:
            with self.tracing.span("retrieve.mmr") as span:
                vecs = self.store.vectors.vectors_for([cid for cid, _ in order])
                keep = mmr(
                    query_vec,  # type: ignore[arg-type]
                    [cid for cid, _ in order],
                    vecs,
                    k,
                    self.settings.retrieval.mmr_lambda,
                )
                score_of = dict(order)
                order = [(cid, score_of[cid]) for cid in keep]
                self._stage(span, order, k)
        per_stage = {
            name: {cid: (rank, s) for rank, (cid, s) in enumerate(r, 1)}
            for name, r in rankings.items()
        }
        hits = []
        for cid, score in order[:k]:
            chunk = chunks[cid]
            where = paths[chunk.hash]
            also = [p for p in dict.fromkeys([*where[1:], *copies.get(cid, [])]) if p != where[0]]
            hits.append(
                Hit(
                    chunk_id=cid,
                    path=where[0],
                    also_at=tuple(also),
                    location=Location(
                        page=chunk.page,
                        heading=chunk.heading,
                        line_start=chunk.line_start,
                        line_end=chunk.line_end,
                        hidden=chunk.hidden,
                    ),
                    score=score,
                    scores={n: v[cid][1] for n, v in per_stage.items() if cid in v},
                    ranks={n: v[cid][0] for n, v in per_stage.items() if cid in v},
                    snippet=snippet(chunk.text, query),
                    text=chunk.text,
                    context=chunk.context,
                )
            )
        return hits

    def chunk_texts(self, chunk_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """(path, text with its heading context) of each chunk still in the index."""
        chunks = self.catalog.chunks(chunk_ids)
        paths = self.catalog.paths_for_hashes(c.hash for c in chunks.values())
        return {
            cid: (paths.get(c.hash, [""])[0], f"{c.context}\n{c.text}" if c.context else c.text)
            for cid, c in chunks.items()
        }

    def passages(self, chunk_ids: Sequence[str]) -> dict[str, Passage]:
        """Stored chunks by id with their text and first path (ids no longer stored are
        absent)."""
        chunks = self.catalog.chunks(list(chunk_ids))
        paths = self.catalog.paths_for_hashes(c.hash for c in chunks.values())
        found = {}
        for cid, chunk in chunks.items():
            where = paths.get(chunk.hash)
            if not where:
                continue
            found[cid] = Passage(
                chunk_id=cid,
                path=where[0],
                text=chunk.text,
                context=chunk.context,
                location=Location(
                    page=chunk.page,
                    heading=chunk.heading,
                    line_start=chunk.line_start,
                    line_end=chunk.line_end,
                    hidden=chunk.hidden,
                ),
            )
        return found


MAX_K = 1000  # eval beir ranks 300 for Recall@100; -k 1e20 must not reach LanceDB


def fusion_weights(
    cfg: RetrievalSettings, rankings: dict[str, list[tuple[str, float]]]
) -> dict[str, float]:
    """Each ranking's fusion weight; an expansion's ("bm25:1", "dense:hyde") counts
    :data:`~ragtui.core.expansion.EXTRA_WEIGHT` of its kind's."""
    from ragtui.core.expansion import EXTRA_WEIGHT

    base = {"dense": cfg.dense_weight, "bm25": cfg.bm25_weight}
    return {
        name: base.get(name, EXTRA_WEIGHT * base.get(name.split(":")[0], 0.0)) for name in rankings
    }


def fit_request(text: str, k: int | None, what: str, fix: str) -> str:
    """A query or question fit to run: undecodable bytes (from a terminal argument) become
    U+FFFD; an empty text or a ``k`` out of range is one sentence."""
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if not text.strip():
        raise InvalidRequest(f"The {what} is empty: {fix}.")
    if k is not None and not 1 <= k <= MAX_K:
        raise InvalidRequest(
            f"k must be from 1 to {MAX_K}, not {k}: pick a number of results in that range."
        )
    return text


def _documents(hits: Sequence[Hit]) -> list[tuple[str, float, str, str]]:
    """The final hits for the trace's OpenInference ``retrieval.documents.*``."""
    return [(h.chunk_id, float(h.score), h.snippet, h.path) for h in hits]


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


def _similarities(span: Any, dense: list[tuple[str, float]], k: int) -> None:
    """The dense ranking's top-1 and mean top-k cosine similarity (drift signals)."""
    if dense:
        top = [score for _, score in dense[:k]]
        span.set_attributes(
            {"ragtui.retrieve.top1": top[0], "ragtui.retrieve.topk": sum(top) / len(top)}
        )
