"""Pilot tests of every screen over a FixedEngine (no models): keys, mouse, data flow."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Markdown, OptionList, Static
from textual.widgets._footer import FooterKey

from ragtui import paths
from ragtui.core.models import Answer, FileInfo
from ragtui.tui.app import RagtuiApp, create_app
from ragtui.tui.screens.ask import AskScreen
from ragtui.tui.screens.conversations import ConversationsScreen
from ragtui.tui.screens.evals import CaseScreen, CompareScreen, EvalsScreen, RunDialog
from ragtui.tui.screens.help import HelpScreen
from ragtui.tui.screens.library import MAX_ROWS, LibraryScreen
from ragtui.tui.screens.preview import SourcePreview
from ragtui.tui.screens.stats import StatsScreen
from ragtui.tui.screens.traces import TracesScreen
from ragtui.tui.widgets.answer_view import TurnView
from ragtui.tui.widgets.source_list import SourceList
from ragtui.tui.widgets.waterfall import Waterfall
from tests.tui.fixed import ANSWER_TEXT, FixedEngine, fixed_answer

SIZE = (100, 30)


async def _settle(app: RagtuiApp, pilot: object) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


async def _ask(app: RagtuiApp, pilot: object, question: str) -> TurnView:
    screen = app.screen
    assert isinstance(screen, AskScreen)
    await pilot.press(*question)  # type: ignore[attr-defined]
    await pilot.press("enter")  # type: ignore[attr-defined]
    for _ in range(200):
        await pilot.pause(0.02)  # type: ignore[attr-defined]
        if not screen._asking:
            break
    await _settle(app, pilot)
    return list(screen.query(TurnView))[-1]


async def test_ask_streams_links_citations_and_previews(fixed_engine: FixedEngine) -> None:
    app = create_app(fixed_engine, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        turn = await _ask(app, pilot, "When is the timing belt replaced?")
        assert turn.answer is not None
        screen = app.screen
        assert isinstance(screen, AskScreen)
        stream = screen.last_stream
        assert stream is not None and stream.tokens == len(ANSWER_TEXT.split(" "))
        markdown = turn.query_one(Markdown).source
        assert "[\\[1\\]](cite:1)" in markdown and "[\\[2\\]](cite:2)" in markdown
        sources = screen.query_one(SourceList)
        assert [c.n for c in sources.citations] == [1, 2]
        sources.focus()
        await pilot.press("enter")
        await pilot.pause()
        preview = app.screen
        assert isinstance(preview, SourcePreview)
        assert preview.citation.path.endswith("car-maintenance.md")
        text = str(preview.query_one("#preview-text", Static).render())
        assert "timing belt is replaced at 45,000 miles" in text
        await pilot.press("escape")
        # the stored conversation reopens with its answer
        cid = screen.conversation
        assert cid is not None
        assert fixed_engine.conversations.turns(cid)[0].answer.citations[0].n == 1


async def test_citation_link_click_opens_the_preview(fixed_engine: FixedEngine) -> None:
    app = create_app(fixed_engine, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        turn = await _ask(app, pilot, "timing belt?")
        turn.query_one(Markdown).post_message(Markdown.LinkClicked(turn.markdown, "cite:2"))
        await pilot.pause()
        assert isinstance(app.screen, SourcePreview) and app.screen.citation.n == 2


async def test_labels_for_cached_fallback_and_abstained(
    fixed_engine: FixedEngine, demo_docs: Path
) -> None:
    flags = iter(
        [{"cached": "exact"}, {"fallback": True, "error": "no model"}, {"abstained": True}]
    )
    fixed_engine._answer = lambda q: fixed_answer(q, demo_docs, **next(flags))
    app = create_app(fixed_engine, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        labels = []
        for question in ("a?", "b?", "c?"):
            turn = await _ask(app, pilot, question)
            labels.append(str(turn.query_one(".labels", Static).render()))
        assert "cached (exact)" in labels[0]
        assert "extractive fallback" in labels[1]
        assert "not found in your documents" in labels[2]


async def test_a_declined_answer_lists_the_nearest_passages_to_check(
    fixed_engine: FixedEngine, demo_docs: Path
) -> None:
    def declined(question: str) -> Answer:
        found = fixed_answer(question, demo_docs)
        return found.model_copy(
            update={
                "answer": "Not in your documents.",
                "abstained": True,
                "citations": (),
                "closest": found.citations,
            }
        )

    fixed_engine._answer = declined
    app = create_app(fixed_engine, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await _ask(app, pilot, "What colour is the Kestrel?")
        sources = app.screen.query_one("#sources", SourceList)
        assert len(sources.citations) == 2
        assert "nearest, not used" in str(sources.get_option_at_index(0).prompt)


async def test_history_and_stop(fixed_engine: FixedEngine) -> None:
    fixed_engine.token_delay_s = 0.05
    app = create_app(fixed_engine, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, AskScreen)
        await pilot.press(*"first question", "enter")
        await pilot.pause(0.15)
        await pilot.press("escape")  # stops the stream
        for _ in range(100):
            await pilot.pause(0.02)
            if not screen._asking:
                break
        await _settle(app, pilot)
        turn = list(screen.query(TurnView))[-1]
        assert turn.answer is None
        assert "Stopped" in str(turn.query_one(".labels", Static).render())
        box = screen.query_one("#question")
        await pilot.press("up")
        assert box.value == "first question"  # type: ignore[attr-defined]
        await pilot.press("down")
        assert box.value == ""  # type: ignore[attr-defined]


async def test_conversations_reopen_rename_delete_export(
    fixed_engine: FixedEngine, tmp_path: Path
) -> None:
    app = create_app(fixed_engine, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await _ask(app, pilot, "When is the timing belt replaced?")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert not list(app.screen.query(TurnView))
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, ConversationsScreen)
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("ctrl+a", "ctrl+k", *"Car", "enter")  # clear, type, accept
        await pilot.pause()
        assert fixed_engine.conversations.all()[0].title == "Car"
        await pilot.press("x")
        await pilot.pause()
        target = tmp_path / "car.md"
        await pilot.press("ctrl+a", "ctrl+k", *str(target), "enter")
        await pilot.pause()
        assert target.read_text().startswith("# Car")
        await pilot.press("enter")  # reopen
        await pilot.pause()
        assert isinstance(app.screen, AskScreen)
        assert [t.question for t in app.screen.query(TurnView)] == [
            "When is the timing belt replaced?"
        ]
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert fixed_engine.conversations.all() == []


async def test_library_table_filter_and_sort(fixed_engine: FixedEngine) -> None:
    app = create_app(fixed_engine, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, LibraryScreen)
        table = screen.query_one("#files", DataTable)
        assert table.row_count == 6
        assert "agree" in str(screen.query_one("#health", Static).render())
        await pilot.press("slash", *"failed")
        await pilot.pause()
        assert table.row_count == 1
        await pilot.press("enter", "s", "s")  # back to the table; path → error → status
        await pilot.pause()
        await pilot.press("slash", "ctrl+a", "ctrl+k", "enter")
        await pilot.pause()
        assert table.row_count == 6
        assert screen.sort_column == "status"
        assert str(table.get_row_at(0)[0]) == "empty"


async def test_traces_waterfall_and_details(fixed_engine: FixedEngine) -> None:
    app = create_app(fixed_engine, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        await _settle(app, pilot)
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TracesScreen)
        assert screen.query_one("#trace-list", DataTable).row_count == 4
        waterfall = screen.query_one(Waterfall)
        assert [r.span.name for r in waterfall.rows][:3] == ["ask", "search", "embed.query"]
        assert waterfall.rows[1].depth == 1 and waterfall.rows[2].depth == 2
        chunks = screen.query_one("#chunk-table", DataTable)
        marks = [str(chunks.get_row_at(i)[1]) for i in range(chunks.row_count)]
        assert marks[:3] == ["packed", "truncated", "dropped"]
        waterfall.focus()
        await pilot.press("down", "down")
        await pilot.pause()
        attrs = str(screen.query_one("#span-attributes", Static).render())
        assert attrs.startswith("embed.query")
        assert "timing belt" in str(screen.query_one("#span-prompt", Static).render())


async def test_stats_help_theme_and_switching(fixed_engine: FixedEngine) -> None:
    app = create_app(fixed_engine, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, StatsScreen)
        assert screen.figures is not None and screen.figures.since == "24h"
        assert "llm.prefill" in str(screen.query_one("#chart-stages", Static).render())
        await pilot.press("w")
        await _settle(app, pilot)
        assert screen.figures.since == "7d"
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape", "f9")
        assert not app.current_theme.dark
        await pilot.press("f2")
        assert isinstance(app.screen, AskScreen)
        await pilot.click("#navbar", offset=(25, 0))  # the Library tab
        await pilot.pause()
        assert isinstance(app.screen, LibraryScreen)
        assert isinstance(app.screen.query_one("#folders", OptionList), OptionList)


async def test_stats_shows_drift_and_its_alert(fixed_engine: FixedEngine) -> None:
    app = create_app(fixed_engine, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, StatsScreen)
        alert = screen.query_one("#stats-drift-alerts", Static)
        assert alert.display and "Question topics" in str(alert.render())
        table = str(screen.query_one("#table-drift", Static).render())
        lines = {line.split()[0]: line for line in table.splitlines()[1:]}
        assert "ALERT" in lines["questions"] and "0.008" in lines["questions"]
        assert lines["top-1"].rstrip().endswith("ok") and "200/30" in lines["top-1"]
        assert "needs data" in lines["new"]


async def test_evals_runs_compare_case_and_trace(fixed_engine: FixedEngine) -> None:
    app = create_app(fixed_engine, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f6")
        await _settle(app, pilot)
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, EvalsScreen)
        runs = screen.query_one("#eval-runs", DataTable)
        assert runs.row_count == 2
        assert [str(c) for c in runs.get_row_at(0)[1:3]] == ["bm25-k1", "01-01 00:00"]
        assert str(runs.get_row_at(1)[5]) == "0.853"  # the baseline's nDCG@10
        assert screen.query_one("#eval-cases", DataTable).row_count == 3
        assert "faithfulness" in str(screen.query_one("#eval-summary", Static).render())
        # compare: the two marked runs, the older one as the baseline
        await pilot.press("space", "down", "space", "c")
        await _settle(app, pilot)
        compare = app.screen
        assert isinstance(compare, CompareScreen)
        assert compare.report.a.name == "baseline"
        assert "REGRESSION: ndcg@10" in str(compare.query_one("#compare-verdict", Static).render())
        table = compare.query_one("#compare-metrics", DataTable)
        assert str(table.get_row("ndcg@10")[-1]) == "REGRESSION"
        assert str(table.get_row("faithfulness")[-1]) == ""
        assert compare.query_one("#compare-cases", DataTable).row_count == 1
        await pilot.press("escape")
        # drill into the first case of the highlighted (baseline) run
        await _settle(app, pilot)
        await pilot.press("enter")  # from the runs to their cases
        await pilot.press("enter")
        await pilot.pause()
        case = app.screen
        assert isinstance(case, CaseScreen)
        assert case.run_name == "baseline"
        text = str(case.query_one("#case-text", Static).render())
        assert "When is the timing belt replaced?" in text
        assert "At 45,000 miles." in text and "token_f1" in text and "timing belt" in text
        await pilot.press("t")
        await _settle(app, pilot)
        await _settle(app, pilot)
        traces = app.screen
        assert isinstance(traces, TracesScreen)
        assert traces.current is not None and traces.current.trace_id == "a" * 32


async def test_evals_errors_are_notifications(fixed_engine: FixedEngine, tmp_path: Path) -> None:
    app = create_app(fixed_engine, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f6")
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, EvalsScreen)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, RunDialog)
        await pilot.press(*str(tmp_path / "missing.jsonl"), "enter")
        await _settle(app, pilot)
        await pilot.pause()
        assert not screen.running
        assert any("does not exist" in str(n.message) for n in app._notifications)


async def test_the_indexing_thread_ends_however_the_app_ends(fixed_engine: FixedEngine) -> None:
    app = create_app(fixed_engine, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.service_started
    # no quit action, no shutdown_background: the app just went away (as when a test fails)
    assert app.service.finished.wait(10)
    assert fixed_engine.warmed == 1  # the models were warmed in the background at start


async def test_the_evidence_is_highlighted_under_the_answer_and_a_quote_is_labelled(
    fixed_engine: FixedEngine, demo_docs: Path
) -> None:
    from ragtui.core.models import Evidence, Location

    proof = Evidence(
        text="The timing belt is replaced at 45,000 miles.",
        chunk_id="c1",
        path=str(demo_docs / "car-maintenance.md"),
        location=Location(heading=("Service schedule",), line_start=8, line_end=8),
        score=0.81,
    )
    answers = iter(
        [
            fixed_answer("a?", demo_docs, evidence=(proof,)),
            fixed_answer(
                "b?",
                demo_docs,
                evidence=(proof,),
                quoted=True,
                error="the model started repeating itself",
            ),
        ]
    )
    fixed_engine._answer = lambda q: next(answers)
    app = create_app(fixed_engine, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        turn = await _ask(app, pilot, "a?")
        shown = turn.query_one(".evidence", Static)
        assert shown.display
        text = str(shown.render())
        assert "45,000 miles" in text and "car-maintenance.md · Service schedule · line 8" in text
        quoted = await _ask(app, pilot, "b?")
        assert not quoted.query_one(".evidence", Static).display, "the quote is the answer"
        label = str(quoted.query_one(".labels", Static).render())
        assert "quoted from the passages: the model started repeating itself" in label


async def test_closing_a_preview_gives_the_keys_back_to_the_question(
    fixed_engine: FixedEngine,
) -> None:
    app = create_app(fixed_engine, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await _ask(app, pilot, "timing belt?")
        screen = app.screen
        screen.query_one(SourceList).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SourcePreview)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press(*"why?")
        await pilot.pause()
        assert app.screen is screen, "'?' typed into the box, not the help screen"
        assert screen.query_one("#question").value == "why?"  # type: ignore[attr-defined]


LONG = Path(
    "/home/you/projects/2025-quarterly-engineering-reviews", "infrastructure-and-platform-team"
)


def _long_files(count: int) -> list[FileInfo]:
    notes = LONG / "meeting-notes-archive"
    files = [
        FileInfo(
            path=str(notes / f"weekly-sync-meeting-notes-with-a-long-name-{i}.txt"),
            status="indexed",
            size=100,
            chunks=1,
            embedded=1,
            indexed_at=0.0,
        )
        for i in range(count - 1)
    ]
    broken = str(notes / "broken-scanned-contract-agreement.pdf")
    return [
        FileInfo(
            path=broken,
            status="failed",
            size=9,
            chunks=0,
            embedded=0,
            indexed_at=0.0,
            error=f"{broken} is not a readable PDF: re-save it.",
        ),
        *files,
    ]


@pytest.fixture
def long_engine(ragtui_home: Path) -> Iterator[FixedEngine]:
    engine = FixedEngine(LONG, paths.data_dir())
    engine.files = lambda: _long_files(2500)  # type: ignore[method-assign]
    yield engine
    engine.close()


async def test_library_fits_long_paths_and_many_files_at_120_columns(
    long_engine: FixedEngine,
) -> None:
    app = create_app(long_engine, watch=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("f3")
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, LibraryScreen)
        table = screen.query_one("#files", DataTable)
        used = sum(c.get_render_width(table) for c in table.columns.values())
        assert used <= table.scrollable_content_region.width, "the Error column is on screen"
        failed = table.get_row_at(0)
        assert str(failed[3]).endswith("broken-scanned-contract-agreement.pdf")
        assert str(failed[4]).startswith("broken-scanned-contract-agree")  # not the folder
        await pilot.press("enter")  # the whole error, for a row too narrow to show it
        await pilot.pause()
        assert any(
            "is not a readable PDF: re-save it." in str(n.message) for n in app._notifications
        )
        assert table.row_count == MAX_ROWS + 1
        assert "500 more files" in str(table.get_row_at(MAX_ROWS)[3])
        assert table.border_title == f"Files {MAX_ROWS} of 2500"
        folders = screen.query_one("#folders", OptionList)
        prompt = str(folders.get_option_at_index(0).prompt)
        assert len(prompt) <= folders.scrollable_content_region.width
        assert prompt.startswith("…") and prompt.endswith("/infrastructure-and-platform-team")


async def test_library_escape_leaves_the_filter_and_a_short_screen_shows_the_files(
    long_engine: FixedEngine,
) -> None:
    long_engine.files = lambda: _long_files(30)  # type: ignore[method-assign]
    app = create_app(long_engine, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        await _settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, LibraryScreen)
        table = screen.query_one("#files", DataTable)
        assert not screen.query_one("#events").display
        assert table.scrollable_content_region.height - 1 >= 10, "ten file rows or more"
        await pilot.press("slash", *"name-1", "escape", "s")
        await pilot.pause()
        assert screen.query_one("#file-filter", Input).value == "name-1"
        assert table.has_focus and screen.sort_column == "error"


async def test_narrow_traces_keep_span_names_and_the_footer_has_no_stray_text(
    fixed_engine: FixedEngine,
) -> None:
    app = create_app(fixed_engine, watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        await _settle(app, pilot)
        await _settle(app, pilot)
        waterfall = app.screen.query_one(Waterfall)
        assert waterfall.rows
        lines = str(waterfall.render()).splitlines()
        assert any("retrieve.bm25 " in line for line in lines)
        assert any("retrieve.fusion " in line for line in lines)
        palette = next(k for k in app.screen.query(FooterKey) if "-command-palette" in k.classes)
        assert palette.region.right == 80, "the palette key covers the footer's last column"


async def test_the_palette_lists_keys_once(fixed_engine: FixedEngine) -> None:
    app = create_app(fixed_engine, watch=False)
    async with app.run_test(size=SIZE):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert titles.count("Keys") == 1
