"""A cancel raised from the token callback stops generation as a cancel, not a failure."""

from __future__ import annotations

import time

import pytest

from ragtui.core.errors import Cancelled
from ragtui.core.generate import _consume


def test_a_cancel_raised_by_on_token_is_not_a_model_failure() -> None:
    def stop(piece: str) -> None:
        raise Cancelled("The answer was stopped.")

    with pytest.raises(Cancelled):
        _consume(iter(["a", "b"]), time.perf_counter(), stop, time.perf_counter() + 60, 1, 0, False)
