"""Telling a question's language from a page's, and ranking pages in its language first."""

from __future__ import annotations

from ragtui.core.language import guess, same_language_first

ENGLISH = "How do I push the current branch to a remote repository?"
GERMAN = "Wie lade ich den aktuellen Branch in ein entferntes Repository hoch?"
GERMAN_PAGE = (
    "# git push\n\n> Lade Commits in ein Remote-Repository hoch.\n\n"
    "- Sende lokale Änderungen des aktuellen Branches zu seinem entfernten Repository:\n\n"
    "`git push`"
)
ENGLISH_PAGE = (
    "# git push\n\n> Push commits to a remote repository.\n\n"
    "- Send local changes in the current branch to its default remote counterpart:\n\n"
    "`git push`"
)


def test_the_language_of_questions_and_pages_is_told_from_common_words() -> None:
    assert guess(ENGLISH) == "en" and guess(ENGLISH_PAGE) == "en"
    assert guess(GERMAN) == "de" and guess(GERMAN_PAGE) == "de"
    assert guess("推送提交到远程仓库。") == "zh"
    assert guess("Comment puis-je envoyer la branche vers le dépôt distant ?") == "fr"


def test_too_little_to_tell_is_no_language() -> None:
    assert guess("git push --force-with-lease") is None
    assert guess("Bierce's cynical definition of diplomacy?") is None
    assert guess("") is None


def test_pages_in_another_language_than_the_question_come_after_the_others() -> None:
    ranked = [("de", GERMAN_PAGE), ("code", "`git push`"), ("en", ENGLISH_PAGE)]
    assert [n for n, _ in same_language_first(ENGLISH, ranked, lambda r: r[1])] == [
        "code",
        "en",
        "de",
    ]
    assert [n for n, _ in same_language_first(GERMAN, ranked, lambda r: r[1])] == [
        "de",
        "code",
        "en",
    ]
    unknown = "git push --force?"
    assert same_language_first(unknown, ranked, lambda r: r[1]) == ranked
