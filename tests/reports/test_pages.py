"""Dashboard pages, CSV exports, the employee's page, and who may see them."""

import codecs
import csv
import io
from datetime import date

import pytest

from portal.models import IdeaStatus, Role

S = IdeaStatus
DASHBOARDS = ["pipeline", "flow", "workload", "portfolio", "value", "calibration"]


@pytest.mark.parametrize("name", DASHBOARDS)
def test_dashboards_render_for_readers_only(
    name, brm_client, pm_client, admin_client, employee_client
):
    for client in (brm_client, pm_client, admin_client):
        response = client.get(f"/reports/{name}")
        assert response.status_code == 200
        assert b"data-report-filter" in response.data
    assert employee_client.get(f"/reports/{name}").status_code == 403
    assert employee_client.get(f"/reports/{name}.csv").status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/reports/pipeline")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_value_dashboard_shows_chart_and_exports_filtered_csv(
    pm_client, pm, employee, make_idea, make_objective, make_estimate, realized, actual_cost,
    status_event,
):  # fmt: skip
    growth = make_objective("Growth", 1)
    idea = make_idea(employee, S.DELIVERED, title="Faster invoicing")
    make_estimate(idea, pm, {growth: 3}, {"2026": (100, 0)})  # 75
    realized(idea, pm, 80, date(2026, 3, 1))
    actual_cost(idea, pm, "2026", 120)
    response = pm_client.get(f"/reports/value?department={employee.department_id}")
    assert response.status_code == 200
    assert b"<svg" in response.data and b"Faster invoicing" in response.data
    export = pm_client.get(f"/reports/value.csv?table=ideas&department={employee.department_id}")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert export.data.startswith(codecs.BOM_UTF8)  # Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["Idea"] == idea.reference
    assert float(rows[0]["Estimated value"]) == 75.0
    assert float(rows[0]["Realized value"]) == 80.0
    assert float(rows[0]["Actual cost"]) == 120.0
    by_dept = pm_client.get("/reports/value.csv").data.decode("utf-8-sig").splitlines()
    assert by_dept[0].startswith("Name,Delivered,Measured,Estimated value")
    assert by_dept[1].startswith("Finance,1,1,75,80,1,100,120")


def test_a_long_table_shows_its_first_rows_and_the_csv_has_them_all(
    pm_client, employee, make_idea, monkeypatch
):
    from portal.reports import routes

    monkeypatch.setattr(routes, "ROWS_SHOWN", 2)
    ideas = [make_idea(employee, S.DELIVERED, title=f"Delivered {n}") for n in range(3)]
    page = pm_client.get("/reports/value").get_data(as_text=True)
    table = page[page.index('data-table="ideas"') :]
    assert table.count("<tr>") == 1 + 2  # the header and two rows
    assert "Showing the first 2 of 3 rows" in table
    export = pm_client.get("/reports/value.csv?table=ideas").data.decode("utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(export)))) == len(ideas)
    by_department = page[page.index('data-table="by_department"') : page.index(table[:40])]
    assert "data-rows-shown" not in by_department
    mine = pm_client.get("/reports/me").get_data(as_text=True)
    assert mine.count('<tr><td><a href="/ideas/') == 2  # the department's latest two
    assert "The latest 2 of 3 delivered ideas" in mine


def test_bad_filters_are_400(pm_client):
    assert pm_client.get("/reports/pipeline?period=someday").status_code == 400
    assert pm_client.get("/reports/pipeline?department=9999").status_code == 400
    assert pm_client.get("/reports/flow?department=abc").status_code == 400
    response = pm_client.get("/reports/flow.csv?table=nope")
    assert response.status_code == 400 and b"flow" in response.data
    assert pm_client.get("/reports/nothing.csv").status_code == 404


def test_workload_defaults_to_this_quarter(brm_client):
    response = brm_client.get("/reports/workload")
    assert response.status_code == 200
    today = date.today()
    assert f"Q{(today.month - 1) // 3 + 1} {today.year}".encode() in response.data


def test_employee_page_shows_own_ideas_and_department_value(
    employee_client, employee, make_user, make_idea, make_estimate, make_objective, realized, pm,
):  # fmt: skip
    growth = make_objective("Growth", 1)
    mine = make_idea(employee, S.REJECTED, title="My rejected idea", status_reason="Too costly")
    colleague = make_user(Role.EMPLOYEE)
    theirs = make_idea(colleague, S.DELIVERED, title="Colleague delivered this")
    make_estimate(theirs, pm, {growth: 4})
    realized(theirs, pm, 88, date(2026, 1, 1))
    make_idea(colleague, S.SUBMITTED, title="Not mine and not delivered")
    page = employee_client.get("/reports/me")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert mine.title in text and "Too costly" in text
    assert theirs.title in text and "88" in text
    assert "Not mine and not delivered" not in text
    assert b"/reports/me" in employee_client.get("/ideas/mine").data


def test_nav_shows_reports_to_readers(brm_client, employee_client):
    assert b'href="/reports/"' in brm_client.get("/ideas/").data
    assert b'href="/reports/"' not in employee_client.get("/ideas/").data


@pytest.mark.parametrize(
    ("value", "cell"),
    [(None, "—"), (3, "3"), (2.5, "2.5"), (1500.0, "1,500"), (294_817.5, "294,818"), ("x", "x")],
)
def test_table_cells_read_as_amounts(value, cell):
    from portal.reports.routes import num

    assert num(value) == cell
