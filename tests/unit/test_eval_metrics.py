"""Eval metric functions on hand-checked examples, and the compare gate on known results."""

from __future__ import annotations

import pytest

from ragtui.cli.evals import parse_sets
from ragtui.core.eval import metrics
from ragtui.core.eval.compare import compare
from ragtui.core.eval.runner import aggregate
from ragtui.core.reports import RunRef


def test_exact_match_and_token_f1_follow_squad() -> None:
    assert metrics.exact_match("The Denver Broncos!", ["Denver Broncos"]) == 1.0
    assert metrics.exact_match("Broncos", ["Denver Broncos"]) == 0.0
    # "denver broncos won" vs "denver broncos": precision 2/3, recall 1 → F1 0.8
    assert metrics.token_f1("Denver Broncos won", ["Denver Broncos"]) == pytest.approx(0.8)
    assert metrics.token_f1("Carolina", ["Denver Broncos", "Broncos"]) == 0.0
    assert metrics.token_f1("the Broncos", ["Carolina", "Broncos"]) == 1.0


def test_context_precision_and_recall() -> None:
    contexts = ["/docs/a.md", "/docs/b.md", "/docs/c.md"]
    # relevant at ranks 2 and 3: (1/2 + 2/3) / 2
    assert metrics.context_precision(contexts, ["b.md", "c.md"]) == pytest.approx(7 / 12)
    assert metrics.context_precision(contexts, ["a.md"]) == 1.0
    assert metrics.context_recall(contexts, ["a.md", "z.md"]) == 0.5
    assert metrics.context_recall(contexts, []) == 0.0
    assert metrics.source_matches("/docs/sub/a.md", "sub/a.md")
    assert not metrics.source_matches("/docs/ba.md", "a.md")


def test_bootstrap_interval_holds_the_mean() -> None:
    values = [0.0, 1.0] * 50
    low, high = metrics.bootstrap_ci(values)
    assert low < 0.5 < high and high - low < 0.25
    assert metrics.bootstrap_ci([0.7] * 10) == pytest.approx((0.7, 0.7))


def test_paired_bootstrap_separates_a_real_drop_from_noise() -> None:
    a = [1.0] * 40
    b = [1.0] * 30 + [0.0] * 10
    delta, low, high, p = metrics.paired_bootstrap(a, b)
    assert low <= delta <= high
    assert delta == pytest.approx(-0.25) and high < 0 and p < 0.01
    same = metrics.paired_bootstrap(a, a)
    assert same == (0.0, 0.0, 0.0, 1.0)
    mixed = metrics.paired_bootstrap([1.0, 0.0] * 20, [0.0, 1.0] * 20)
    assert mixed[3] > 0.5


def _cases(values: list[float]) -> list[dict[str, object]]:
    return [
        {"case_id": f"c{i}", "question": f"q{i}", "metrics": {"ndcg@10": v, "latency_ms": 10.0}}
        for i, v in enumerate(values)
    ]


def test_compare_flags_significant_drops_only() -> None:
    run_a = RunRef(run_id="a", name="a")
    run_b = RunRef(run_id="b", name="b")
    base = _cases([1.0] * 40)
    worse = _cases([1.0] * 25 + [0.0] * 15)
    report = compare(run_a, base, run_b, worse, tolerance=0.02)
    assert report.regressions == ["ndcg@10"]
    assert report.changed_cases[0].deltas == {"ndcg@10": -1.0}
    assert compare(run_a, base, run_b, base).regressions == []
    slightly = _cases([1.0] * 39 + [0.0])  # −0.025, one case: not significant
    assert compare(run_a, base, run_b, slightly).regressions == []


def test_aggregate_skips_metrics_a_case_does_not_have() -> None:
    cases = [
        {"metrics": {"token_f1": 1.0, "abstention_accuracy": None}},
        {"metrics": {"token_f1": 0.5}},
    ]
    figures = aggregate(cases)
    assert figures["token_f1"]["mean"] == 0.75 and figures["token_f1"]["n"] == 2
    assert "abstention_accuracy" not in figures


def test_set_options_become_nested_settings() -> None:
    assert parse_sets(["retrieval.mode=bm25", "answer.k=1", "prompt=qa@2"]) == {
        "retrieval": {"mode": "bm25"},
        "answer": {"k": 1, "prompt": "qa", "prompt_version": 2},
    }


def test_facts_may_list_equivalent_phrasings() -> None:
    from ragtui.core.eval.metrics import has_facts

    assert has_facts("By default, every 15 minutes.", [["900", "15 minutes"]])
    assert has_facts("Every 900 s at 0.35", ["0.35", ["900", "15 minutes"]])
    assert not has_facts("Every 10 minutes.", [["900", "15 minutes"]])
    assert not has_facts("Every 900 s", ["900", "0.35"])
