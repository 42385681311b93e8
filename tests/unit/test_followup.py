"""Follow-up detection and the carry-over rewrite (no index, no model)."""

from __future__ import annotations

import pytest

from ragtui.core.followup import (
    MAX_TERMS,
    Exchange,
    carry_over,
    degenerate,
    dependence,
    rewrite,
)

TYRES = [Exchange("What pressure should the front tyres on the Kestrel be?", "35 psi")]


@pytest.mark.parametrize(
    "question",
    [
        "And the rear ones?",
        "what about the spare?",
        "How about Sunday?",
        "Why?",
        "When was that last done?",
        "Who said so?",
        "How much did it cost?",
        "Where do I find its password?",
        "How often do we post status updates for it?",
        "What happens if the primary doesn't acknowledge it?",
        "How do we get there?",
    ],
)
def test_questions_that_lean_on_earlier_turns(question: str) -> None:
    assert dependence(question) is not None


@pytest.mark.parametrize(
    "question",
    [
        "What pressure should the rear tyres on the Kestrel be?",
        "How long does it take to bake banana bread?",
        "How do I reset the router when it hangs?",
        "Is there a spare key for the car?",
        "What is the number that I call for the database team?",
        "Which DNS servers does the home network use?",
        "Where does a page go if neither the primary nor the secondary acknowledges it?",
    ],
)
def test_questions_that_stand_alone(question: str) -> None:
    assert dependence(question) is None


def test_a_followup_carries_the_last_turns_key_terms() -> None:
    result = rewrite("And the rear ones?", TYRES)
    assert result.method == "carry" and result.rewritten
    assert result.query.startswith("And the rear ones?")
    for term in ("pressure", "front", "tyres", "Kestrel", "35"):
        assert term in result.query.split()
    assert "What" not in result.query.split() and "should" not in result.query.split()


def test_a_standalone_question_is_not_rewritten() -> None:
    result = rewrite("Which DNS servers does the home network use?", TYRES)
    assert (result.method, result.query) == ("none", result.question)
    assert not result.rewritten


def test_no_history_and_off_leave_the_question_as_it_is() -> None:
    assert rewrite("And the rear ones?", []).method == "none"
    off = rewrite("And the rear ones?", TYRES, "off")
    assert off.method == "off" and off.query == "And the rear ones?"


def test_chained_followups_reach_back_to_the_turn_that_named_the_topic() -> None:
    history = [*TYRES, Exchange("And the rear ones?", "33 psi")]
    query = rewrite("What if it's fully loaded?", history).query
    assert "Kestrel" in query and "rear" in query and "tyres" in query


def test_the_carry_over_stops_at_the_last_standalone_turn() -> None:
    history = [Exchange("Which hotel are we staying at in Lisbon?", "Casa do Rio"), *TYRES]
    assert "hotel" not in carry_over("And the rear ones?", history)


def test_nothing_to_carry_falls_back_to_the_question() -> None:
    result = rewrite("And what about it?", [Exchange("Why?", ""), Exchange("How so?", "")])
    assert result.method == "fallback" and result.query == "And what about it?"
    same = rewrite("And the tyres pressure?", [Exchange("Tyres pressure?", "")])
    assert same.method == "fallback" and not same.rewritten


def test_a_long_history_is_never_pasted_whole() -> None:
    long = Exchange(" ".join(f"Topic{i} word{i}" for i in range(60)) + "?", "Answer " * 200)
    history = [Exchange(f"And {i}?", "") for i in range(5)]
    result = rewrite("And that one?", [long, *history])
    assert len(result.query.split()) <= 3 + MAX_TERMS
    assert long.question not in result.query


TYRES = [Exchange("What pressure should the front tyres on the Kestrel be?", "35 psi")]


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("", "came back empty"),
        ("And the rear ones?", "copied the question"),
        ("What pressure should the front tyres on the Kestrel be?", "copied an earlier question"),
        ("tyres " * 30, "ran on"),
        ("rear tyres rear tyres rear tyres rear tyres", "repeated itself"),
        ("How do I bake sourdough bread at home?", "changed the topic"),
        ("What pressure should the rear tyres on the Kestrel be?", None),
    ],
)
def test_a_degenerate_model_rewrite_is_named(written: str, problem: str | None) -> None:
    assert degenerate(written, "And the rear ones?", TYRES) == problem


def test_condense_uses_a_sound_rewrite_and_carries_over_instead_of_a_bad_one() -> None:
    sound = rewrite(
        "And the rear ones?",
        TYRES,
        "condense",
        lambda q, h: " What pressure should the rear tyres on the Kestrel be?\n",
    )
    assert (sound.method, sound.query) == (
        "condense",
        "What pressure should the rear tyres on the Kestrel be?",
    )
    copied = rewrite("And the rear ones?", TYRES, "condense", lambda q, h: q)
    assert copied.method == "carry" and "Kestrel" in copied.query
    assert "copied the question" in copied.reason
    asked: list[str] = []
    alone = rewrite(
        "How do I bleed the brakes?", TYRES, "condense", lambda q, h: asked.append(q) or q
    )
    assert alone.method == "none" and asked == [], "a standalone question costs no model call"
