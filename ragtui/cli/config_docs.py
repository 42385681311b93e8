"""Reference documentation of ``config.toml``, generated from the pydantic models in
:mod:`ragtui.config` so it cannot drift from the code (``ragtui help config``)."""

from __future__ import annotations

import dataclasses
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
    repeated: bool = False  # an array of tables: [[section.key]], one per item

    @property
    def header(self) -> str:
        """``[section]``, or ``[[section.key]]`` for an array of tables."""
        return f"[[{self.name}]]" if self.repeated else f"[{self.name}]"


def sections() -> list[SectionDoc]:
    """Every section of :class:`Settings` with its keys, in declaration order; a key that
    holds a list of tables (``llm.routes``) follows its section as one of its own."""
    out = []
    for name, field in Settings.model_fields.items():
        model = field.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel), name
        notes = _formats() if name == "ingest" else ()
        out.append(_section(name, model, f"RAGTUI_{name.upper()}__", notes))
        for key, f in model.model_fields.items():
            item = _table_item(f.annotation)
            if item is not None:
                out.append(_section(f"{name}.{key}", item, None, repeated=True))
    return out


def _section(
    name: str,
    model: type[BaseModel],
    env_prefix: str | None,
    notes: tuple[str, ...] = (),
    repeated: bool = False,
) -> SectionDoc:
    keys = tuple(
        KeyDoc(
            name,
            key,
            type_name(f),
            default_text(f),
            f.description or "",
            f"{env_prefix}{key.upper()}" if env_prefix else "",
        )
        for key, f in model.model_fields.items()
    )
    description = " ".join((model.__doc__ or "").split())
    return SectionDoc(name, description, keys, notes, repeated)


def _table_item(annotation: Any) -> type[BaseModel] | None:
    """The model of a ``list[Model]`` annotation (an array of tables), else None."""
    if typing.get_origin(annotation) is not list:
        return None
    (item,) = typing.get_args(annotation) or (None,)
    return item if isinstance(item, type) and issubclass(item, BaseModel) else None


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
        if _table_item(annotation) is not None:
            return "list of tables"
        (item,) = typing.get_args(annotation) or (Any,)
        return f"list of {_annotation(item)}s"
    names = {str: "string", int: "integer", float: "number", bool: "boolean", Path: "path"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def default_text(field: FieldInfo) -> str:
    """The default as it would be written in TOML (``unset`` for None)."""
    if field.is_required():
        return "required"
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
    elif any(s.name == topic for s in all_sections):  # a section with its tables (llm.routes)
        chosen = [s for s in all_sections if s.name == topic or s.name.startswith(topic + ".")]
    else:
        section_name, _, key = topic.rpartition(".")
        chosen = [s for s in all_sections if s.name == section_name]
        if chosen and key:
            keys = tuple(k for k in chosen[0].keys if k.key == key)
            chosen = [dataclasses.replace(chosen[0], keys=keys)] if keys else []
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
        lines.append(section.header)
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
            env = f" · env: {k.env}" if k.env else ""
            lines.append(f"{_INDENT * 2}type: {k.type}{env}")
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
            f"## {section.header}",
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
            env = f"`{k.env}`" if k.env else "–"
            lines.append(f"| `{k.key}` | {k.type} | `{k.default}` | {k.description} | {env} |")
        lines.append("")
    return "\n".join(lines)


def _wrap(text: str, width: int, indent: str, hanging: str | None = None) -> list[str]:
    more = indent if hanging is None else hanging
    return textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=more) or [
        indent.rstrip()
    ]
