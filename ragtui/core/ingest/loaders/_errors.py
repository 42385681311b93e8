"""Turning library exceptions into the short detail shown inside a LoaderError."""

from __future__ import annotations


def detail(exc: BaseException, limit: int = 120) -> str:
    """First line of the exception message (or its type name), without a final period."""
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    text = text.strip()
    first = text.splitlines()[0].strip().rstrip(".") if text else type(exc).__name__
    if len(first) > limit:
        first = first[:limit].rsplit(" ", 1)[0] + "…"
    return first
