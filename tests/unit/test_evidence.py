"""Evidence sentences: splitting wrapped prose and lines, scoring, locating, quoting."""

from __future__ import annotations

import numpy as np

from ragtui.core import evidence
from ragtui.core.answer_checks import answer_flaw, quote
from ragtui.core.generate import Generation
from ragtui.core.models import Answer, Hit, Location

VOCAB = ["cynic", "blackguard", "vision", "cargo", "project", "mutable", "reference"]


def _embed(texts: list[str]) -> np.ndarray:
    rows = []
    for text in texts:
        v = np.array([text.lower().count(w) for w in VOCAB], dtype=np.float32) + 1e-3
        rows.append(v / np.linalg.norm(v))
    return np.stack(rows)


def _hit(cid: str, text: str, line_start: int | None = 10) -> Hit:
    return Hit(
        chunk_id=cid,
        path=f"/docs/{cid}.txt",
        location=Location(
            heading=("C",),
            line_start=line_start,
            line_end=None if line_start is None else line_start + text.count("\n"),
        ),
        score=1.0,
        scores={},
        ranks={},
        snippet="",
        text=text,
        context="",
    )


WRAPPED = (
    "CYNIC, n.  A blackguard whose faulty vision sees things as they are,\n"
    "not as they ought to be.  Hence the custom among the Scythians of\n"
    "plucking out a cynic's eyes to improve his vision."
)


def test_wrapped_prose_is_joined_into_sentences_and_abbreviations_do_not_split() -> None:
    spans = evidence.sentences(WRAPPED)
    texts = [" ".join(WRAPPED[b:e].split()) for b, e in spans]
    assert texts == [
        "CYNIC, n. A blackguard whose faulty vision sees things as they are, not as they "
        "ought to be.",
        "Hence the custom among the Scythians of plucking out a cynic's eyes to improve "
        "his vision.",
    ]


def test_commands_code_and_list_lines_stay_lines_and_a_lead_in_keeps_its_line() -> None:
    text = (
        "To start a new project, run the following command:\n"
        "$ cargo new hello_cargo\n$ cd hello_cargo\n- a list item that is long enough\n"
        "- another list item long enough"
    )
    texts = [text[b:e] for b, e in evidence.sentences(text)]
    assert texts == [
        "To start a new project, run the following command:\n$ cargo new hello_cargo",
        "$ cd hello_cargo",
        "- a list item that is long enough",
        "- another list item long enough",
    ]


def test_a_short_label_keeps_the_sentence_it_names_and_a_section_number_is_dropped() -> None:
    text = (
        "Each value has one of the following storage classes:\n\n"
        "NULL. The value is a NULL value.\n\n"
        "INTEGER. The value is a signed integer.\n\n"
        "1.7. How does one pronounce Debian?"
    )
    texts = [" ".join(text[b:e].split()) for b, e in evidence.sentences(text)]
    assert texts == [
        "Each value has one of the following storage classes: NULL. The value is a NULL value.",
        "INTEGER. The value is a signed integer.",
        "How does one pronounce Debian?",
    ]


def test_indented_wrapped_prose_is_joined_but_indented_code_is_not() -> None:
    text = (
        "    Aside bullseye and bookworm, other codenames that have been\n"
        "    already used are: buzz for release 1.1, rex for release 1.2, bo\n"
        "    for releases 1.3.x.\n\n"
        '    let mut reference = String::from("hello");\n'
        "    change(&mut reference);"
    )
    texts = [" ".join(text[b:e].split()) for b, e in evidence.sentences(text)]
    assert texts == [
        "Aside bullseye and bookworm, other codenames that have been already used "
        "are: buzz for release 1.1, rex for release 1.2, bo for releases 1.3.x.",
        'let mut reference = String::from("hello");',
        "change(&mut reference);",
    ]


