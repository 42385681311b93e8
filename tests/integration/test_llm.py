"""Answers from the real default GGUF through llama.cpp (and llama.cpp's own HTTP server)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ragtui.config import load_settings
from ragtui.core import generate, giveway, prompts
from ragtui.core.context import pack, render
from ragtui.core.engine import Engine, create_engine
from ragtui.core.errors import Cancelled
from ragtui.core.eval.metrics import has_facts
from tests.conftest import DEMO_CORPUS, REPO

pytestmark = pytest.mark.slow
QUESTIONS = [json.loads(line) for line in (REPO / "assets/demo/questions.jsonl").open()]


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("llm-home")


@pytest.fixture
def engine(demo_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("RAGTUI_HOME", str(demo_home))
    eng = create_engine()
    if not eng.folders():
        docs = demo_home / "docs"
        shutil.copytree(DEMO_CORPUS, docs)
        eng.add_folder(docs)
        eng.index()
    yield eng
    eng.close()


def _correct(answer_text: str, cited: list[str], case: dict[str, object]) -> bool:
    sources = [str(s) for s in case["expected_sources"]]  # type: ignore[attr-defined]
    has_fact = has_facts(answer_text, case["expected_facts"])  # type: ignore[arg-type]
    has_source = any(p.endswith("/" + s) for p in cited for s in sources)
    return has_fact and has_source


def test_demo_questions_are_answered_with_their_source_and_the_rest_abstain(
    engine: Engine,
) -> None:
    right, wrong = [], []
    for case in QUESTIONS:
        answer = engine.ask(case["question"], use_cache=False)
        assert not answer.fallback, answer.error
        if not case["answerable"]:
            assert answer.abstained, (case["id"], answer.answer)
            continue
        cited = [c.path for c in answer.citations]
        (right if _correct(answer.answer, cited, case) else wrong).append(
            (case["id"], answer.answer)
        )
    assert not wrong, wrong


def test_token_budget_never_exceeded(engine: Engine) -> None:
    backend = engine.backend()
    template = prompts.load("qa")
    long_hits = list(engine.search("maintenance network recipes trip", k=20).hits) * 5
    packed = pack(long_hits, template, backend.count_tokens, 400)
    prefix, rest = render(template, packed, "What is in these notes?")
    assert packed.tokens <= 400 and packed.dropped
    assert (
        backend.count_tokens(prefix + rest)
        <= 400
        + backend.count_tokens(template.prefix + template.render_suffix("What is in these notes?"))
        + 8
    )


def test_prefix_state_reused_across_processes(engine: Engine) -> None:
    question = "How long does the banana bread need in the oven?"
    first = engine.ask(question, use_cache=False)
    generate._MODELS.clear()  # as if a new process started
    fresh = create_engine()
    backend = fresh.backend()
    template = prompts.load("qa")
    packed = pack(fresh.search(question, k=3).hits, template, backend.count_tokens, 900)
    prefix, rest = render(template, packed, question)
    result = backend.generate(
        prefix,
        rest,
        max_tokens=160,
        temperature=0.0,
        stop=template.stop,
        on_token=None,
        deadline=time.perf_counter() + 120,
    )
    assert result.prefix_reused, "the prefix state came from the disk cache"
    assert result.text.strip() == first.answer.split(" [")[0].strip() or "55" in result.text


def test_two_engines_answering_at_once_take_turns_on_the_shared_model(engine: Engine) -> None:
    """A continuous eval run's engine and the user's share the loaded model: decoding it
    in two threads at once crashed llama.cpp (GGML_ASSERT in get_rows, or SIGSEGV)."""
    other = create_engine()
    assert other.backend().llm() is engine.backend().llm()  # one model per process
    questions = [
        "How long does the banana bread need in the oven?",
        "What's the phone number for the on-call pager?",
    ]
    facts = ["55", "555-0142"]
    together: dict[int, str] = {}
    errors: list[BaseException] = []

    def ask(n: int, eng: Engine) -> None:
        try:
            for _ in range(2):
                together[n] = eng.ask(questions[n], use_cache=False).answer
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(n, e)) for n, e in enumerate((engine, other))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors and all(not t.is_alive() for t in threads)
    # the same facts as alone (not always the same words: what llama.cpp holds of a prompt
    # when a turn starts changes its rounding)
    assert all(fact in together[n] for n, fact in enumerate(facts)), together


def test_a_model_call_giving_way_stops_while_reading_its_prompt(engine: Engine) -> None:
    backend = engine.backend()
    template = prompts.load("qa")
    question = "How long does the banana bread need in the oven?"
    packed = pack(engine.search(question, k=3).hits, template, backend.count_tokens, 450)
    prefix, rest = render(template, packed, question)

    def run() -> generate.Generation:
        return backend.generate(
            prefix,
            rest,
            max_tokens=40,
            temperature=0.0,
            stop=template.stop,
            on_token=None,
            deadline=time.perf_counter() + 120,
        )

    backend.llm().reset()
    stop = threading.Event()
    stop.set()  # a question came in
    with giveway.giving_way(stop), pytest.raises(Cancelled):
        run()
    assert backend.llm().n_tokens < len(backend.llm().tokenize((prefix + rest).encode()))
    with giveway.giving_way(threading.Event()):
        read_in_steps = run()
    assert "55" in read_in_steps.text


def test_each_kinds_worked_example_is_prefilled_once_then_reused(engine: Engine) -> None:
    backend = engine.backend()
    template = prompts.load("qa-kinds")
    questions = [
        "How long does the banana bread need in the oven?",  # number
        "Who should I call about the boiler?",  # name
        "How many minutes does the banana bread bake?",
    ]  # number again
    reused = []
    for question in questions:
        packed = pack(engine.search(question, k=3).hits, template, backend.count_tokens, 900)
        prefix, rest = render(template, packed, question)
        result = backend.generate(
            prefix,
            rest,
            max_tokens=8,
            temperature=0.0,
            stop=template.stop,
            on_token=None,
            deadline=time.perf_counter() + 120,
        )
        reused.append(result.prefix_reused)
    assert reused[2], "switching back to a kind loads its saved prefix state, no prefill"


def test_a_looping_answer_stops_at_the_first_repeat(engine: Engine) -> None:
    backend = engine.backend()
    shown: list[str] = []
    days = (
        "List the days of the week, once each.\nMonday is a day of the week. "
        "Tuesday is a day of the week. Wednesday is a day of the week."
    )
    made = backend.generate(
        "",
        days,
        max_tokens=120,
        temperature=0.0,
        stop=["\n\n"],
        on_token=shown.append,
        deadline=time.perf_counter() + 120,
    )
    assert made.stopped_repeating and made.completion_tokens < 120
    assert "".join(shown) == made.text, "the repeat is never streamed"
    sentences = [s.strip() for s in made.text.split(".") if s.strip()]
    assert sentences and len(sentences) == len(set(sentences))


def test_timeout_falls_back_to_passages(engine: Engine) -> None:
    slow = Engine(load_settings(llm={"timeout_s": 0.001}), engine.data_dir)
    answer = slow.ask("How long does the banana bread need in the oven?", use_cache=False)
    assert answer.fallback and "timeout_s" in (answer.error or "")
    assert any(c.path.endswith("recipes.md") for c in answer.citations)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_openai_backend_against_llama_cpp_server(engine: Engine) -> None:
    model = engine.backend().path  # type: ignore[attr-defined]
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(model),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
            "--model_alias",
            "gemma",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError("llama_cpp.server did not start") from None
                time.sleep(0.5)
        settings = load_settings(
            llm={
                "backend": "openai",
                "model": "gemma",
                "base_url": f"http://127.0.0.1:{port}/v1",
                "prompt_format": "completion",
            }
        )
        remote = Engine(settings, engine.data_dir)
        streamed: list[str] = []
        answer = remote.ask(
            "At what mileage is the timing belt replaced?",
            use_cache=False,
            on_token=streamed.append,
        )
        assert not answer.fallback, answer.error
        assert "45,000" in answer.answer and len(streamed) > 1
        assert any(c.path.endswith("car-maintenance.md") for c in answer.citations)
    finally:
        server.terminate()
        server.wait(timeout=30)
    down = Engine(settings, engine.data_dir)
    answer = down.ask("At what mileage is the timing belt replaced?", use_cache=False)
    assert answer.fallback and "did not answer" in (answer.error or "")


def _drafted_and_plain(
    engine: Engine, update: dict[str, object], draft_path: Path | None = None, count: int = 6
) -> tuple[list[tuple[str, str]], int, int]:
    """The first ``count`` demo answers written plainly and with drafting, and the draft
    tokens proposed and accepted."""
    plain = engine.backend()
    assert isinstance(plain, generate.LlamaCppBackend)
    drafting = generate.LlamaCppBackend(
        plain.path,
        plain.settings.model_copy(update=update),
        plain.prompt_format,
        draft_path=draft_path,
    )
    template = prompts.load("qa")
    proposed = accepted = 0
    pairs: list[tuple[str, str]] = []
    for case in QUESTIONS[:count]:
        question = str(case["question"])
        packed = pack(engine.search(question, k=3).hits, template, plain.count_tokens, 900)
        prefix, rest = render(template, packed, question)
        texts = []
        for backend in (plain, drafting):
            # from the same state: how much of a prompt llama.cpp already holds changes how
            # it batches the rest, and so the rounding a greedy choice can hinge on
            plain.llm().reset()
            result = backend.generate(
                prefix,
                rest,
                max_tokens=80,
                temperature=0.0,
                stop=template.stop,
                on_token=None,
                deadline=time.perf_counter() + 120,
            )
            texts.append(result.text)
        pairs.append((texts[0], texts[1]))
        proposed += result.draft_proposed
        accepted += result.draft_accepted
    return pairs, proposed, accepted


def _mostly_the_same(pairs: list[tuple[str, str]], at_least: int) -> None:
    # a drafted batch is rounded slightly differently from single steps, so a near tie can
    # go the other way: most answers are the same text, the others only part late
    assert sum(a == b for a, b in pairs) >= at_least, pairs
    for a, b in pairs:
        shorter = min(len(a), len(b))
        same = next((n for n, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), shorter)
        assert same >= shorter // 2, (a, b)


def test_prompt_lookup_decoding_writes_what_plain_decoding_writes(engine: Engine) -> None:
    pairs, proposed, accepted = _drafted_and_plain(engine, {"draft": "prompt_lookup"})
    assert proposed > 0 and 0 < accepted <= proposed
    _mostly_the_same(pairs, 4)


def test_a_draft_model_writes_what_plain_decoding_writes(engine: Engine) -> None:
    plain = engine.backend()
    assert isinstance(plain, generate.LlamaCppBackend)
    # the bundled model drafting for itself: its guesses are the answer's own tokens but
    # for near ties read differently, and the guesses past the answer's end
    pairs, proposed, accepted = _drafted_and_plain(
        engine, {"draft": "model", "draft_tokens": 3}, draft_path=plain.path, count=3
    )
    assert proposed > 0 and accepted >= 0.5 * proposed
    # batches round differently from single steps (see the prompt-lookup test), and a
    # greedy choice at a near tie can follow: most answers are the same text
    assert sum(a.strip() == b.strip() for a, b in pairs) >= 2, pairs
