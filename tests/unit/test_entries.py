"""Entry-shaped documents (dictionaries, glossaries, FAQs) chunk one entry each."""

from __future__ import annotations

from pathlib import Path

from ragtui.core.ingest.chunking import chunk_document
from ragtui.core.ingest.loaders import load_file

DICTIONARY_PREFACE = (
    "PREFACE\n\nThis little book of the cynic's view was begun in a weekly paper and was\n"
    "continued for years; a cynic may find in it what a cynic would expect, and the\n"
    "word cynic appears here more often than anywhere else in the book.\n\n"
)
ENTRIES = [
    (
        "CYNIC, n.",
        "A blackguard whose faulty vision sees things as they are,\nnot as they ought to be.",
    ),
    ("CUPID, n.", "The so-called god of love."),
    ("CURIOSITY, n.", "An objectionable quality of the female mind."),
    ("CURSE, v.t.", "Energetically to belabor with a verbal slap-stick."),
    ("CYNOSURE, n.", "A bright particular star which the eye follows."),
    ("DAMN, v.", "A word formerly much used by the Paphlagonians."),
    ("DANCE, v.i.", "To leap about to the sound of tittering music."),
    ("DANGER, n.", "A savage beast which, when it sleeps, we sneer at."),
    ("DAWN, n.", "The time when men of reason go to bed."),
]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_dictionary_chunks_one_entry_each_with_its_term_as_heading(tmp_path: Path) -> None:
    body = "\n\n".join(f"{term}  {text}" for term, text in ENTRIES)
    source = DICTIONARY_PREFACE + body + "\n"
    doc = load_file(_write(tmp_path, "dictionary.txt", source))
    chunks = chunk_document(doc, chunk_tokens=160, overlap=24)
    cynic = [c for c in chunks if c.heading == ("CYNIC",)]
    assert len(cynic) == 1
    assert cynic[0].text.startswith("CYNIC, n.") and "ought to be." in cynic[0].text
    assert "CUPID" not in cynic[0].text, "an entry is not merged with its neighbours"
    assert cynic[0].context == "CYNIC"
    lines = source.split("\n")
    assert lines[cynic[0].line_start - 1].startswith("CYNIC, n.")
    assert [c.heading for c in chunks if c.heading] == [(t.split(",")[0],) for t, _ in ENTRIES], (
        "every entry is its own chunk"
    )
    preface = [c for c in chunks if not c.heading]
    assert preface and "weekly paper" in preface[0].text


def test_a_faq_chunks_question_and_answer_together(tmp_path: Path) -> None:
    pairs = [
        (
            f"Q: How do I reset setting number {n}?",
            f"A: Open the settings and press reset {n} times.",
        )
        for n in range(10)
    ]
    source = "\n\n".join(f"{q}\n{a}" for q, a in pairs) + "\n"
    doc = load_file(_write(tmp_path, "faq.txt", source))
    chunks = chunk_document(doc, chunk_tokens=160, overlap=24)
    assert len(chunks) == 10
    assert chunks[3].heading == ("How do I reset setting number 3?",)
    assert "press reset 3 times" in chunks[3].text


def test_a_numbered_faq_with_long_answers_keeps_each_question_with_its_answer(
    tmp_path: Path,
) -> None:
    answer = "\n\n".join(
        f"<p>Paragraph {k} of the answer says what to do and why it works.</p>" for k in range(5)
    )
    entries = "".join(
        f"<p>({n}) Why does step {n} of the setup fail?</p><p>Because of {n}.</p>{answer}"
        for n in range(1, 10)
    )
    doc = load_file(
        _write(tmp_path, "faq.html", f"<html><body><h1>FAQ</h1>{entries}</body></html>")
    )
    chunks = chunk_document(doc, chunk_tokens=160, overlap=24)
    seven = [c for c in chunks if "Why does step 7" in c.text]
    assert seven and all("Because of 7." in c.text for c in seven)
    assert seven[0].heading == ("FAQ", "Why does step 7 of the setup fail?")


def test_prose_with_a_few_colons_is_not_cut_into_entries(tmp_path: Path) -> None:
    paragraphs = [f"The story goes on for a while in paragraph {n} with words." for n in range(30)]
    paragraphs[3] = "Note: this is a remark."
    paragraphs[9] = "Warning: another remark."
    doc = load_file(_write(tmp_path, "story.txt", "\n\n".join(paragraphs) + "\n"))
    assert all(s.kind == "prose" and not s.heading for s in doc.sections)


def test_an_html_glossary_section_is_cut_into_entries(tmp_path: Path) -> None:
    items = "".join(f"<p>{term}  {text}</p>" for term, text in ENTRIES)
    html = f"<html><body><h1>C and D</h1>{items}</body></html>"
    doc = load_file(_write(tmp_path, "dict.html", html))
    chunks = chunk_document(doc, chunk_tokens=160, overlap=24)
    cynic = [c for c in chunks if c.heading[-1:] == ("CYNIC",)]
    assert len(cynic) == 1 and cynic[0].heading == ("C and D", "CYNIC")
    assert "CUPID" not in cynic[0].text
