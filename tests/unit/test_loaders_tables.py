"""Tables as row records that carry their header (HTML, PDF), and two-column PDF pages."""

from __future__ import annotations

from pathlib import Path

from ragtui.core.ingest.loaders import load_file
from ragtui.core.ingest.loaders._layout import column_gutter, reading_order
from ragtui.core.ingest.loaders._tables import header_of, merged_header, table_sections
from tests.unit.test_loaders import _pdf_string

LEFT = [
    "The river Lea rises in the chalk",
    "hills north of Luton and runs south",
    "through Hertford and Ware before it",
    "meets the Thames at Bow Creek, the",
    "last few miles a tidal channel lined",
    "with wharves, mills and gas works",
    "that once fed the growing city. Its",
    "valley is now a long park of marsh",
    "and reservoirs kept for the fishing.",
    "Anglers still take chub and roach.",
]
RIGHT = [
    "Izaak Walton fished the Lea from",
    "Tottenham to Ware and wrote of its",
    "trout, its pike and the inns where",
    "the anglers rested, sang and told",
    "their tales of the day. His book,",
    "first printed in 1653, was read by",
    "generations who never held a rod,",
    "for its talk of meadows and rain.",
    "It has not been out of print since.",
    "Many still read it every spring.",
]


def placed_pdf(items: list[tuple[float, float, str]]) -> bytes:
    """A one-page PDF drawing each ``(x, y, text)`` in Courier, in the order given."""
    shows = " ".join(f"1 0 0 1 {x} {y} Tm ({_pdf_string(t)}) Tj" for x, y, t in items)
    stream = f"BT /F1 9 Tf {shows} ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    return bytes(out + b"startxref\n%d\n%%%%EOF\n" % xref)


def test_header_rows_and_merged_names() -> None:
    rows = [["Name", "Size"], ["bigint", "8 bytes"]]
    assert header_of(rows, 0) == 1 and header_of([["1", "2"], ["3", "4"]], 0) == 0
    assert merged_header([["Size", "Size"], ["bytes", "bits"]]) == ["Size bytes", "Size bits"]


def test_table_rows_carry_their_header_and_caption() -> None:
    rows = [["Name", "Storage Size", "Range"]]
    rows += [[f"type{n}", f"{n} bytes", f"0 to {n}"] for n in range(1, 41)]
    sections = table_sections(rows, 1, ("Types", "Table 8.2. Numeric Types"), page=3)
    assert len(sections) > 1  # a big table is grouped, each group headed by its rows
    assert sections[0].heading[:2] == ("Types", "Table 8.2. Numeric Types")
    assert sections[0].heading[2].startswith("rows 1–")
    assert all(s.kind == "entry" and s.page == 3 for s in sections)
    for section in sections:
        for line in section.text.split("\n"):
            assert line.startswith("Name: type") and "; Storage Size: " in line


def test_html_data_table_rows_and_layout_table(tmp_path: Path) -> None:
    page = tmp_path / "types.html"
    body = "".join(
        f"<tr><td><code>type{n}</code></td><td>{n}</td><td>bytes<br>(float)</td></tr>"
        for n in range(1, 31)
    )
    page.write_text(
        "<h1>Numeric Types</h1>"
        "<table><tr><td>Prev</td><td>Next</td></tr></table>"
        "<table><caption>Table 8.2. Numeric Types</caption>"
        f"<thead><tr><th>Name</th><th colspan='2'>Size</th></tr></thead><tbody>{body}"
        "</tbody></table><p>After the table.</p>"
    )
    doc = load_file(page)
    assert "Prev | Next" in doc.sections[0].text  # no header: a layout table
    groups = [s for s in doc.sections if s.kind == "entry"]
    assert len(groups) > 1  # a big table: row groups under heading, caption and row range
    assert groups[0].heading[:2] == ("Numeric Types", "Table 8.2. Numeric Types")
    assert groups[0].heading[2].startswith("rows 1–")
    assert groups[0].text.startswith("Name: type1; Size: 1; Size: bytes (float)\nName: type2;")
    assert doc.sections[-1].text == "After the table."


