"""Translations of a page on the real stack: the question's language ranks first."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragtui.core.engine import create_engine

pytestmark = pytest.mark.slow

PAGES = {
    "pages/git-push.md": (
        "# git push\n\n> Push commits to the server you cloned from.\n\n"
        "- Send the local changes you committed to the server:\n\n`git push`\n"
    ),
    "pages.de/git-push.md": (
        "# git push\n\n> Lade Commits in ein Remote-Repository hoch.\n\n"
        "- Lade den aktuellen Branch in das Remote-Repository (Upstream-Branch) hoch:\n\n"
        "`git push --set-upstream origin main`\n"
    ),
    "pages/git-pull.md": (
        "# git pull\n\n> Fetch a branch from a remote repository and merge it.\n\n"
        "- Download changes from the default remote repository and merge them:\n\n`git pull`\n"
    ),
}


def test_a_question_gets_the_page_in_its_own_language_before_a_translation(
    tmp_path: Path,
) -> None:
    docs = tmp_path / "tldr"
    for name, text in PAGES.items():
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text(text, encoding="utf-8")
    engine = create_engine()
    engine.add_folder(docs)
    engine.index()
    asked = "How do I push the current branch to the remote repository upstream?"
    english = [h.path for h in engine.search(asked, k=3).hits]
    assert english[-1].endswith("pages.de/git-push.md"), "it matches more words, yet comes last"
    assert all("/pages/" in path for path in english[:-1])
    german = engine.search("Wie lade ich den aktuellen Branch in ein Repository hoch?", k=3)
    assert german.hits[0].path.endswith("pages.de/git-push.md")
    engine.close()
