"""A run's selection downloads (CSV and Excel) show hostile titles as text, never formulas."""

import csv
import io

import pytest
from openpyxl import load_workbook

from portal.extensions import db
from portal.models import Role
from tests.portfolio.test_runs import _run
from tests.test_spreadsheets import HOSTILE, assert_no_formula


def test_selection_downloads_neutralise_titles_and_keep_numbers(
    brm_client, pm_client, make_candidate, make_scenario
):
    ideas = [make_candidate(1, 10.0) for _ in HOSTILE]
    for idea, title in zip(ideas, HOSTILE, strict=True):
        idea.title = title
    db.session.commit()
    run = _run(pm_client, make_scenario(budget={"2027": 1000.0}))
    assert len(run.result["selected"]) == len(HOSTILE)

    text = brm_client.get(f"/portfolio/runs/{run.id}/selection.csv").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["Title"] for r in rows) == sorted("'" + t for t in HOSTILE)
    assert {r["Value"] for r in rows} == {"25"}  # numbers stay numbers
    assert {r["Cost 2027"] for r in rows} == {"10"}

    xlsx = brm_client.get(f"/portfolio/runs/{run.id}/selection.xlsx").data
    assert_no_formula(xlsx)
    sheet = load_workbook(io.BytesIO(xlsx))["Selection"]
    header = [c.value for c in sheet[1]]
    values = [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(2, values_only=True)]
    readable = sorted("'" + t.replace("\r", "\n") for t in HOSTILE)
    assert sorted(v["Title"] for v in values) == readable
    assert {v["Value"] for v in values} == {25}


def test_run_page_charts_and_compare_draw_math_like_names(
    brm_client, pm_client, make_candidate, make_scenario, department, objective
):
    department.name = "$$ Finance"
    objective.name = "$\\frac{1}{$ customers"
    for _ in range(3):
        make_candidate(2, 50.0)
    db.session.commit()
    runs = [
        _run(pm_client, make_scenario(name=name, budget={"2027": 120.0}))
        for name in ("Save $5 on $6", "$$")
    ]
    for run in runs:
        page = brm_client.get(f"/portfolio/runs/{run.id}")
        assert page.status_code == 200 and b"<svg" in page.data
        for name in ("spend", "departments", "frontier", "robustness"):
            png = brm_client.get(f"/portfolio/runs/{run.id}/charts/{name}.png")
            assert png.status_code == 200 and png.data.startswith(b"\x89PNG"), name
    compare = brm_client.get(f"/portfolio/compare?run={runs[0].id}&run={runs[1].id}")
    assert compare.status_code == 200 and b"<svg" in compare.data
    assert b"Save $5 on $6" in compare.data


@pytest.mark.parametrize("who", ["employee", "brm", "pm", "admin"])
def test_selection_downloads_follow_the_run_page(
    who, client_for, pm_client, make_user, make_candidate, make_scenario
):
    make_candidate(2, 50.0)
    run = _run(pm_client, make_scenario(budget={"2027": 120.0}))
    role = {
        "employee": Role.EMPLOYEE,
        "brm": Role.BRM,
        "pm": Role.PORTFOLIO_MANAGER,
        "admin": Role.ADMIN,
    }[who]
    client = client_for(make_user(role))
    page = client.get(f"/portfolio/runs/{run.id}").status_code
    assert page == (200 if who in ("brm", "pm") else 403)
    for suffix in ("csv", "xlsx"):
        assert client.get(f"/portfolio/runs/{run.id}/selection.{suffix}").status_code == page
