"""Follow-up rewriting by the local model (``retrieval.followups = "condense"``): the
question and the last turns go through ``condense@1``, and the model writes the question
so that it stands alone. :func:`ragtui.core.followup.rewrite` checks what comes back and
carries terms over instead when it is degenerate."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ragtui.core import prompts
from ragtui.core.followup import Condense, Exchange
from ragtui.core.generate import complete

if TYPE_CHECKING:
    from ragtui.core.generate import Backend

TURNS = 2  # earlier turns the model sees
_ANSWER_CHARS = 200  # of each earlier answer
_MAX_TOKENS = 40
_WRITE_S = 30.0


def model_condenser(writer: Callable[[], Backend]) -> Condense:
    """A :data:`~ragtui.core.followup.Condense` that asks the model from ``writer``."""

    def condense(question: str, history: Sequence[Exchange]) -> str:
        template = prompts.load("condense")
        turns = "".join(
            template.render_passage(0, " ".join(t.question.split()), t.answer[:_ANSWER_CHARS])
            for t in history[-TURNS:]
        )
        rest = turns + template.render_suffix(question)
        return complete(writer, template.prefix, rest, template.stop, _MAX_TOKENS, _WRITE_S)

    return condense
