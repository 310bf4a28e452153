"""Cells of every CSV and Excel download: user text is shown as text, never run as a formula.

A CSV download starts with a UTF-8 byte order mark: without it Excel reads the file in the
local code page ("Café" shows as "CafÃ©"). Whole amounts are written as whole numbers
("326000", not "326000.0"); fractions keep their digits.

The rule (OWASP "CSV injection"): a text cell that starts with `=`, `+`, `-`, `@`, a tab or a
carriage return gets a leading apostrophe, so Excel, LibreOffice and Google Sheets show it
instead of evaluating it. Numbers stay numbers. In workbooks, text cells are also typed as
strings, so openpyxl never writes a formula. Every export writes its cells through here.
"""

import csv
import math
from collections.abc import Iterable
from decimal import Decimal

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What "utf-8-sig" writes first: Excel, LibreOffice and Python's utf-8-sig read it as UTF-8.
BYTE_ORDER_MARK = "\ufeff"


def safe_cell(value):
    """The value as a spreadsheet cell: text that a spreadsheet would read as a formula gets
    a leading `'`; numbers, dates and empty cells are returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unquote_cell(text: str) -> str:
    """The text `safe_cell` was given: an import reads back what an export wrote."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def safe_row(row: Iterable) -> list:
    """`safe_cell` on every cell of a row."""
    return [safe_cell(value) for value in row]


def plain_number(value):
    """A whole amount as a whole number (326000.0 -> 326000); anything else unchanged."""
    if isinstance(value, float | Decimal) and math.isfinite(value) and value == int(value):
        return int(value)
    return value


class CsvWriter:
    """`csv.writer` for a download: the text starts with the byte order mark, and each cell
    passes through `safe_cell` and `plain_number`."""

    def __init__(self, buffer, **options):
        buffer.write(BYTE_ORDER_MARK)
        self._writer = csv.writer(buffer, **options)

    def writerow(self, row: Iterable) -> None:
        self._writer.writerow([plain_number(cell) for cell in safe_row(row)])

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)


def append_row(sheet: Worksheet, row: Iterable) -> None:
    """Append a row to a worksheet: text as a string cell (never a formula), without the
    control characters a workbook cannot hold; numbers as numbers."""
    values = [safe_cell(ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v) for v in row]
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
