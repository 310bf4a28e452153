"""A run's selection as downloads: CSV, and an Excel workbook with spend and settings.

Cells go through `portal.spreadsheets`, so a title never becomes a formula."""

import io

from openpyxl import Workbook
from openpyxl.drawing.image import Image
from openpyxl.utils import get_column_letter

from portal import charts
from portal.models import Run
from portal.portfolio.report import roadmap, run_label, selection_rows
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
    ("TCO", "tco"),
    ("NPV of cost", "npv_cost"),
    ("Negative impacts", "negative_impact"),
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
    _roadmap_sheet(book, run)
    settings = book.create_sheet("Settings")
    append_row(settings, ["Setting", "Value"])
    for key, value in ((run.settings or {}).get("display") or {}).items():
        append_row(settings, [key, value])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _roadmap_sheet(book: Workbook, run: Run) -> None:
    """What lands when: a row per selected idea marking the periods it runs, the budget and
    capacity use per period under it, and the roadmap chart beside it."""
    data = roadmap(run)
    periods = data["periods"]
    sheet = book.create_sheet("Roadmap")
    append_row(sheet, ["Department", "Reference", "Title", "Start", "Lands", *periods])
    for bar in data["bars"]:
        marks = ["■" if bar["first"] <= j <= bar["last"] else "" for j in range(len(periods))]
        append_row(
            sheet, [bar["group"], bar["ref"], bar["title"], bar["start"], bar["lands"], *marks]
        )
    append_row(sheet, [])
    append_row(
        sheet, ["Budget used", "", "", "", "", *[_number(r["used"]) for r in data["budget"]]]
    )
    append_row(sheet, ["Budget", "", "", "", "", *[r["limit"] for r in data["budget"]]])
    for pool in data["pools"]:
        append_row(
            sheet, [f"{pool['pool']} used", "", "", "", "", *[r["used"] for r in pool["rows"]]]
        )
        append_row(
            sheet, [f"{pool['pool']} capacity", "", "", "", "", *[r["limit"] for r in pool["rows"]]]
        )
    if data["bars"]:
        png = charts.roadmap_chart(
            periods, data["bars"], data["budget"], title=run_label(run), fmt="png"
        )
        image = Image(io.BytesIO(png))
        image.width, image.height = image.width // 2, image.height // 2  # drawn at 144 dpi
        sheet.add_image(image, f"{get_column_letter(len(periods) + 7)}2")
