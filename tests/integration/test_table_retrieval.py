"""A question about one cell of a table finds that cell's row, with its header, through
the real index and embedder: an HTML table, a PDF table and a spreadsheet."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragtui.core.engine import create_engine
from tests.conftest import install_bundled
from tests.unit.office_files import xlsx
from tests.unit.test_loaders_tables import placed_pdf

pytestmark = pytest.mark.slow

MONTHS = ["January", "February", "March", "April", "May", "June"]
BILLS = [("Month", "Electricity", "Gas", "Water")] + [
    (month, f"{61 + 7.35 * n:.2f}", f"{90 - 11.5 * n:.2f}", f"{22 + n}.40")
    for n, month in enumerate(MONTHS)
]
HTML = """<html><head><title>Numeric Types</title></head><body>
<h2>8.1. Numeric Types</h2><p>Numeric types consist of two-, four-, and eight-byte
integers, floating-point numbers and selectable-precision decimals.</p>
<p class="title">Table 8.2. Numeric Types</p>
<table><thead><tr><th>Name</th><th>Storage Size</th><th>Description</th><th>Range</th></tr>
</thead><tbody>
<tr><td>smallint</td><td>2 bytes</td><td>small-range integer</td><td>-32768 to +32767</td></tr>
<tr><td>integer</td><td>4 bytes</td><td>typical choice for integer</td>
<td>-2147483648 to +2147483647</td></tr>
<tr><td>bigint</td><td>8 bytes</td><td>large-range integer</td>
<td>-9223372036854775808 to +9223372036854775807</td></tr>
<tr><td>real</td><td>4 bytes</td><td>variable-precision, inexact</td>
<td>6 decimal digits precision</td></tr>
</tbody></table>
<p>The syntax of constants for the numeric types is described elsewhere.</p></body></html>
"""
PROSE = (
    "The household keeps its paperwork in the blue folder: insurance letters, the tenancy "
    "agreement and warranty cards. Meter readings are taken on the first of each month and "
    "written on the card by the door; the supplier is told when the reading is estimated."
)


def _log_pdf() -> bytes:
    rows = [
        ("package", "popcon", "size", "description"),
        ("logwatch", "V:14,I:16", "2328", "log analyzer with nice output"),
        ("fail2ban", "V:111,I:125", "2127", "ban IPs that cause errors"),
        ("analog", "V:3,I:100", "3739", "web server log analyzer"),
        ("swatch", "V:0,I:0", "99", "log file viewer with regexp matching"),
    ]
    items = [(72.0, 720.0, "System logs are kept under /var/log; these tools read them.")]
    for n, row in enumerate(rows):
        items += [(x, 690.0 - 12 * n, c) for x, c in zip((72, 180, 260, 310), row, strict=True)]
    items.append((150.0, 610.0, "Table 9.4: List of system log analyzers"))
    return placed_pdf(items)


CASES = [  # question, file, cells of the answer's row, a column name from the header
    ("What did the March electricity bill cost?", "bills.xlsx", ("March", "75.70"), "Electricity"),
    ("What is the range of a bigint?", "numeric.html", ("bigint", "+9223372036854775807"), "Range"),
    ("How big is the fail2ban package?", "logs.pdf", ("fail2ban", "2127"), "size"),
]


def test_a_cell_question_retrieves_its_row_with_the_header(
    tmp_path: Path, ragtui_home: Path, bundled_models: dict[str, Path]
) -> None:
    install_bundled(bundled_models, ragtui_home)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bills.xlsx").write_bytes(xlsx([("Bills 2024", BILLS, "")]))
    (docs / "numeric.html").write_text(HTML)
    (docs / "logs.pdf").write_bytes(_log_pdf())
    (docs / "household.txt").write_text(PROSE)
    engine = create_engine()
    engine.add_folder(docs)
    engine.index()
    for question, name, cells, column in CASES:
        hits = engine.search(question, k=3).hits
        row = next((h for h in hits if h.path.endswith(name)), None)
        assert row is not None, question
        assert all(cell in row.text for cell in cells), (question, row.text)
        assert f"{column}: " in row.text
    engine.close()
