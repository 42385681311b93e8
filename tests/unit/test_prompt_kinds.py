"""Answer kinds pick a prompt's worked example; templates with a pool render one."""

from __future__ import annotations

import pytest

from ragtui.core import prompts
from ragtui.core.prompts.kinds import KINDS, answer_kind


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Is there a tool that formats code?", "yes_no"),
        ("I published a broken crate. Can I stop people depending on it?", "yes_no"),
        ("In Postgres, is char(n) faster than varchar?", "yes_no"),
        ("How many legs does a spider have?", "number"),
        ("How many, if any, are left?", "number"),
        ("What was the number of tackles he made?", "number"),
        ("What's the command to update the toolchain?", "command"),
        ("When I'm done bisecting, how do I get back to my branch?", "command"),
        ("When was the bridge opened?", "date"),
        ("In what year did the war end?", "date"),
        ("Who wrote The Complete Angler?", "name"),
        ("What was the real name of the author?", "name"),
        ("What does the A in Arc stand for?", "other"),
        ("Wie entferne ich den alten Eintrag?", "other"),
    ],
)
def test_questions_get_the_kind_of_answer_they_ask_for(question: str, kind: str) -> None:
    assert answer_kind(question) == kind


def test_a_pool_template_puts_the_example_for_the_kind_in_its_fixed_prefix() -> None:
    template = prompts.load("qa-kinds", 1)
    assert {kind for kind, _ in template.examples} == set(KINDS)
    prefixes = {
        template.prefix_for(q) for q in ("Who serviced it?", "How many are there?", "Who made it?")
    }
    assert len(prefixes) == 2, "one fixed prefix per kind, the same for questions of a kind"
    assert all("{example}" not in p and "Question:" in p for p in prefixes)
    assert prompts.load("qa", 1).prefix_for("Who made it?") == prompts.load("qa", 1).prefix
