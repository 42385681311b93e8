"""Does the catalog agree with both indexes? (``ragtui doctor``)"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ragtui.core.index.catalog import KEYWORDS_DIRTY, VECTORS_DIRTY, Catalog
from ragtui.core.index.keywords import KeywordIndex
from ragtui.core.index.vectors import VectorIndex
from ragtui.core.reports import CatalogFigures, IndexHealth, KeywordFigures, VectorFigures


def consistency(
    catalog: Catalog,
    keywords: KeywordIndex,
    vectors: VectorIndex | None,
    *,
    repaired: list[str],
    data_dir: Path,
) -> IndexHealth:
    """Counts per index and every disagreement found; ``consistent`` is True when none.
    ``repaired`` is what a start-up repair just did."""
    counts = catalog.counts()
    embedded_ids = catalog.embedded_ids()
    problems: list[str] = []
    keyword_docs = keywords.count()
    if keyword_docs != counts["chunks"]:
        problems.append(
            f"the keyword index holds {keyword_docs} chunks, the catalog {counts['chunks']}"
        )
    for flag in (KEYWORDS_DIRTY, VECTORS_DIRTY):
        if catalog.get_meta(flag) == "1":
            problems.append(f"{flag.replace('_', ' ')}: an interrupted write was not repaired")
    vector_rows = 0
    duplicates = orphans = missing = 0
    if vectors is not None:
        ids = Counter(vectors.ids())
        vector_rows = sum(ids.values())
        duplicates = sum(n - 1 for n in ids.values() if n > 1)
        orphans = sum(1 for cid in ids if cid not in embedded_ids)
        missing = sum(1 for cid in embedded_ids if cid not in ids)
        if duplicates:
            problems.append(f"{duplicates} duplicated vectors")
        if orphans:
            problems.append(f"{orphans} vectors of chunks the catalog does not hold as embedded")
        if missing:
            problems.append(f"{missing} chunks marked embedded have no vector")
    elif embedded_ids:
        problems.append("chunks are marked embedded but the vector index cannot be opened")
    return IndexHealth(
        consistent=not problems,
        problems=problems,
        catalog=CatalogFigures(
            files=sum(counts[s] for s in ("indexed", "empty", "skipped", "failed")),
            indexed=counts["indexed"],
            failed=counts["failed"],
            chunks=counts["chunks"],
            embedded=counts["embedded"],
            pending_vector_deletes=len(catalog.released()),
            generation=catalog.generation(),
        ),
        keywords=KeywordFigures(chunks=keyword_docs),
        vectors=VectorFigures(
            rows=vector_rows, duplicates=duplicates, orphans=orphans, missing=missing
        ),
        repaired=repaired,
        data_dir=str(data_dir),
    )
