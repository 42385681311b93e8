"""The guard that ends an answer where the model starts repeating itself."""

from __future__ import annotations

from collections.abc import Iterator

from ragtui.core.generate import _consume
from ragtui.core.repetition import RepetitionGuard


def _stream(text: str, step: int = 3) -> tuple[str, str, bool]:
    guard = RepetitionGuard()
    shown = []
    for i in range(0, len(text), step):
        shown.append(guard.feed(text[i : i + step]))
        if guard.stopped:
            break
    shown.append(guard.finish())
    return "".join(shown), guard.text, guard.stopped


def test_a_repeated_sentence_ends_the_answer_before_it_is_shown() -> None:
    loop = (
        "The falls are located in the south end of Marble Falls , Texas . The falls are "
        "located in the south end of Marble Falls , Texas . The falls are"
    )
    shown, text, stopped = _stream(loop)
    assert stopped
    assert shown == text == "The falls are located in the south end of Marble Falls , Texas ."


def test_a_short_clause_repeated_back_to_back_ends_the_answer() -> None:
    shown, text, stopped = _stream("In 1804, in 1804, in 1804, in 1804")
    assert stopped and shown == text == "In 1804,"


def test_answers_that_do_not_repeat_pass_untouched() -> None:
    for answer in (
        "Every 7,500 miles.",
        "555-0142\nThe on-call pager number is 555-0142.",
        "Mix the flour, the sugar, the eggs, the butter, and the milk, then bake.",
        "The oil is changed every 7,500 miles. The oil filter is changed too.",
        "Priya.",
        "",
    ):
        for step in (1, 4, 50):
            assert _stream(answer, step) == (answer, answer, False)


def test_a_clause_that_only_begins_like_an_earlier_one_is_shown_once_it_differs() -> None:
    guard = RepetitionGuard()
    assert guard.feed("The belt is checked at 45,000 miles. ") != ""
    assert guard.feed("The belt is") == ""  # held: it may be the start of a repeat
    assert guard.feed(" new.") == " The belt is new."
    assert not guard.stopped


def test_consume_stops_the_stream_and_counts_what_was_generated() -> None:
    pulled: list[str] = []

    def pieces() -> Iterator[str]:
        for piece in ["Tea is", " hot.", " Tea is", " hot.", " Tea is", " hot."] * 20:
            pulled.append(piece)
            yield piece

    shown: list[str] = []
    made = _consume(pieces(), 0.0, shown.append, float("inf"), 10, 0, False)
    assert made.stopped_repeating and made.text == "Tea is hot." == "".join(shown)
    assert made.completion_tokens == len(pulled) == 4, "generation ends at the repeat"


def test_lines_repeated_inside_a_code_block_are_kept() -> None:
    code = (
        "Use this:\n```python\nif ready:\n    return value_of(x)\nif late:\n"
        "    return value_of(x)\n```\nThat is all."
    )
    assert _stream(code) == (code, code, False)


TROUT_LOOP = (
    "A leather mouthed fish, which is a good choice for a fish that is a good choice "
    "for a fish that is a good choice for a fish that is a good choice for a fish"
)


def test_a_loop_without_punctuation_ends_at_its_first_repeated_words() -> None:
    for step in (1, 3, 7, 40):
        shown, text, stopped = _stream(TROUT_LOOP, step)
        assert stopped and shown == text
        assert text.rstrip() == "A leather mouthed fish, which is a good choice for a fish that"


def test_a_single_word_loop_ends() -> None:
    _shown, text, stopped = _stream("The answer is " + "very " * 40)
    assert stopped and text.count("very") < 8


def test_repeated_words_are_held_back_until_they_differ() -> None:
    guard = RepetitionGuard()
    shown = guard.feed("Use a good rod for a fish that bites. Then use a good rod")
    assert shown.endswith("Then "), "words that may start a repeat are held back"
    assert guard.feed(" in spring.") == "use a good rod in spring."
    assert not guard.stopped


def test_words_repeated_inside_a_code_block_are_kept() -> None:
    code = "Run:\n```\ncargo new hello cargo new hello cargo new hello cargo new hello\n```\nDone."
    assert _stream(code) == (code, code, False)
