"""BEIR-format retrieval benchmarks: index a corpus into its own data dir and score search."""

from __future__ import annotations

import csv
import hashlib
import json
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ragtui.config import SearchMode, Settings
from ragtui.core.errors import PathProblem
from ragtui.core.eval.metrics import mrr_at, ndcg_at, percentile, recall_at
from ragtui.core.eval.ports import EvalEngine
from ragtui.core.index.indexer import IndexReport, ProgressFn
from ragtui.core.ingest.document import LoadedDocument, Section
from ragtui.paths import DataLayout


@dataclass(frozen=True)
class BeirDataset:
    """A BEIR folder: corpus, queries and the qrels of one split."""

    root: Path
    split: str

    def check(self) -> None:
        """Raise a one-sentence error if the folder is not BEIR-shaped."""
        for part in ("corpus.jsonl", "queries.jsonl", f"qrels/{self.split}.tsv"):
            if not (self.root / part).is_file():
                raise PathProblem(
                    f"{self.root / part} is missing: a BEIR folder holds corpus.jsonl, "
                    "queries.jsonl and qrels/<split>.tsv."
                )

    def corpus(self) -> Iterator[tuple[str, str, str]]:
        """(doc id, title, text) per corpus line."""
        with (self.root / "corpus.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    yield str(row["_id"]), row.get("title") or "", row.get("text") or ""

    def queries(self) -> dict[str, str]:
        """Query id → text."""
        out = {}
        with (self.root / "queries.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    out[str(row["_id"])] = row["text"]
        return out

    def qrels(self) -> dict[str, dict[str, int]]:
        """Query id → {doc id: relevance}."""
        out: dict[str, dict[str, int]] = {}
        with (self.root / "qrels" / f"{self.split}.tsv").open(encoding="utf-8") as fh:
            reader = csv.reader(fh, delimiter="\t")
            for row in reader:
                if len(row) < 3 or not row[2].lstrip("-").isdigit():
                    continue  # header
                out.setdefault(row[0], {})[row[1]] = int(row[2])
        return out

    def fingerprint(self) -> str:
        """Changes when the corpus file changes."""
        st = (self.root / "corpus.jsonl").stat()
        return f"{(self.root / 'corpus.jsonl').resolve()}:{st.st_size}:{st.st_mtime_ns}"


def beir_data_dir(base: Path, dataset: BeirDataset, settings: Settings) -> Path:
    """The eval index's own data dir, keyed by corpus, chunking and embedding model."""
    key = json.dumps(
        [
            str(dataset.root.resolve()),
            settings.ingest.model_dump(mode="json"),
            settings.embedding.model_dump(mode="json"),
        ],
        sort_keys=True,
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return DataLayout(base).evals / "beir" / f"{dataset.root.name}-{digest}"


def index_corpus(
    engine: EvalEngine,
    dataset: BeirDataset,
    cancel: threading.Event | None = None,
    progress: ProgressFn | None = None,
) -> IndexReport:
    """Index the corpus as one document per entry (skipped when already indexed)."""
    stored = engine.store.catalog.get_meta("beir_fingerprint")
    counts = engine.store.catalog.counts()
    if stored == dataset.fingerprint() and counts["chunks"] == counts["embedded"]:
        return IndexReport(unchanged=counts["indexed"], embedded_fraction=1.0)
    if stored is not None and stored != dataset.fingerprint():
        engine.index(targets=[], rebuild=True, embed=False)

    def documents() -> Iterator[tuple[str, str, LoadedDocument]]:
        for doc_id, title, text in dataset.corpus():
            content = hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()
            yield (
                doc_id,
                content,
                LoadedDocument(loader="beir", title=title or None, sections=[Section(text)]),
            )

    report = engine.index_documents(documents(), cancel=cancel, progress=progress)
    if not report.cancelled:
        engine.store.catalog.set_meta("beir_fingerprint", dataset.fingerprint())
    return report


@dataclass(frozen=True)
class BeirScores:
    """Retrieval quality and speed on one split."""

    ndcg_at_10: float
    recall_at_100: float
    mrr_at_10: float
    queries: int
    latency_ms_p50: float
    latency_ms_p95: float
    mode: str

    def as_json(self) -> dict[str, float | int | str]:
        """The keys `ragtui eval beir --json` prints."""
        return {
            "ndcg@10": round(self.ndcg_at_10, 4),
            "recall@100": round(self.recall_at_100, 4),
            "mrr@10": round(self.mrr_at_10, 4),
            "queries": self.queries,
            "latency_ms_p50": round(self.latency_ms_p50, 2),
            "latency_ms_p95": round(self.latency_ms_p95, 2),
            "mode": self.mode,
        }


def score(
    engine: EvalEngine,
    dataset: BeirDataset,
    mode: SearchMode,
    limit: int | None = None,
    progress: ProgressFn | None = None,
) -> BeirScores:
    """Run every judged query and score the document ranking (chunks folded to their doc)."""
    from ragtui.core.index.indexer import Progress

    queries = dataset.queries()
    qrels = dataset.qrels()
    judged = [q for q in sorted(qrels) if q in queries][: limit or None]
    ndcg, recall, mrr, latency = [], [], [], []
    for done, qid in enumerate(judged, 1):
        started = time.perf_counter()
        result = engine.search(queries[qid], k=300, mode=mode)
        latency.append((time.perf_counter() - started) * 1000)
        ranked: list[str] = []
        for hit in result.hits:
            if hit.path not in ranked:
                ranked.append(hit.path)
        ndcg.append(ndcg_at(ranked, qrels[qid], 10))
        recall.append(recall_at(ranked, qrels[qid], 100))
        mrr.append(mrr_at(ranked, qrels[qid], 10))
        if progress is not None:
            progress(Progress("query", done, len(judged), qid))
    mean = statistics.fmean if judged else (lambda _v: 0.0)
    return BeirScores(
        mean(ndcg),
        mean(recall),
        mean(mrr),
        len(judged),
        percentile(latency, 50),
        percentile(latency, 95),
        mode,
    )
