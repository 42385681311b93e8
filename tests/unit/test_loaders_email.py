"""The e-mail loader: .eml messages and .mbox mailboxes, located by subject, sender, date."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from ragtui.core.ingest.document import LoaderError
from ragtui.core.ingest.loaders import load_file, loader_for
from tests.unit.reference_text import assert_one_sentence, in_order, paragraphs, recall
from tests.unit.test_loaders import build_pdf

WHEN = datetime(2024, 3, 5, 9, 30, tzinfo=UTC)


def message(
    subject: str, body: str, *, sender: str = "Izaak Walton <izaak@example.org>"
) -> EmailMessage:
    made = EmailMessage()
    made["From"] = sender
    made["To"] = "Charles Cotton <charles@example.org>"
    made["Date"] = format_datetime(WHEN)
    made["Subject"] = subject
    made.set_content(body)
    return made


def test_plain_body_and_readable_attachments(tmp_path: Path) -> None:
    texts = paragraphs()
    mail = message("The first edition", f"{texts[0]}\n\n{texts[1]}\n")
    mail.add_attachment(
        b"year,price\n1816,L4 4s\n1847,L12 12s\n",
        maintype="text",
        subtype="csv",
        filename="prices.csv",
    )
    mail.add_attachment(
        build_pdf(["page one", f"the advert: {texts[3][:200]}"]),
        maintype="application",
        subtype="pdf",
        filename="advert.pdf",
    )
    mail.add_attachment(b"\x89PNG\r\n\x1a\n", maintype="image", subtype="png", filename="a.png")
    mail.add_attachment(b"not a pdf", maintype="application", subtype="pdf", filename="bad.pdf")
    path = tmp_path / "first-edition.eml"
    path.write_bytes(bytes(mail))
    doc = load_file(path)
    assert doc.loader == "email" == loader_for(path)
    heading = "The first edition — Izaak Walton, 2024-03-05"
    body = doc.sections[0]
    assert body.heading == (heading,)
    assert body.text.startswith("From: Izaak Walton <izaak@example.org>\nTo: Charles Cotton")
    assert "Subject: The first edition" in body.text
    reference = f"{texts[0]} {texts[1]}"
    assert recall(reference, body.text) >= 0.98 and in_order(reference, body.text) >= 0.98
    csv_part = next(s for s in doc.sections if "1816" in s.text)
    assert csv_part.heading == (heading, "attachment prices.csv", "rows 2–3")
    assert "year: 1847; price: L12 12s" in csv_part.text
    pdf_part = next(s for s in doc.sections if "the advert" in s.text)
    assert pdf_part.heading == (heading, "attachment advert.pdf") and pdf_part.page == 2
    assert not any("PNG" in s.text or "a.png" in " ".join(s.heading) for s in doc.sections)
    assert all(s.line_start is None for s in doc.sections)


def test_html_only_alternative_and_forwarded(tmp_path: Path) -> None:
    texts = paragraphs()
    html_only = EmailMessage()
    html_only["Subject"] = "Advertisement"
    html_only["From"] = "marriot@example.org"
    html_only.set_content(
        f"<html><body><h2>Mercurius Politicus</h2><p>{texts[4]}</p></body></html>", subtype="html"
    )
    doc_path = tmp_path / "html.eml"
    doc_path.write_bytes(bytes(html_only))
    doc = load_file(doc_path)
    found = next(s for s in doc.sections if texts[4][:40] in s.text)
    assert found.heading == ("Advertisement — marriot@example.org", "Mercurius Politicus")
    assert recall(texts[4], found.text) >= 0.98

    both = message("Both", texts[5])
    both.add_alternative("<p>HTML-ONLY-MARKER</p>", subtype="html")
    forward = message("Fwd: prices", "See below.")
    forward.add_attachment(both)
    path = tmp_path / "forward.eml"
    path.write_bytes(bytes(forward))
    doc = load_file(path)
    text = "\n".join(s.text for s in doc.sections)
    assert "HTML-ONLY-MARKER" not in text and recall(texts[5], text) >= 0.98
    inner = next(s for s in doc.sections if texts[5][:40] in s.text)
    assert inner.heading == (
        "Fwd: prices — Izaak Walton, 2024-03-05",
        "Both — Izaak Walton, 2024-03-05",
    )


def test_mbox_messages_each_located(tmp_path: Path) -> None:
    texts = paragraphs()
    parts = []
    for n, text in enumerate(texts[:3]):
        mail = message(
            f"Letter {n + 1}",
            f"{text}\n\nFrom the river bank, yours.\n",
            sender=f"Angler {n + 1} <a{n}@example.org>",
        )
        raw = bytes(mail).replace(b"\nFrom the river", b"\n>From the river")
        parts.append(b"From a%d@example.org Tue Mar  5 09:30:00 2024\n" % n + raw + b"\n")
    path = tmp_path / "letters.mbox"
    path.write_bytes(b"".join(parts))
    doc = load_file(path)
    assert [s.heading for s in doc.sections] == [
        (f"Letter {n} — Angler {n}, 2024-03-05",) for n in (1, 2, 3)
    ]
    for section, text in zip(doc.sections, texts[:3], strict=True):
        assert recall(text, section.text) >= 0.98 and in_order(text, section.text) >= 0.98
        assert "\nFrom the river bank, yours." in section.text  # >From unescaped


def test_broken_mail_fails_with_one_sentence(tmp_path: Path) -> None:
    mbox = tmp_path / "broken.mbox"
    mbox.write_bytes(b"Subject: not a mailbox\n\nno From line here\n")
    with pytest.raises(
        LoaderError, match=r'not an mbox mailbox \(it does not begin with a "From "'
    ):
        load_file(mbox)
    try:
        load_file(mbox)
    except LoaderError as err:
        assert_one_sentence(str(err), str(mbox))
    eml = tmp_path / "broken.eml"
    eml.write_bytes(b"\x00\x01binary junk\xff\xfe" * 50)
    with pytest.raises(LoaderError, match="not an e-mail message") as err2:
        load_file(eml)
    assert_one_sentence(str(err2.value), str(eml))
