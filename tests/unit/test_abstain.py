"""Abstention signals and the calibrated confidence."""

from __future__ import annotations

from ragtui.core import abstain
from ragtui.core.evidence import Sentence, held
from ragtui.core.models import Hit, Location


def _hit(text: str, dense: float, bm25_rank: int, dense_rank: int, context: str = "") -> Hit:
    return Hit(
        chunk_id=text[:8],
        path="/d/x.md",
        location=Location(),
        score=1.0,
        scores={"dense": dense},
        ranks={"bm25": bm25_rank, "dense": dense_rank},
        snippet="",
        text=text,
        context=context,
    )


def test_signals_read_sentence_passage_agreement_and_coverage() -> None:
    hits = [
        _hit("Replace the timing belt at 45,000 miles.", 0.61, 1, 2, "Car > Service"),
        _hit("Bake the bread for 40 minutes.", 0.2, 9, 30),
    ]
    scored = [Sentence(0, 0, 40, hits[0].text, 0.72), Sentence(1, 0, 30, hits[1].text, 0.1)]
    found = abstain.signals("When is the timing belt of the car replaced?", hits, scored)
    assert found.sentence == 0.72 and found.passage == 0.61 and found.agreement == 1.0
    assert found.coverage == 1.0 and found.missing == 0.0  # "car" is in the heading
    missing = abstain.signals("How do I configure pgbouncer for the timing belt?", hits, scored)
    assert missing.missing == 1.0 and missing.coverage < 1.0


def test_rare_words_weigh_more_than_common_ones() -> None:
    hits = [_hit("Run du -sh on the directory to see its total size.", 0.6, 1, 1)]
    scored = [Sentence(0, 0, 50, hits[0].text, 0.7)]
    rarity = {"du": 9.0, "quick": 1.0, "folder": 2.0, "total": 1.0, "size": 1.5, "sh": 8.0}

    def of(word: str) -> tuple[float, float]:
        return rarity.get(word, 5.0), 10.0

    question = "Quick way to see the total size of a folder with du?"
    plain = abstain.signals(question, hits, scored)
    weighed = abstain.signals(question, hits, scored, of)
    assert weighed.coverage > plain.coverage  # "du" counts more than "quick" and "folder"
    assert weighed.missing == 0.2  # "folder" is missing, and common: 2 of at most 10
    assert plain.missing == 1.0


def test_another_form_of_a_question_word_counts_as_held() -> None:
    hits = [_hit("PostgreSQL pads character(n) with blanks; Bierce was cynic.", 0.5, 1, 1)]
    scored = [Sentence(0, 0, 40, hits[0].text, 0.6)]
    found = abstain.signals("Is char faster in Postgres for the cynical Bierce?", hits, scored)
    assert found.coverage == 3 / 5  # "postgres", "cynical", "bierce"; "char" is too short
    assert found.missing == 1.0  # "faster"
    words = {"configuration", "compute", "cynic"}
    assert held({"configur", "compil", "cynical", "conf"}, words) == {"configur", "cynical"}


def test_question_words_do_not_count_as_content() -> None:
    assert abstain.content_words("How many mutable references can I have?") == {
        "mutabl",
        "referenc",
    }
    assert abstain.content_words("replaced") == abstain.content_words("Replace")


def test_confidence_rises_with_every_signal_and_falls_with_a_missing_rare_word() -> None:
    low = abstain.Signals(0.3, 0.3, 0.0, 0.3, 0.5)
    assert abstain.confidence(low) < 0.2
    for name in abstain.FEATURES:
        higher = abstain.Signals(**{**low.as_dict(), name: getattr(low, name) + 0.5})
        rises = abstain.confidence(higher) > abstain.confidence(low)
        assert rises == (name != "missing"), name
    assert abstain.confidence(abstain.Signals(0.8, 0.7, 1.0, 1.0, 0.0)) > 0.9


def test_keyword_only_hits_use_the_sentence_for_the_passage() -> None:
    hit = Hit(
        chunk_id="c",
        path="/d/x.md",
        location=Location(),
        score=1.0,
        scores={},
        ranks={"bm25": 1},
        snippet="",
        text="Belt at 45,000 miles.",
        context="",
    )
    found = abstain.signals("belt?", [hit], [Sentence(0, 0, 21, hit.text, 0.6)])
    assert found.passage == found.sentence == 0.6


def test_an_empty_keyword_index_makes_no_word_rare() -> None:
    hits = [_hit("Replace the timing belt at 45,000 miles.", 0.61, 1, 1)]
    scored = [Sentence(0, 0, 40, hits[0].text, 0.72)]
    found = abstain.signals("How do I configure pgbouncer?", hits, scored, lambda _: (0.0, 0.0))
    assert found.missing == 0.0 and found.coverage == 1.0
