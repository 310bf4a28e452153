"""Dashboard pages and their CSV exports (BRMs, portfolio managers, admins), and each
employee's page of what became of their ideas."""

import io
from collections.abc import Callable
from dataclasses import dataclass

from flask import Response, abort, current_app, render_template, request
from flask_login import current_user, login_required

from portal.admin.service import department_choices
from portal.auth.login import roles_required
from portal.extensions import db
from portal.forms import choices
from portal.models import Department, Role
from portal.reports import bp, service
from portal.reports import charts as report_charts
from portal.reports.forms import FilterForm
from portal.reports.periods import current_quarter, parse_period, period_choices
from portal.spreadsheets import CsvWriter

readers = roles_required(Role.BRM, Role.PORTFOLIO_MANAGER, Role.ADMIN)
# A table on a dashboard shows at most this many rows (its CSV export has them all): the
# delivered ideas of an enterprise's years are thousands, megabytes of HTML nobody scrolls.
ROWS_SHOWN = 100


@dataclass(frozen=True)
class Dashboard:
    name: str
    title: str
    build: Callable[[service.ReportFilter], object]
    draw: Callable[[object], list]
    about: str


def _workload(filters: service.ReportFilter):
    return service.workload(filters, current_app.config.get("REVIEW_OVERDUE_DAYS", 14))


DASHBOARDS = {
    d.name: d
    for d in [
        Dashboard(
            "pipeline",
            "Pipeline",
            service.pipeline,
            report_charts.pipeline,
            "Submitted ideas by state and department (those submitted in the period), and the "
            "state of the whole pipeline at the end of each of the 12 months up to the "
            "period's end.",
        ),
        Dashboard(
            "flow",
            "Flow",
            service.flow,
            report_charts.flow,
            "Days from submission to decision (approved, rejected, duplicate or deferred) for "
            "ideas decided in the period: median and 90th percentile, per department and per "
            "BRM who made the decision.",
        ),
        Dashboard(
            "workload",
            "BRM workload",
            _workload,
            report_charts.workload,
            "Now: reviews each BRM owns, submitted ideas nobody has claimed in the departments "
            "they cover, and how many of those are overdue (waiting longer than the review "
            "limit, counted as the review queue counts it). Touchpoints are counted in the "
            "period (default: this quarter).",
        ),
        Dashboard(
            "portfolio",
            "Portfolio",
            service.portfolio,
            report_charts.portfolio,
            "The adopted plan (the latest adopted run): estimated value (strategic value × "
            "likely multiplier) and cost of its ideas by department and objective (split by "
            "weighted impact), and spend per period against the scenario's budget. The period "
            "filter keeps ideas starting in it; the budget is the whole plan's.",
        ),
        Dashboard(
            "value",
            "Value delivered",
            service.value_delivered,
            report_charts.value_delivered,
            "Ideas delivered in the period: realized against estimated value over the ideas "
            "with a measurement, actual against estimated cost over the ideas with actual "
            "costs recorded.",
        ),
        Dashboard(
            "calibration",
            "Estimate calibration",
            service.calibration,
            report_charts.calibration,
            "For each author of the estimate of a delivered idea: value bias = mean of "
            "realized − estimated (points, positive means value was underestimated); cost "
            "bias = mean of (actual − estimated) / estimated (positive means over budget). "
            "Spread is the standard deviation: how far single estimates miss.",
        ),
    ]
}


def _filters(name: str) -> tuple[FilterForm, service.ReportFilter]:
    today = service.ReportFilter().today
    first, last = service.years_with_data()
    periods = period_choices(today, first, last)
    form = FilterForm(request.args)
    form.period.choices = choices([(p.key, p.label) for p in periods])
    form.department.choices = choices(
        [("", "All departments")] + [(str(i), n) for i, n in department_choices()]
    )
    if name == "workload" and "period" not in request.args:
        form.period.data = current_quarter(today).key
        if form.period.data not in {p.key for p in periods}:
            form.period.choices = [
                *form.period.choices,
                *choices([(form.period.data, "This quarter")]),
            ]
    if not form.validate():
        problems = "; ".join(
            f"{getattr(form, k).label.text}: {v[0]}" for k, v in form.errors.items()
        )
        abort(400, description=f"The filter was not understood ({problems}).")
    period = parse_period(form.period.data, today)
    department_id = int(form.department.data) if form.department.data else None
    if department_id is not None and db.session.get(Department, department_id) is None:
        abort(400, description="That department does not exist.")
    return form, service.ReportFilter(period=period, department_id=department_id, today=today)


def _args() -> dict:
    return {k: v for k, v in request.args.items() if k in ("period", "department") and v}


def _show(name: str):
    dashboard = DASHBOARDS[name]
    form, filters = _filters(name)
    report = dashboard.build(filters)
    return render_template(
        "reports/dashboard.html",
        dashboard=dashboard,
        dashboards=DASHBOARDS.values(),
        form=form,
        report=report,
        charts=dashboard.draw(report),
        tables=report.tables(),
        rows_shown=ROWS_SHOWN,
        args=_args(),
    )


@bp.route("/")
@readers
def index():
    return _show("pipeline")


@bp.route("/pipeline")
@readers
def pipeline():
    return _show("pipeline")


@bp.route("/flow")
@readers
def flow():
    return _show("flow")


@bp.route("/workload")
@readers
def workload():
    return _show("workload")


@bp.route("/portfolio")
@readers
def portfolio():
    return _show("portfolio")


@bp.route("/value")
@readers
def value():
    return _show("value")


@bp.route("/calibration")
@readers
def calibration():
    return _show("calibration")


def column_title(key: str) -> str:
    """'estimated_value' -> 'Estimated value', 'in_review' -> 'In review' (CSV headers)."""
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def table_csv(table: service.Table) -> str:
    """A dashboard table as CSV; names are cells that never run as formulas."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow([column_title(c) for c in table.columns])
    writer.writerows(["" if v is None else v for v in row] for row in table.rows)
    return buffer.getvalue()


@bp.route("/<name>.csv")
@readers
def export(name: str):
    if name not in DASHBOARDS:
        abort(404)
    _form, filters = _filters(name)
    tables = DASHBOARDS[name].build(filters).tables()
    key = request.args.get("table") or tables[0].key
    table = next((t for t in tables if t.key == key), None)
    if table is None:
        known = ", ".join(t.key for t in tables)
        abort(400, description=f"Unknown table '{key}'; this dashboard has: {known}.")
    suffix = f"-{filters.period.key}" if filters.period.key else ""
    filename = f"converge-{name}-{table.key}{suffix}.csv"
    return Response(
        table_csv(table),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


@bp.route("/me")
@login_required
def me():
    department_filter = service.ReportFilter(department_id=current_user.department_id)
    return render_template(
        "reports/me.html",
        mine=service.my_outcomes(current_user),
        department=service.value_delivered(department_filter),
        rows_shown=ROWS_SHOWN,
    )


@bp.app_template_filter("num")
def num(value) -> str:
    """A table cell: blank for missing, thousands separators, one decimal for fractions
    below a thousand (a share of a cost in the thousands needs no decimal)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) or float(value).is_integer() or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.1f}"