def test_a_question_ending_its_passage_is_no_evidence_and_items_do_not_repeat() -> None:
    faq_end = _hit("faq-txt", "Some other words about vision.\n\nWhat is a cynic?")
    faq_html = _hit("faq-html", "What is a cynic?\n\nA blackguard with faulty vision.")
    hits = [faq_end, faq_html]
    scored = evidence.score_sentences(_embed(["cynic"])[0], hits, _embed)
    found = evidence.select("What is a cynic?", hits, scored)
    assert found[0].chunk_id == "faq-html"
    assert found[0].text == "What is a cynic? A blackguard with faulty vision."
    assert all(e.text != "What is a cynic?" for e in found)


def test_the_first_item_runs_on_to_the_answer_and_stops_at_the_next_question() -> None:
    faq = _hit(
        "faq",
        "What does the word cynic mean? It is pronounced sin-ik. "
        "It names a blackguard with faulty vision. What is a cargo project? A crate.",
        line_start=5,
    )
    scored = evidence.score_sentences(_embed(["cynic"])[0], [faq], _embed)
    found = evidence.select("What does cynic mean?", [faq], scored)
    assert found[0].text == (
        "What does the word cynic mean? It is pronounced sin-ik. "
        "It names a blackguard with faulty vision."
    )


def test_evidence_is_the_best_sentence_located_on_its_own_lines() -> None:
    hits = [
        _hit("preface", "The cynic's word book was begun in a weekly paper in 1881."),
        _hit("entry", WRAPPED, line_start=1435),
    ]
    scored = evidence.score_sentences(_embed(["cynic blackguard vision"])[0], hits, _embed)
    found = evidence.select("How does it define a cynic?", hits, scored)
    assert found and found[0].chunk_id == "entry"
    assert found[0].text.startswith("CYNIC, n. A blackguard")
    assert "Hence the custom" in found[0].text
    assert (found[0].location.line_start, found[0].location.line_end) == (1435, 1437)
    assert [e.chunk_id for e in found] == ["entry", "preface"], "then another passage's best"
    assert sum(len(e.text.split()) for e in found) <= evidence.MAX_EVIDENCE_WORDS
    assert evidence.best_per_hit(hits, scored)[1] == max(s.score for s in scored)


def test_a_sentence_that_introduces_a_command_brings_the_command() -> None:
    text = (
        "Some words about cargo first.\n\nCreate a project with cargo like this:\n"
        "$ cargo new hello_cargo\n\nThen build it."
    )
    hits = [_hit("book", text, line_start=30)]
    scored = evidence.score_sentences(_embed(["cargo project"])[0], hits, _embed)
    found = evidence.select("What command creates a cargo project?", hits, scored)
    assert found[0].text.startswith(
        "Create a project with cargo like this: $ cargo new hello_cargo"
    )
    assert found[0].location.line_start == 32


def test_a_lead_in_meets_its_fenced_code_and_hidden_markup_is_no_sentence() -> None:
    text = (
        '<a id="running-cargo"></a>\n\nRun the cargo project one way, see the following '
        "example:\n\n```console\n$ cargo run -- --jobs=1\n```\n\n"
        "Details are in the appendix<!-- ignore --> of this book."
    )
    hits = [_hit("book", text, line_start=40)]
    scored = evidence.score_sentences(_embed(["cargo project"])[0], hits, _embed)
    assert sorted(s.text for s in scored) == [
        "Details are in the appendix of this book.",
        "Run the cargo project one way, see the following example: $ cargo run -- --jobs=1",
    ]
    found = evidence.select("How do I run a cargo project?", hits, scored)
    assert found[0].text.startswith(
        "Run the cargo project one way, see the following example: $ cargo run -- --jobs=1"
    )
    assert found[0].location.line_start == 42


def test_a_sentence_of_only_the_question_words_is_no_answer_and_items_say_new_things() -> None:
    book = _hit("book", "Cargo Projects\n\nA cargo project holds a crate and its manifest.")
    toc = _hit("toc", "(3) A Cargo project holds a crate and a manifest.")
    other = _hit("other", "Each cargo project is built with the cargo build command.")
    hits = [book, toc, other]
    scored = evidence.score_sentences(_embed(["cargo project"])[0], hits, _embed)
    found = evidence.select("What are cargo projects?", hits, scored)
    assert found[0].text.startswith("A cargo project holds a crate"), "not the heading"
    assert [e.chunk_id for e in found] == ["book", "other"], "the table of contents repeats it"


