"""Sizes and durations as people read them, one convention for the CLI, the app and the
core's messages: binary units with IEC names (``512 B``, ``1.2 MiB``) and milliseconds
up to a second (``0.4 ms``, ``812 ms``, ``3.41 s``).

It sits beside :mod:`ragtui.paths`, outside the core, so both shells and the core can use
it without the shells reaching into the core's internals.
"""

from __future__ import annotations

_BINARY_UNITS = ("KiB", "MiB", "GiB", "TiB")


def format_bytes(count: float) -> str:
    """``count`` bytes: ``512 B``, ``1.2 KiB``, ``3.4 MiB`` … ``TiB``."""
    value, unit = float(count), "B"
    for bigger in _BINARY_UNITS:
        if abs(round(value, 1)) < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:.0f} B" if unit == "B" else f"{value:.1f} {unit}"


def format_ms(ms: float) -> str:
    """A duration given in milliseconds: ``0.4 ms``, ``812 ms``, ``3.41 s``."""
    if ms >= 1000:
        return f"{ms / 1000:.2f} s"
    if ms >= 10:
        return f"{ms:.0f} ms"
    return f"{ms:.1f} ms"
