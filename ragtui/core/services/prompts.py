"""Prompt versions and their rollout (``ragtui prompts``): list them, figures of live
answers per version, and promote a candidate to the default or roll that back."""

from __future__ import annotations

import json
import time
from typing import Any

from ragtui.config import Settings
from ragtui.core import prompt_stats, prompts
from ragtui.core.errors import InvalidRequest, NotFound
from ragtui.core.reports import PromptChange, PromptInfo, PromptStats
from ragtui.core.stats import window_start
from ragtui.core.trace import Tracing
from ragtui.paths import DataLayout


class PromptService:
    """The prompt versions of one Engine's settings and the live answers its traces hold;
    ``layout`` keeps the history of promotions."""

    def __init__(self, settings: Settings, tracing: Tracing, layout: DataLayout) -> None:
        self.settings = settings
        self.tracing = tracing
        self.layout = layout

    @property
    def default(self) -> str:
        """The default answer prompt's id."""
        cfg = self.settings.answer
        return prompts.resolve(cfg.prompt, cfg.prompt_version)

    def listing(self) -> list[PromptInfo]:
        """Every answer-capable template version (helper prompts left out), bundled first."""
        helpers = {"condense", "hyde", "judge", "multiquery", "question"}
        candidates = self.settings.answer.prompt_candidates
        default = self.default
        rows = []
        for name, versions in sorted(prompts.files().items()):
            if name in helpers:
                continue
            for version in sorted(versions):
                template = prompts.load(name, version)
                role = (
                    "default"
                    if template.id == default
                    else "candidate"
                    if template.id in candidates
                    else ""
                )
                rows.append(
                    PromptInfo(
                        prompt=template.id,
                        origin=template.origin,
                        role=role,
                        share=candidates.get(template.id),
                        format=template.format,
                        path=str(versions[version]),
                    )
                )
        return sorted(rows, key=lambda r: (r.origin != "bundled", r.prompt))

    def stats(self, since: str = "7d", tolerance: float = 0.02) -> PromptStats:
        """Figures per version of the answers in the window, and each candidate against
        the default (unpaired bootstrap)."""
        rows = self.tracing.store.prompt_answers(window_start(since))
        return prompt_stats.compute(
            rows, self.default, self.settings.answer.prompt_candidates, since, tolerance
        )

    # promote and roll back ---------------------------------------------------------------
    def promote(self, candidate: str) -> PromptChange:
        """Make ``candidate`` the default in the config file (out of the candidates), and
        keep the default it replaces for :meth:`rollback`."""
        chosen = prompts.resolve(*prompts.parse_id(candidate))
        previous = self.default
        if chosen == previous:
            raise InvalidRequest(f"{chosen} is already the default prompt.")
        old = dict(self.settings.answer.prompt_candidates)
        left = {p: s for p, s in old.items() if p != chosen}
        config = self._write(chosen, left)
        history = self._history()
        history.append({"default": previous, "candidates": old, "promoted": chosen, "at": _now()})
        self._save(history)
        return PromptChange(default=chosen, previous=previous, candidates=left, config=str(config))

    def rollback(self) -> PromptChange:
        """Restore the default (and the candidates) of before the last promotion."""
        history = self._history()
        if not history:
            raise NotFound(
                "Nothing to roll back: no prompt was promoted (`ragtui prompts promote "
                "VERSION` keeps the default it replaces)."
            )
        last = history.pop()
        restored = prompts.resolve(*prompts.parse_id(last["default"]))
        candidates = {p: float(s) for p, s in last["candidates"].items()}
        current = self.default
        config = self._write(restored, candidates)
        self._save(history)
        return PromptChange(
            default=restored, previous=current, candidates=candidates, config=str(config)
        )

    def _write(self, default: str, candidates: dict[str, float]) -> Any:
        from ragtui.core.models_admin.switching import write_config

        name, version = prompts.parse_id(default)
        changed: dict[str, Any] = {"answer.prompt": name, "answer.prompt_version": version}
        removed: list[str] = []
        if candidates:
            changed["answer.prompt_candidates"] = candidates
        else:
            removed.append("answer.prompt_candidates")
        return write_config(changed, removed)

    def _history(self) -> list[dict[str, Any]]:
        path = self.layout.prompt_history
        if not path.is_file():
            return []
        found = json.loads(path.read_text(encoding="utf-8"))
        return found if isinstance(found, list) else []

    def _save(self, history: list[dict[str, Any]]) -> None:
        path = self.layout.prompt_history
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(path.name + ".tmp")
        staging.write_text(json.dumps(history, indent=1), encoding="utf-8")
        staging.replace(path)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
