"""Eval runs on real data: importers, retrieval runs, the compare gate, resume, a real
answer run with the judge, and the adversarial suite."""

from __future__ import annotations

import json
import random
import shutil
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ragtui.cli import app
from ragtui.core.engine import create_engine
from ragtui.core.errors import PathProblem
from ragtui.core.eval.adversarial import _defended
from ragtui.core.eval.dataset import EvalCase, read_cases, write_cases
from ragtui.core.eval.importers import import_dataset
from ragtui.core.models import Answer
from tests.conftest import DEMO_CORPUS, REPO

DATA = REPO.parent / "shared" / "data"
runner = CliRunner()


def _cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def shared() -> Path:
    if not DATA.is_dir():
        pytest.skip(f"{DATA} is not present")
    return DATA


def test_importers_on_the_shared_data(shared: Path, tmp_path: Path) -> None:
    assert import_dataset("beir", shared / "scifact/beir", tmp_path / "sf.jsonl", limit=10) == 10
    scifact = read_cases(tmp_path / "sf.jsonl")
    assert all(c.expected_sources and c.corpus for c in scifact)
    assert scifact[0].id.startswith("scifact-")
    assert (
        import_dataset(
            "squad", shared / "squad-v1.1-dev/dev-v1.1.json", tmp_path / "sq.jsonl", limit=10
        )
        == 10
    )
    squad = read_cases(tmp_path / "sq.jsonl")
    corpus = (tmp_path / "sq.corpus" / "corpus.jsonl").read_text().splitlines()
    assert len(corpus) == 2067 and all(c.expected_answer for c in squad)
    ids = {json.loads(line)["_id"] for line in corpus}
    assert all(c.expected_sources[0] in ids for c in squad)
    assert import_dataset("clapnq", shared / "clapnq", tmp_path / "cl.jsonl", limit=5) == 10
    clap = read_cases(tmp_path / "cl.jsonl")
    assert sum(c.answerable for c in clap) == 5
    assert all(not c.expected_sources for c in clap if not c.answerable)
    with pytest.raises(PathProblem, match="beir, squad, clapnq"):
        import_dataset("msmarco", shared, tmp_path / "x.jsonl")


def test_a_bad_dataset_line_is_one_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "question": "ok"}\n{"question": "no id"}\n')
    with pytest.raises(PathProblem, match="line 2"):
        read_cases(bad)


def _small_scifact(shared: Path, target: Path, queries: int = 40, extra: int = 300) -> Path:
    """A real BEIR folder cut from SciFact: judged test queries, their documents and
    distractors."""
    source = shared / "scifact/beir"
    qrels = [line.split("\t") for line in (source / "qrels/test.tsv").read_text().splitlines()[1:]]
    chosen = sorted({q for q, _, _ in qrels})[:queries]
    relevant = {d for q, d, _ in qrels if q in chosen}
    docs = [json.loads(line) for line in (source / "corpus.jsonl").open()]
    others = [d for d in docs if d["_id"] not in relevant]
    keep = [d for d in docs if d["_id"] in relevant] + random.Random(3).sample(others, extra)
    (target / "qrels").mkdir(parents=True)
    (target / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in keep))
    queries_by_id = {json.loads(line)["_id"]: line for line in (source / "queries.jsonl").open()}
    (target / "queries.jsonl").write_text("".join(queries_by_id[q] for q in chosen))
    (target / "qrels/test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n"
        + "".join("\t".join(r) + "\n" for r in qrels if r[0] in chosen)
    )
    return target


def test_compare_gates_a_degraded_config_and_not_a_rerun(shared: Path, tmp_path: Path) -> None:
    folder = _small_scifact(shared, tmp_path / "scifact-small")
    dataset = tmp_path / "cases.jsonl"
    assert _cli("eval", "import", "beir", str(folder), "--out", str(dataset))[0] == 0
    for name, extra in (
        ("base", []),
        ("again", []),
        (
            "degraded",
            ["--set", "retrieval.mode=bm25", "--set", "retrieval.k=1", "--set", "answer.k=1"],
        ),
    ):
        if name == "again":  # the human-readable report of the same run
            code, out, err = _cli("eval", "run", str(dataset), "--retrieval-only", "--name", name)
            assert code == 0, err
            assert "ndcg@10" in out and "95% [" in out
            continue
        code, out, err = _cli(
            "eval", "run", str(dataset), "--retrieval-only", "--name", name, "--json", *extra
        )
        assert code == 0, err
        result = json.loads(out)
        assert result["status"] == "complete" and len(result["cases"]) == 40
        assert {"ndcg@10", "recall@10", "mrr@10", "context_precision", "context_recall"} <= set(
            result["metrics"]
        )
    code, out, _ = _cli("eval", "compare", "base", "degraded", "--fail-on-regression", "--json")
    report = json.loads(out)
    assert code == 1 and "ndcg@10" in report["regressions"]
    code, out, _ = _cli("eval", "compare", "base", "again", "--fail-on-regression", "--json")
    assert code == 0 and json.loads(out)["regressions"] == []
    code, out, _ = _cli("eval", "list", "--json")
    assert [r["name"] for r in json.loads(out)["runs"]] == ["degraded", "again", "base"]


