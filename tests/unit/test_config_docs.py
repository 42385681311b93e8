"""The config reference is generated from the pydantic models, so every key is documented."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from ragtui.cli import config_docs
from ragtui.config import Settings


def test_every_setting_has_a_description() -> None:
    for section, field in Settings.model_fields.items():
        model = field.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        assert (model.__doc__ or "").strip(), f"[{section}] has no docstring"
        for key, sub in model.model_fields.items():
            assert (sub.description or "").strip(), f"{section}.{key} has no description"


def test_help_config_lists_every_key_with_type_default_and_env() -> None:
    text = config_docs.render_text("config")
    for section in config_docs.sections():
        assert f"[{section.name}]" in text
        for key in section.keys:
            assert f"{key.key} = {key.default}" in text
            assert key.env in text and key.description.split()[0] in text
    assert "max_tokens = 256" in text and "integer ≥ 16" in text
    assert 'one of "hybrid", "dense", "bm25"' in text


def test_one_key_or_section() -> None:
    text = config_docs.render_text("llm.n_ctx")
    assert "n_ctx = 4096" in text and "RAGTUI_LLM__N_CTX" in text and "temperature" not in text
    assert "temperature" in config_docs.render_text("llm")
    with pytest.raises(KeyError):
        config_docs.render_text("llm.nope")
    markdown = config_docs.render_markdown()
    assert "| `n_ctx` | integer ≥ 512 | `4096` |" in markdown


def test_help_ingest_lists_every_file_type_read() -> None:
    from ragtui.core.ingest.loaders import SUPPORTED_SUFFIXES

    text = config_docs.render_text("ingest")
    assert "Files read (anything else is skipped):" in text
    listed = set(text.replace(":", " ").split())
    assert listed >= SUPPORTED_SUFFIXES, SUPPORTED_SUFFIXES - listed
    assert ".ipynb: Jupyter notebooks, by cell" in text and ".srt .vtt: subtitles" in text
    assert "- .epub: EPUB e-books" in config_docs.render_markdown()


def test_llm_routes_are_documented_as_an_array_of_tables() -> None:
    text = config_docs.render_text("llm.routes")
    assert "[[llm.routes]]" in text and "name = required" in text
    assert "context_tokens >= 400" in text and "timeout_s = unset" in text
    assert "[[llm.routes]]" in config_docs.render_text("llm")
    assert "when = " in config_docs.render_text("llm.routes.when")
    assert "type: list of tables · env: RAGTUI_LLM__ROUTES" in config_docs.render_text("llm")
    assert "## [[llm.routes]]" in config_docs.render_markdown()
    assert "llm.routes" in config_docs.topics()