def test_html_small_table_stays_with_its_prose(tmp_path: Path) -> None:
    page = tmp_path / "runbook.html"
    page.write_text(
        "<h2>Escalation</h2><p>Pages escalate after 20 minutes.</p>"
        "<h2>Severity levels</h2><p>Levels we use:</p>"
        "<table><tr><th>Level</th><th>Updates</th></tr>"
        "<tr><td>SEV1</td><td>Every 30 minutes</td></tr>"
        "<tr><td>SEV2</td><td>Every hour</td></tr></table><h2>Alerts</h2><p>Check.</p>"
    )
    sections = load_file(page).sections
    severity = next(s for s in sections if s.heading == ("Severity levels",))
    assert severity.text == (
        "Severity levels\n\nLevels we use:\n\n"
        "Level: SEV1; Updates: Every 30 minutes\nLevel: SEV2; Updates: Every hour"
    )
    assert all(s.kind != "entry" for s in sections)


def test_html_big_table_right_under_its_heading_leaves_no_stray_line(tmp_path: Path) -> None:
    rows = "".join(f"<tr><td>name {n}</td><td>value {n}</td></tr>" for n in range(60))
    page = tmp_path / "big.html"
    page.write_text(
        "<h2>Before</h2><p>Some prose.</p>"
        f"<h2>Values</h2><table><tr><th>Name</th><th>Value</th></tr>{rows}</table>"
    )
    sections = load_file(page).sections
    assert sections[0].text == "Before\n\nSome prose."
    assert all(s.heading[:1] == ("Values",) for s in sections[1:])


def test_two_column_page_is_read_column_by_column(tmp_path: Path) -> None:
    items = [(72.0, 700.0, "A Tale of Two Columns")]
    for n, (left, right) in enumerate(zip(LEFT, RIGHT, strict=True)):
        y = 670.0 - 12 * n  # drawn across the page, line by line, as some writers do
        items += [(72.0, y, left), (320.0, y, right)]
    path = tmp_path / "columns.pdf"
    path.write_bytes(placed_pdf(items))
    text = " ".join(s.text for s in load_file(path).sections)
    words = " ".join(text.split())
    assert words.startswith("A Tale of Two Columns")
    assert " ".join(" ".join(LEFT).split()) in words
    assert " ".join(" ".join(RIGHT).split()) in words
    assert words.index(LEFT[-1]) < words.index(RIGHT[0])


def test_reading_order_keeps_single_column_text() -> None:
    lines = [f"{line} {line}" for line in LEFT]
    assert column_gutter(lines) is None
    assert reading_order(lines) == lines


def test_pdf_table_becomes_rows_under_its_caption(tmp_path: Path) -> None:
    table = [("package", "popcon", "size", "description")]
    table += [
        ("logwatch", "V:14,I:16", "2328", "log analyzer with nice output"),
        ("fail2ban", "V:111,I:125", "2127", "ban IPs that cause errors"),
        ("", "", "", "(many authentication failures)"),
        ("analog", "V:3,I:100", "3739", "web server log analyzer"),
    ]
    items = [(72.0, 700.0, "Logs are kept under /var/log and read with these tools.")]
    for n, row in enumerate(table):
        y = 670.0 - 12 * n
        items += [(x, y, cell) for x, cell in zip((72, 180, 260, 310), row, strict=True) if cell]
    items.append((150.0, 600.0, "Table 9.4: List of system log analyzers"))
    path = tmp_path / "logs.pdf"
    path.write_bytes(placed_pdf(items))
    sections = load_file(path).sections
    rows = next(s for s in sections if s.kind == "entry")
    assert rows.heading == ("Table 9.4: List of system log analyzers", "rows 1–3")
    assert rows.page == 1
    lines = rows.text.split("\n")
    assert lines[0] == (
        "package: logwatch; popcon: V:14,I:16; size: 2328; "
        "description: log analyzer with nice output"
    )
    assert lines[1].endswith(
        "description: ban IPs that cause errors (many authentication failures)"
    )
    assert sections[0].text == "Logs are kept under /var/log and read with these tools."
