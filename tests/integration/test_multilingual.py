"""German and Chinese tldr pages stay searchable (real files read in place, keyword phase)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragtui.core.engine import create_engine


@pytest.fixture
def tldr(shared_data: Path) -> Path:
    root = shared_data / "personal-docs" / "github" / "tldr-pages"
    if not root.is_dir():
        pytest.skip("tldr pages not in the shared data")
    return root


def test_chinese_pages_found_by_chinese_words(tldr: Path) -> None:
    engine = create_engine()
    report = engine.index([tldr / "pages.zh" / "common"], embed=False)
    assert report.failed == 0 and report.added > 900
    hits = engine.search("归档实用程序", mode="bm25", k=5).hits
    assert hits and hits[0].path.endswith("/tar.md")
    assert "归档" in hits[0].text
    partial = engine.search("压缩文件", mode="bm25", k=10).hits
    assert partial, "a two-word Chinese query matches inside longer runs"


def test_german_pages_found_by_stemmed_words(tldr: Path) -> None:
    engine = create_engine()
    engine.index([tldr / "pages.de" / "common"], embed=False)
    hits = engine.search("Archivierungstool", mode="bm25", k=5).hits
    assert any(h.path.endswith("/tar.md") for h in hits)
    umlaut = engine.search("Häufig Komprimierung", mode="bm25", k=10).hits
    assert umlaut and all("pages.de" in h.path for h in umlaut)
