"""Reference documentation of ``config.toml``, generated from the pydantic models in
:mod:`ragtui.config` so it cannot drift from the code (``ragtui help config``)."""

from __future__ import annotations

import json
import textwrap
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import to_jsonable_python

from ragtui import paths
from ragtui.config import Settings

_INDENT = "    "


@dataclass(frozen=True)
class KeyDoc:
    """One ``config.toml`` key."""

    section: str
    key: str
    type: str
    default: str
    description: str
    env: str

    @property
    def dotted(self) -> str:
        """``section.key``."""
        return f"{self.section}.{self.key}"


@dataclass(frozen=True)
class SectionDoc:
    """One ``[section]`` and its keys."""

    name: str
    description: str
    keys: tuple[KeyDoc, ...]
    notes: tuple[str, ...] = ()  # a list shown after the description


def sections() -> list[SectionDoc]:
    """Every section of :class:`Settings` with its keys, in declaration order."""
    out = []
    for name, field in Settings.model_fields.items():
        model = field.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel), name
        keys = tuple(
            KeyDoc(
                name,
                key,
                type_name(f),
                default_text(f),
                f.description or "",
                f"RAGTUI_{name.upper()}__{key.upper()}",
            )
            for key, f in model.model_fields.items()
        )
        notes = _formats() if name == "ingest" else ()
        out.append(SectionDoc(name, " ".join((model.__doc__ or "").split()), keys, notes))
    return out


def _formats() -> tuple[str, ...]:
    """The file types ragtui reads, from the loaders themselves so the list stays true."""
    from ragtui.core.ingest.loaders import formats

    items = tuple(f"{' '.join(suffixes)}: {words}" for words, suffixes in formats())
    return ("Files read (anything else is skipped):", *items)


def type_name(field: FieldInfo) -> str:
    """A reader's name for the field's type, with its bounds (``integer ≥ 16``)."""
    text = _annotation(field.annotation)
    bounds = []
    for meta in field.metadata:
        for attr, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            if isinstance(meta, getattr(annotated_types, attr.capitalize())):
                bounds.append(f"{sign} {getattr(meta, attr)}")
    return text + (" " + ", ".join(bounds) if bounds else "")


def _annotation(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return "one of " + ", ".join(json.dumps(a) for a in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        inner = " or ".join(_annotation(a) for a in args)
        return f"{inner} (optional)" if len(args) < len(typing.get_args(annotation)) else inner
    if origin is list:
        (item,) = typing.get_args(annotation) or (Any,)
        return f"list of {_annotation(item)}s"
    names = {str: "string", int: "integer", float: "number", bool: "boolean", Path: "path"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def default_text(field: FieldInfo) -> str:
    """The default as it would be written in TOML (``unset`` for None)."""
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Path):
        value = str(value)
    return json.dumps(to_jsonable_python(value), ensure_ascii=False)


def topics() -> dict[str, str]:
    """Help topics and a one-line summary of each."""
    found = {"config": "every config.toml key: type, default, description, env var"}
    for section in sections():
        found[section.name] = f"the [{section.name}] keys: {section.description}"
    return found


def render_text(topic: str = "config", width: int = 88) -> str:
    """Man-page-like text for ``config``, a section name or one ``section.key``."""
    all_sections = sections()
    if topic == "config":
        chosen = all_sections
    else:
        section_name, _, key = topic.partition(".")
        chosen = [s for s in all_sections if s.name == section_name]
        if chosen and key:
            keys = tuple(k for k in chosen[0].keys if k.key == key)
            chosen = (
                [SectionDoc(chosen[0].name, chosen[0].description, keys, chosen[0].notes)]
                if keys
                else []
            )
        if not chosen:
            raise KeyError(topic)
    lines = [
        "CONFIG.TOML(5)" + "ragtui settings".rjust(width - 14),
        "",
        "FILE",
        f"{_INDENT}{paths.config_file()}",
        f"{_INDENT}(moved by --home DIR or RAGTUI_HOME to DIR/config/config.toml)",
        "",
        "DESCRIPTION",
        *_wrap(
            "TOML with one table per section. Every key can also be set by an environment "
            "variable RAGTUI_SECTION__KEY (it wins over the file). Unknown keys are refused. "
            "`ragtui models use NAME` edits the model keys for you.",
            width,
            _INDENT,
        ),
        "",
    ]
    for section in chosen:
        lines.append(f"[{section.name}]")
        lines.extend(_wrap(section.description, width, _INDENT))
        lines.append("")
        if section.notes:
            lines.extend(_wrap(section.notes[0], width, _INDENT))
            for item in section.notes[1:]:
                lines.extend(_wrap(item, width, _INDENT * 2, _INDENT * 3))
            lines.append("")
        for k in section.keys:
            lines.append(f"{_INDENT}{k.key} = {k.default}")
            lines.extend(_wrap(k.description, width, _INDENT * 2))
            lines.append(f"{_INDENT * 2}type: {k.type} · env: {k.env}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_markdown() -> str:
    """The same reference as Markdown (for a docs page)."""
    lines = [
        "# config.toml reference",
        "",
        "Generated from `ragtui/config.py` by `ragtui help config --markdown`.",
        "",
    ]
    for section in sections():
        lines += [
            f"## [{section.name}]",
            "",
            section.description,
            "",
            *(
                [section.notes[0], "", *(f"- {n}" for n in section.notes[1:]), ""]
                if section.notes
                else []
            ),
            "| key | type | default | description | env |",
            "| --- | --- | --- | --- | --- |",
        ]
        for k in section.keys:
            lines.append(f"| `{k.key}` | {k.type} | `{k.default}` | {k.description} | `{k.env}` |")
        lines.append("")
    return "\n".join(lines)


def _wrap(text: str, width: int, indent: str, hanging: str | None = None) -> list[str]:
    more = indent if hanging is None else hanging
    return textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=more) or [
        indent.rstrip()
    ]
