"""Property-based tests (hypothesis) of the pure parts of the pipeline: chunking, fusion,
MMR, the answer-cache key, citation markers and the repetition guard."""

from __future__ import annotations

import itertools
import re
from typing import Any

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ragtui.core.cache import answer_key
from ragtui.core.citations import check_markers
from ragtui.core.ingest.chunking import chunk_document
from ragtui.core.ingest.document import LoadedDocument, Section
from ragtui.core.repetition import RepetitionGuard
from ragtui.core.retrieve import convex, mmr, rrf

FAST = settings(max_examples=120, deadline=None)
SEPARATORS = (" ", " ", " ", ", ", ". ", "; ", "\n", "\n\n", "  ")


def _unique_words(draw: Any, count: int) -> list[str]:
    """Distinct words, none a prefix of another: letters, the word's number, ``q``."""
    letters = st.text(alphabet="abcdefghijklmnop", min_size=1, max_size=4)
    return [f"{draw(letters)}{i}q" for i in range(count)]


@st.composite
def prose(draw: Any, min_words: int = 1, max_words: int = 120) -> str:
    """Distinct words joined by spaces, punctuation and line breaks."""
    words = _unique_words(draw, draw(st.integers(min_words, max_words)))
    seps = draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(words), max_size=len(words)))
    lead = draw(st.sampled_from(("", " ", "\n")))
    return lead + "".join(w + s for w, s in zip(words, seps, strict=True))


# chunking -------------------------------------------------------------------------------
@FAST
@given(
    text=prose(),
    limit=st.integers(8, 60),
    overlap_share=st.floats(0, 0.5),
    first_line=st.integers(1, 500),
    kind=st.sampled_from(("text", "code")),
)
def test_chunks_cover_the_section_in_order_and_their_lines_map_back(
    text: str, limit: int, overlap_share: float, first_line: int, kind: str
) -> None:
    lines = text.split("\n")
    section = Section(text, ("Doc",), None, first_line, first_line + len(lines) - 1, kind)
    chunks = chunk_document(LoadedDocument("text", [section]), limit, int(limit * overlap_share))
    covered = [False] * len(text)
    previous = (-1, -1)
    for chunk in chunks:
        start = text.find(chunk.text)
        assert start >= 0 and chunk.text == chunk.text.strip()
        end = start + len(chunk.text)
        assert start > previous[0] and end > previous[1], "chunks advance, none repeats"
        previous = (start, end)
        covered[start:end] = [True] * len(chunk.text)
        assert chunk.line_start is not None and chunk.line_end is not None
        first, last = chunk.line_start - first_line, chunk.line_end - first_line
        assert text.count("\n", 0, start) == first and text.count("\n", 0, end - 1) == last
        body = chunk.text.split("\n")
        assert len(body) == last - first + 1
        assert body[0] in lines[first] and body[-1] in lines[last]
    assert all(covered[i] for i, char in enumerate(text) if not char.isspace()), (
        "every non-blank character is in a chunk"
    )


# fusion and MMR --------------------------------------------------------------------------
IDS = [f"c{i}" for i in range(12)]
ranking = st.lists(st.sampled_from(IDS), unique=True, max_size=10).flatmap(
    lambda ids: st.lists(
        st.sampled_from((0.0, 0.5, 1.0, 2.5, 7.0)), min_size=len(ids), max_size=len(ids)
    ).map(lambda scores: list(zip(ids, scores, strict=True)))
)
weight = st.sampled_from((0.0, 0.3, 0.5, 1.0, 2.0))


def _ordered(fused: list[tuple[str, float]]) -> None:
    for (a, sa), (b, sb) in itertools.pairwise(fused):
        assert sa > sb or (sa == sb and a < b), "score, then id, decides the order"


@FAST
@given(
    dense=ranking, bm25=ranking, w_dense=weight, w_bm25=weight, k=st.sampled_from((1.0, 10.0, 60.0))
)
def test_rrf_keeps_every_item_once_bounded_and_in_a_stable_order(
    dense: list[tuple[str, float]],
    bm25: list[tuple[str, float]],
    w_dense: float,
    w_bm25: float,
    k: float,
) -> None:
    weights = {"dense": w_dense, "bm25": w_bm25}
    fused = rrf({"dense": dense, "bm25": bm25}, weights, k)
    assert fused == rrf({"bm25": bm25, "dense": dense}, weights, k)
    expected = {
        i for name, r in (("dense", dense), ("bm25", bm25)) if weights[name] > 0 for i, _ in r
    }
    assert [i for i, _ in fused] == sorted({i for i, _ in fused}, key=[i for i, _ in fused].index)
    assert {i for i, _ in fused} == expected and len(fused) == len(expected)
    most = sum(w / (k + 1) for w in weights.values() if w > 0)
    assert all(0 < score <= most + 1e-12 for _, score in fused)
    _ordered(fused)


@FAST
@given(dense=ranking, bm25=ranking, w_dense=weight, w_bm25=weight)
def test_convex_keeps_every_item_once_scores_in_0_1_and_a_stable_order(
    dense: list[tuple[str, float]], bm25: list[tuple[str, float]], w_dense: float, w_bm25: float
) -> None:
    weights = {"dense": w_dense, "bm25": w_bm25}
    fused = convex({"dense": dense, "bm25": bm25}, weights)
    assert fused == convex({"bm25": bm25, "dense": dense}, weights)
    expected = {
        i for name, r in (("dense", dense), ("bm25", bm25)) if weights[name] > 0 for i, _ in r
    }
    assert {i for i, _ in fused} == expected and len(fused) == len(expected)
    assert all(-1e-12 <= score <= 1 + 1e-12 for _, score in fused)
    _ordered(fused)