def test_a_wrapped_list_item_is_one_line_and_the_first_item_stops_at_a_heading() -> None:
    text = (
        "## Cargo\n\nYou compile a cargo project with one command.\n\n"
        "- The cargo project lives in the folder you made\n  with cargo new.\n"
        "- Another item.\n\n## Vision\n\nUnrelated words about vision follow here."
    )
    spans = [" ".join(text[b:e].split()) for b, e in evidence.sentences(text)]
    assert "- The cargo project lives in the folder you made with cargo new." in spans
    hits = [_hit("notes", text, line_start=1)]
    scored = evidence.score_sentences(_embed(["cargo project"])[0], hits, _embed)
    found = evidence.select("How do I build a cargo project?", hits, scored)
    assert found[0].text.startswith("You compile a cargo project")
    assert "vision" not in found[0].text


def test_a_list_too_long_for_the_evidence_is_shortened_to_its_labels() -> None:
    described = " The value is stored in cargo project files of some size and kind."
    entries = "\n\n".join(f"{name}.{described}" for name in ("NULL", "INTEGER", "REAL", "BLOB"))
    text = f"Each cargo value has one of the following storage classes:\n\n{entries}\n\nDone."
    hits = [_hit("types", text, line_start=1)]
    scored = evidence.score_sentences(_embed(["cargo value"])[0], hits, _embed)
    found = evidence.select("What storage classes can a cargo value have?", hits, scored)
    assert found[0].text == (
        "Each cargo value has one of the following storage classes: "
        "NULL. … INTEGER. … REAL. … BLOB. …"
    )
    assert (found[0].location.line_start, found[0].location.line_end) == (1, 9)


def test_a_list_that_fits_keeps_its_descriptions() -> None:
    entries = "\n\n".join(f"{name}. A cargo value." for name in ("NULL", "INTEGER", "REAL"))
    text = f"Each cargo value has one of the following storage classes:\n\n{entries}"
    hits = [_hit("types", text, line_start=1)]
    scored = evidence.score_sentences(_embed(["cargo value"])[0], hits, _embed)
    found = evidence.select("What storage classes can a cargo value have?", hits, scored)
    assert found[0].text.endswith(
        "NULL. A cargo value. INTEGER. A cargo value. REAL. A cargo value."
    )


def test_long_sentences_are_trimmed_to_the_words_near_the_question() -> None:
    long = "filler " * 80 + "the cynic is a blackguard " + "filler " * 80 + "end."
    hits = [_hit("long", long, line_start=None)]
    scored = evidence.score_sentences(_embed(["cynic"])[0], hits, _embed)
    found = evidence.select("cynic blackguard", hits, scored)
    assert len(found[0].text.split()) <= evidence.MAX_EVIDENCE_WORDS + 2
    assert "cynic is a blackguard" in found[0].text
    assert found[0].location.line_start is None


def _generation(text: str, repeating: bool = False) -> Generation:
    return Generation(
        text=text,
        prompt_tokens=10,
        completion_tokens=5,
        ttft_ms=1.0,
        generate_ms=2.0,
        prefix_tokens=0,
        prefix_reused=False,
        stopped_repeating=repeating,
    )


def _answer(text: str, unsupported: tuple[str, ...] = ()) -> Answer:
    hit = _hit("entry", WRAPPED, line_start=1435)
    scored = evidence.score_sentences(_embed(["cynic blackguard"])[0], [hit], _embed)
    return Answer(
        question="What is a cynic?",
        answer=text,
        citations=(),
        unsupported=unsupported,
        timings_ms={},
        tokens={},
        model="m",
        prompt_version="qa@1",
        evidence=evidence.select("What is a cynic?", [hit], scored),
    )