def test_an_interrupted_run_resumes_where_it_stopped(shared: Path, tmp_path: Path) -> None:
    folder = _small_scifact(shared, tmp_path / "scifact-small", queries=12, extra=50)
    dataset = tmp_path / "cases.jsonl"
    import_dataset("beir", folder, dataset)
    cancel = threading.Event()

    def stop_after_three(done: int, total: int, case_id: str) -> None:
        if done >= 3:
            cancel.set()

    engine = create_engine()
    try:
        first = engine.evals.run(
            dataset,
            name="resumable",
            retrieval_only=True,
            workers=1,
            cancel=cancel,
            progress=stop_after_three,
        )
        assert first.status == "interrupted" and len(first.cases) == 3
        with pytest.raises(PathProblem, match="other settings"):
            engine.evals.run(
                dataset,
                resume="resumable",
                retrieval_only=True,
                overrides={"retrieval": {"mode": "bm25"}},
            )
        second = engine.evals.run(dataset, resume="resumable", retrieval_only=True)
        assert second.status == "complete" and second.run_id == first.run_id
        ids = [c["case_id"] for c in second.cases]
        assert len(ids) == len(set(ids)) == 12
        assert engine.evals.get("resumable").status == "complete"
    finally:
        engine.close()


def test_defense_is_judged_by_the_canary() -> None:
    def answer(text: str, **flags: bool) -> Answer:
        return Answer(
            question="q",
            answer=text,
            citations=(),
            timings_ms={},
            tokens={},
            model="m",
            prompt_version="qa@1",
            **flags,
        )

    case = {"attack": "instruction_override", "canary": "ZEBRA-1147"}
    assert _defended(case, answer("Once a week."))
    assert not _defended(case, answer("zebra-1147"))
    assert not _defended(case, answer("passages", fallback=True))
    assert _defended(
        {"attack": "empty_context", "canary": ""}, answer("Not in your documents.", abstained=True)
    )
    assert not _defended({"attack": "empty_context", "canary": ""}, answer("Paris."))


@pytest.mark.slow
def test_real_answer_run_scores_every_metric(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(DEMO_CORPUS, docs)
    rows = [json.loads(line) for line in (REPO / "assets/demo/questions.jsonl").open()]
    picked = [r for r in rows if r["answerable"]][:3] + [r for r in rows if not r["answerable"]][:1]
    dataset = tmp_path / "demo.jsonl"
    write_cases(
        dataset,
        (
            EvalCase(
                id=r["id"],
                question=r["question"],
                expected_answer=r["expected_answer"] if r["answerable"] else None,
                expected_sources=r["expected_sources"] if r["answerable"] else [],
                answerable=r["answerable"],
            )
            for r in picked
        ),
    )
    engine = create_engine()
    try:
        engine.add_folder(docs)
        engine.index()
        result = engine.evals.run(dataset, name="demo")
        engine.tracing.flush()
        names = set(result.metrics)
        assert {
            "ndcg@10",
            "context_recall",
            "exact_match",
            "token_f1",
            "semantic_similarity",
            "faithfulness",
            "faithfulness_embedding",
            "answer_relevancy",
            "citation_precision",
            "abstention_accuracy",
            "latency_ms",
            "prompt_tokens",
        } <= names
        assert result.metrics["context_recall"]["mean"] > 0.5
        assert 0 <= result.timing["overhead_share"] < 0.5
        for case in result.cases:
            trace = engine.traces.get(case["trace_id"])
            assert trace.name == "eval.case"
            assert "ask" in {s.name for s in trace.spans}
    finally:
        engine.close()
    from ragtui.config import load_settings
    from ragtui.core import model_store

    entry = model_store.llm_entry("gemma-3-270m-q4_k_m")
    assert entry is not None
    gguf = model_store.assemble_llm(entry)
    judged = create_engine(load_settings(eval={"judge_model_path": str(gguf)}))
    try:
        again = judged.evals.run(dataset, name="own-judge", limit=1)
        assert judged.evals.get("own-judge").config["judge_model"] == str(gguf)
        assert "faithfulness" in again.metrics
    finally:
        judged.close()


@pytest.mark.slow
def test_adversarial_suite_reports_a_rate_per_attack() -> None:
    code, out, err = _cli("eval", "adversarial", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert set(report["by_attack"]) == {
        "instruction_override",
        "fake_system_tags",
        "exfiltration",
        "hidden_text",
        "context_overflow",
        "empty_context",
    }
    assert report["defense_rate"] == pytest.approx(  # the report rounds to 4 places
        sum(c["defended"] for c in report["cases"]) / len(report["cases"]), abs=5e-5
    )
    overflow = next(c for c in report["cases"] if c["attack"] == "context_overflow")
    assert not overflow["fallback"]


def test_degenerate_generated_questions_are_dropped() -> None:
    from ragtui.core.eval.questions import degenerate

    passage = "Change the engine oil every 7,500 miles; the timing belt is due at 45,000 miles."
    assert degenerate("When is the timing belt due?", passage, set()) is None
    assert degenerate("Timing belt", passage, set()) == "not a question"
    assert degenerate("Why?", passage, set()) == "too short or too long"
    assert (
        degenerate("Who painted the Sistine Chapel ceiling?", passage, set())
        == "shares no words with its passage"
    )
    assert (
        degenerate("When is the timing belt due?", passage, {"when is the timing belt due"})
        == "duplicate"
    )


@pytest.mark.slow
def test_generate_cases_from_the_users_index(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(DEMO_CORPUS, docs)
    assert _cli("add", str(docs))[0] == 0 and _cli("index")[0] == 0
    out = tmp_path / "generated.jsonl"
    code, stdout, err = _cli("eval", "generate", "--from-index", "3", "--out", str(out), "--json")
    assert code == 0, err
    report = json.loads(stdout)
    cases = read_cases(out)
    assert report["written"] == len(cases) >= 1
    for case in cases:
        assert case.question.endswith("?") and Path(case.expected_sources[0]).is_file()
