"""Near-duplicate passages (the same book in several files) collapse to one hit."""

from __future__ import annotations

from ragtui.core.retrieve import collapse_duplicates

WALTON = (
    "And for the trout, the bait that he loves best is the worm, and in especial the "
    "red worm found in old dunghills, and the brandling, which is found in rotten earth "
    "and in tanners' bark; but the minnow is good too in the months of March and April"
)


def test_copies_with_other_wrapping_case_and_cut_points_collapse_into_the_best_ranked() -> None:
    texts = {
        "txt": WALTON,
        "latin1": WALTON.replace(" ", "\n", 3).upper(),
        "old": "Chapter IV. " + WALTON[40:] + " and so he is taken",
        "other": "The carp is the queen of rivers, a stately, a good, and a very subtle fish.",
    }
    groups = collapse_duplicates(["txt", "other", "latin1", "old"], texts)
    assert groups == {"txt": ["latin1", "old"], "other": []}


def test_passages_that_share_only_a_phrase_stay_apart() -> None:
    a = "Ownership rules: each value in Rust has an owner. " + "Alpha beta gamma delta. " * 5
    b = (
        "Each value in Rust has an owner, the book said, then it moved on to borrowing and "
        "references and slices and lifetimes and traits and generics and closures."
    )
    assert collapse_duplicates(["a", "b"], {"a": a, "b": b}) == {"a": [], "b": []}


def test_rank_order_is_kept_and_ids_without_text_stand_alone() -> None:
    groups = collapse_duplicates(["x", "y", "z"], {"y": "short text", "z": "short text"})
    assert list(groups) == ["x", "y"] and groups["y"] == ["z"]
