"""One convention for sizes and durations: binary units with IEC names, ms up to a second."""

from __future__ import annotations

import pytest

from ragtui.units import format_bytes, format_ms


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        (0, "0 B"),
        (512, "512 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (1024 * 1024 - 1, "1.0 MiB"),
        (64.3 * 2**20, "64.3 MiB"),
        (5 * 2**30, "5.0 GiB"),
        (3 * 2**40, "3.0 TiB"),
        (2**50, "1024.0 TiB"),
    ],
)
def test_bytes(count: float, shown: str) -> None:
    assert format_bytes(count) == shown


@pytest.mark.parametrize(
    ("ms", "shown"),
    [
        (0.44, "0.4 ms"),
        (9.9, "9.9 ms"),
        (10, "10 ms"),
        (812.4, "812 ms"),
        (1000, "1.00 s"),
        (3412, "3.41 s"),
    ],
)
def test_durations(ms: float, shown: str) -> None:
    assert format_ms(ms) == shown
