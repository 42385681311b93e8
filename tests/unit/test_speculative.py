"""Prompt-lookup drafting: which tokens it copies, and which text it holds back."""

from __future__ import annotations

from ragtui.core.speculative import _held_back, lookup_draft, same_vocabulary


def test_the_latest_longest_match_is_copied() -> None:
    ids = [1, 2, 3, 4, 9, 2, 3, 5, 6, 7, 2, 3]
    assert lookup_draft(ids, ngram_max=2, length=3) == [5, 6, 7]  # latest "2 3"
    assert lookup_draft([1, 2, 3, 8, 3], ngram_max=3, length=2) == [8, 3]  # falls back to "3"
    assert lookup_draft([1, 2, 3], ngram_max=3, length=4) == []
    assert lookup_draft([], ngram_max=3, length=4) == []


def test_text_that_may_start_a_stop_string_waits() -> None:
    assert _held_back("The answer\nQu", ["\nQuestion:"]) == 3
    assert _held_back("The answer.", ["\nQuestion:"]) == 0
    assert _held_back("ab\n", ["\n\n", "\nQ"]) == 1


class _Vocab:
    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self._model = self

    def n_vocab(self) -> int:
        return len(self.texts)

    def token_get_text(self, token: int) -> str:
        return self.texts[token]


def test_only_a_model_of_the_same_vocabulary_drafts() -> None:
    gemma = _Vocab(["<pad>", "<eos>", "the", "belt"])
    assert same_vocabulary(gemma, _Vocab(["<pad>", "<eos>", "the", "belt"]))
    assert not same_vocabulary(gemma, _Vocab(["<pad>", "<eos>", "the"]))
    assert not same_vocabulary(gemma, _Vocab(["<s>", "</s>", "the", "belt"]))