def test_flawed_answers_are_named_and_sound_ones_pass() -> None:
    question = "What is a cynic?"
    good = _answer("A blackguard who sees things as they are [1].")
    assert answer_flaw(good, _generation(good.answer), question) is None
    assert (
        answer_flaw(good, _generation(good.answer, repeating=True), question)
        == "the model started repeating itself"
    )
    assert (
        answer_flaw(_answer(" [1] "), _generation(""), question) == "the model's answer was empty"
    )
    assert (
        answer_flaw(_answer("A cynic?"), _generation("A cynic?"), question)
        == "the model only repeated the question"
    )
    lead_in = _answer("A cynic is defined as follows:")
    assert (
        answer_flaw(lead_in, _generation(lead_in.answer), question)
        == "the model's answer stopped before what it introduced"
    )
    made_up = _answer("It is a kind of fish.", unsupported=("It is a kind of fish.",))
    assert (
        answer_flaw(made_up, _generation(made_up.answer), question)
        == "no passage supports the model's answer"
    )


def test_a_number_from_another_sentence_than_the_question_matches_is_a_flaw() -> None:
    runbook = (
        "If the primary does not acknowledge a page within 20 minutes, it escalates to the "
        "secondary. If neither has acknowledged after a further 10 minutes, the page goes "
        "to the engineering manager."
    )
    hit = _hit("runbook", runbook)
    scored = evidence.score_sentences(_embed(["cynic"])[0], [hit], _embed)
    question = "How long can a page go unacknowledged before it escalates to the secondary?"

    def said(text: str) -> Answer:
        return _answer(text).model_copy(
            update={"evidence": evidence.select(question, [hit], scored)}
        )

    wrong = said("10 minutes.\nLevel: SEV1; Status updates: every 30 minutes")
    assert answer_flaw(wrong, _generation(wrong.answer), question) == (
        "the model's number belongs to another part of the passage"
    )
    for right in ("20 minutes [1].", "Within 20 minutes, then the secondary is paged."):
        assert answer_flaw(said(right), _generation(right), question) is None
    manager = "When does the page go to the engineering manager?"
    assert answer_flaw(said("After 10 more minutes."), _generation("x"), manager) is None


def test_a_yes_or_no_that_the_evidence_contradicts_is_a_flaw() -> None:
    def said(text: str, passage: str) -> Answer:
        hit = _hit("faq", passage)
        found = evidence.select(
            "x", [hit], evidence.score_sentences(_embed(["x"])[0], [hit], _embed)
        )
        return _answer(text).model_copy(update={"evidence": found})

    flaw = "the model's yes or no is not what the passage says"
    off = "Foreign key enforcement is turned off by default in the cargo database."
    on = "Foreign key enforcement is on by default in the cargo database."
    asked = "In the cargo database, are foreign keys enforced by default?"
    assert answer_flaw(said("Yes.", off), _generation("Yes."), asked) == flaw
    assert answer_flaw(said("No, it is off.", off), _generation("No"), asked) is None
    assert answer_flaw(said("No.", on), _generation("No."), asked) == flaw
    assert answer_flaw(said("Yes [1].", on), _generation("Yes"), asked) is None
    negated = "Is foreign key enforcement not on by default?"
    assert answer_flaw(said("Yes.", off), _generation("Yes."), negated) is None
    which = "Which keys are not enforced by default?"
    assert answer_flaw(said("No keys.", on), _generation("No keys."), which) is None


def test_a_flawed_answer_is_replaced_by_its_evidence_quoted_and_cited() -> None:
    hit = _hit("entry", WRAPPED, line_start=1435)
    quoted = quote(_answer("a fish that is a fish that is"), [hit], "looped")
    assert quoted.quoted and quoted.error == "looped"
    assert quoted.answer.startswith("“CYNIC, n. A blackguard") and quoted.answer.endswith("[1]")
    assert [c.chunk_id for c in quoted.citations] == ["entry"]


def test_a_decline_is_a_flaw_only_when_retrieval_is_confident() -> None:
    declined = _answer("Not in your documents.").model_copy(update={"abstained": True})
    generation = _generation("Not in your documents.")
    assert answer_flaw(declined, generation, "What is a cynic?", 0.5, 0.8) is None
    assert answer_flaw(declined, generation, "What is a cynic?", 0.9, 0.8) is not None
    hit = _hit("entry", WRAPPED, line_start=1435)
    quoted = quote(declined, [hit], "overruled")
    assert quoted.quoted and not quoted.abstained
