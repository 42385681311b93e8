"""Bringing the keyword and vector indexes back in line with the catalog after a crash."""

from __future__ import annotations

from collections import Counter

from ragtui.core.index.catalog import KEYWORD_DELETES, KEYWORDS_DIRTY, VECTORS_DIRTY, Catalog
from ragtui.core.index.keywords import KeywordIndex
from ragtui.core.index.vectors import VectorIndex


def keywords_need_repair(catalog: Catalog, keywords: KeywordIndex) -> bool:
    """A crash left the keyword index mid-write, or it holds another number of chunks."""
    if catalog.get_meta(KEYWORDS_DIRTY) == "1":
        return True
    return keywords.count() != catalog.counts()["chunks"]


def repair_keywords(catalog: Catalog, keywords: KeywordIndex) -> int:
    """Rebuild the keyword index from the catalog; returns chunks written."""
    keywords.rollback()
    keywords.clear()
    written = 0
    batch = []
    for row in catalog.all_chunks():
        batch.append(row)
        if len(batch) >= 5000:
            keywords.add(batch)
            written += len(batch)
            batch = []
    keywords.add(batch)
    written += len(batch)
    keywords.commit()
    catalog.set_meta(KEYWORDS_DIRTY, "0")
    catalog.set_meta(KEYWORD_DELETES, "0")
    return written


def vectors_need_repair(catalog: Catalog) -> bool:
    """A crash left the vector index mid-write."""
    return catalog.get_meta(VECTORS_DIRTY) == "1"


def repair_vectors(catalog: Catalog, vectors: VectorIndex) -> tuple[int, int]:
    """Delete orphaned and duplicated vectors; re-queue chunks without exactly one vector.

    Returns (rows deleted, chunks re-queued for embedding).
    """
    counts = Counter(vectors.ids())
    known = {row.chunk_id for row in catalog.all_chunks()}
    doomed = [cid for cid, n in counts.items() if cid not in known or n > 1]
    vectors.delete_ids(doomed)
    present = {cid for cid, n in counts.items() if cid in known and n == 1}
    with catalog.transaction() as db:
        db.execute("UPDATE chunks SET embedded = 0")
        db.executemany("UPDATE chunks SET embedded = 1 WHERE chunk_id = ?", [(c,) for c in present])
        catalog.set_meta(VECTORS_DIRTY, "0", db)
    return len(doomed), len(known) - len(present)
