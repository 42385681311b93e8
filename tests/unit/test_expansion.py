"""Query expansion: feedback terms, the model's rewordings and passage, fusion weights."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ragtui.config import RetrievalSettings
from ragtui.core.expansion import (
    EXTRA_WEIGHT,
    QueryExpander,
    feedback_terms,
    passage,
    rewordings,
)
from ragtui.core.generate import Generation
from ragtui.core.retriever import fusion_weights


def test_feedback_terms_are_the_weightiest_repeated_words_the_query_lacks() -> None:
    texts = [
        "Create a project with cargo new; cargo new makes a directory.",
        "cargo init makes the current directory a project; init keeps the files.",
    ]
    rare = {"init": 5.0, "directory": 2.0, "makes": 0.1}
    terms = feedback_terms(
        "Which cargo command creates a project?", texts, lambda w: rare.get(w, 1.0)
    )
    assert terms[:2] == ["init", "directory"]
    assert "cargo" not in terms and "project" not in terms, "the query has them"
    assert "the" not in terms, "a stop word"


def test_rewordings_drop_copies_loops_and_empty_lines() -> None:
    question = "How do I list files in a tar archive?"
    text = (
        " How do I list files in a tar archive?\n"
        "2. Which command shows the contents of a tar file\n"
        "3. tar tar tar tar tar tar"
    )
    assert rewordings(text, question) == ["Which command shows the contents of a tar file"]
    assert rewordings(" \n2.", question) == []


def test_a_passage_that_is_short_or_loops_is_dropped() -> None:
    assert passage(" A cynic is a person who sees things as they are.") is not None
    assert passage(" Rust.") is None
    assert passage(" rust is a rust is a rust is a rust is a rust is a") is None


def test_expansion_rankings_weigh_half_their_kind() -> None:
    cfg = RetrievalSettings(dense_weight=1.0, bm25_weight=0.8)
    names = {"dense": [], "bm25": [], "bm25:1": [], "dense:hyde": []}
    weights = fusion_weights(cfg, names)  # type: ignore[arg-type]
    assert weights == {
        "dense": 1.0,
        "bm25": 0.8,
        "bm25:1": EXTRA_WEIGHT * 0.8,
        "dense:hyde": EXTRA_WEIGHT * 1.0,
    }


class _Writer:
    model_id = "scripted"
    prompt_format = "completion"
    n_ctx = 2048

    def __init__(self, text: str) -> None:
        self.text = text
        self.prompts: list[str] = []

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def generate(self, prefix: str, rest: str, **_: Any) -> Generation:
        self.prompts.append(prefix + rest)
        return Generation(self.text, 10, 5, 1.0, 2.0)


class _Keywords:
    def __init__(self) -> None:
        self.queries: list[str] = []

    def search(self, query: str, limit: int) -> list[tuple[str, float]]:
        self.queries.append(query)
        return [("c1", 1.0)]


def _expander(writer: _Writer | None, keywords: _Keywords) -> QueryExpander:
    return QueryExpander(
        lambda: keywords, catalog=None, writer=(lambda: writer) if writer else None
    )  # type: ignore[arg-type,return-value]


def test_multi_searches_each_rewording_by_keywords_and_vector() -> None:
    writer = _Writer(" Which command lists a tar file\n2. How can I see what a tar holds")
    keywords = _Keywords()
    vectors: list[Sequence[str]] = []
    found = _expander(writer, keywords).expand(
        "multi",
        "How do I list files in a tar archive?",
        {"bm25": [], "dense": []},
        50,
        dense=lambda vec: [("c2", 0.5)],
        embed_query=lambda text: vectors.append(text) or text,
        embed_passage=lambda text: text,
    )
    assert found.texts == ["Which command lists a tar file", "How can I see what a tar holds"]
    assert set(found.rankings) == {"bm25:1", "dense:1", "bm25:2", "dense:2"}
    assert keywords.queries == found.texts and vectors == found.texts
    assert "Question: How do I list files in a tar archive?" in writer.prompts[0]


def test_hyde_adds_a_dense_ranking_only_for_a_usable_passage() -> None:
    for text, expected in ((" A tar archive lists its files with tar tvf.", 1), (" tar", 0)):
        found = _expander(_Writer(text), _Keywords()).expand(
            "hyde",
            "How do I list files in a tar archive?",
            {"bm25": [], "dense": []},
            50,
            dense=lambda vec: [("c2", 0.5)],
            embed_query=lambda t: t,
            embed_passage=lambda t: t,
        )
        assert len(found.rankings) == expected


def test_without_a_model_multi_and_hyde_add_nothing() -> None:
    for mode in ("multi", "hyde"):
        found = _expander(None, _Keywords()).expand(
            mode,  # type: ignore[arg-type]
            "a question",
            {"bm25": [], "dense": []},
            50,
            dense=lambda vec: [],
            embed_query=lambda t: t,
            embed_passage=lambda t: t,
        )
        assert found.rankings == {} and found.texts == []