# a few directions, so that ties (the same vector twice) are common
DIRECTIONS = [
    np.array(v, dtype=np.float32) / np.linalg.norm(v)
    for v in ([1, 0, 0], [0, 1, 0], [1, 1, 0], [1, 0, 1], [0, 1, 1])
]


@FAST
@given(
    picks=st.lists(st.integers(0, len(DIRECTIONS) - 1), min_size=2, max_size=10),
    query=st.integers(0, len(DIRECTIONS) - 1),
    k=st.integers(1, 10),
    lam=st.sampled_from((0.0, 0.3, 0.5, 0.7, 1.0)),
    order=st.randoms(use_true_random=False),
)
def test_mmr_picks_from_the_candidates_once_whatever_their_order(
    picks: list[int], query: int, k: int, lam: float, order: Any
) -> None:
    candidates = [f"c{i}" for i in range(len(picks))]
    vectors = {c: DIRECTIONS[p] for c, p in zip(candidates, picks, strict=True)}
    chosen = mmr(DIRECTIONS[query], candidates, vectors, k, lam)
    assert len(chosen) == min(k, len(candidates)) and len(set(chosen)) == len(chosen)
    assert set(chosen) <= set(candidates)
    shuffled = list(candidates)
    order.shuffle(shuffled)
    assert mmr(DIRECTIONS[query], shuffled, vectors, k, lam) == chosen, (
        "ties are broken the same way whatever the candidates' order"
    )


# the exact answer-cache key -------------------------------------------------------------
words = st.text(alphabet="abcdefgh ?", min_size=1, max_size=30)
params = st.dictionaries(
    st.sampled_from(("temperature", "max_tokens", "k", "top_p")),
    st.one_of(st.integers(0, 5), st.sampled_from((0.0, 0.2, 0.7)), st.none()),
    max_size=4,
)
chunk_ids = st.lists(st.sampled_from(IDS), max_size=6)


def _normal(question: str) -> str:
    return " ".join(question.lower().split())


@FAST
@given(
    question=words,
    model=words,
    prompt=words,
    p=params,
    ids=chunk_ids,
    other=st.tuples(words, words, words, params, chunk_ids),
    which=st.integers(0, 4),
)
def test_the_answer_key_changes_with_any_input_that_changes_the_answer(
    question: str,
    model: str,
    prompt: str,
    p: dict[str, Any],
    ids: list[str],
    other: tuple[Any, ...],
    which: int,
) -> None:
    base = [question, model, prompt, p, ids]
    changed = list(base)
    changed[which] = other[which]
    if which == 0:
        assume(_normal(other[0]) != _normal(question))
    else:
        assume(other[which] != base[which])
    assert answer_key(*changed) != answer_key(*base)
    assert answer_key(f"  {question.upper()} ", model, prompt, p, ids) == answer_key(*base), (
        "case and spacing of the question do not change the answer"
    )


# citation markers --------------------------------------------------------------------------
_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
marker_text = st.lists(
    st.sampled_from(("[", "]", "[1]", "[2, 9]", "[7]", "1]", "7]", "1", ",", " ", "a")), max_size=16
).map("".join)


@FAST
@given(answer=marker_text, passages=st.integers(0, 6))
def test_checked_markers_only_name_passages_in_the_context(answer: str, passages: int) -> None:
    checked = check_markers(answer, passages)
    assert all(1 <= n <= passages for n in checked.cited)
    assert len(set(checked.cited)) == len(checked.cited)
    for found in _MARKER.finditer(checked.text):
        numbers = [int(x) for x in found.group(1).split(",")]
        assert all(1 <= n <= passages for n in numbers), checked.text
        assert set(numbers) <= set(checked.cited)


# the repetition guard ------------------------------------------------------------------------
def _guarded(text: str, cuts: list[int]) -> tuple[RepetitionGuard, str, list[str]]:
    guard = RepetitionGuard()
    released, fed = [], ""
    bounds = sorted({min(c, len(text)) for c in cuts} | {0, len(text)})
    for a, b in itertools.pairwise(bounds):
        fed += text[a:b]
        released.append(guard.feed(text[a:b]))
        assert fed.startswith(guard.text) and "".join(released) == guard.text
    released.append(guard.finish())
    assert text.startswith(guard.text) and "".join(released) == guard.text
    return guard, fed, released


@FAST
@given(text=prose(max_words=80), cuts=st.lists(st.integers(0, 800), max_size=30))
def test_the_guard_never_cuts_an_answer_that_does_not_repeat(text: str, cuts: list[int]) -> None:
    guard, _, _ = _guarded(text, cuts)
    assert not guard.stopped and guard.text == text


@FAST
@given(
    words_=st.lists(
        st.sampled_from(
            ("the", "belt", "is", "at", "45,000", "miles", "oil", "```", ".", ",", "\n")
        ),
        max_size=80,
    ),
    cuts=st.lists(st.integers(0, 600), max_size=30),
)
def test_what_the_guard_releases_is_a_prefix_of_what_it_was_fed(
    words_: list[str], cuts: list[int]
) -> None:
    text = " ".join(words_)
    guard, _, _ = _guarded(text, cuts)
    assert guard.feed("more text after the end") == "" or not guard.stopped
