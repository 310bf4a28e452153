"""A run's selection as downloads: CSV, and an Excel workbook with spend and settings.

Cells go through `portal.spreadsheets`, so a title never becomes a formula."""

import io

from openpyxl import Workbook

from portal.models import Run
from portal.portfolio.report import selection_rows
from portal.spreadsheets import CsvWriter, append_row

_COLUMNS = [
    ("Reference", "ref"),
    ("Title", "title"),
    ("Department", "department"),
    ("Objectives", "themes"),
    ("Status now", "status"),
    ("Value", "value"),
    ("Value low", "value_low"),
    ("Value high", "value_high"),
    ("Total cost", "cost"),
    ("Start", "start"),
]


def _number(value):
    """Amounts as people write them: 204000.0 -> 204000, 20.97671 -> 20.98."""
    if isinstance(value, float):
        return int(value) if value.is_integer() else round(value, 2)
    return value


def _export_rows(run: Run) -> tuple[list[str], list[list]]:
    """Header and rows of the selection download, amounts as people write them."""
    periods = run.problem.get("periods", [])
    header = [h for h, _ in _COLUMNS] + [f"Cost {p}" for p in periods]
    rows = [
        [_number(row[key]) for _, key in _COLUMNS]
        + [_number(row["cost_by_period"][p]) for p in periods]
        for row in selection_rows(run)
    ]
    return header, rows


def selection_csv(run: Run) -> str:
    """The selected ideas as CSV, one row per idea with its cost per period."""
    header, rows = _export_rows(run)
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def selection_xlsx(run: Run) -> bytes:
    """The selected ideas, the spend per period and the settings as an Excel workbook."""
    header, rows = _export_rows(run)
    book = Workbook()
    sheet = book.active
    sheet.title = "Selection"
    append_row(sheet, header)
    for row in rows:
        append_row(sheet, row)
    spend = book.create_sheet("Spend")
    append_row(spend, ["Period", "Spend", "Budget"])
    budget = run.problem.get("budget", {})
    for p in run.problem.get("periods", []):
        append_row(spend, [p, (run.result or {}).get("spend", {}).get(p, 0.0), budget.get(p)])
    settings = book.create_sheet("Settings")
    append_row(settings, ["Setting", "Value"])
    for key, value in ((run.settings or {}).get("display") or {}).items():
        append_row(settings, [key, value])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
