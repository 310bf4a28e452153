"""Adopting a run through the workflow, the current plan, comparing runs, exports."""

import codecs
import csv
import io
import json

import pytest
from openpyxl import load_workbook

from portal.extensions import db
from portal.models import AuditEvent, IdeaStatus, Notification, Run
from portal.portfolio.problem import idea_ref
from tests.portfolio.test_runs import _run


@pytest.fixture
def ideas(make_candidate, employee):
    big = make_candidate(4, 200.0, submitter=employee)  # value 100
    mid = make_candidate(2, 100.0, submitter=employee)  # value 50
    small = make_candidate(1, 100.0, submitter=employee)  # value 25
    return big, mid, small


def test_adopt_selects_through_the_workflow(pm_client, employee_client, make_scenario, ideas, pm):
    big, mid, small = ideas
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    preview = pm_client.get(f"/portfolio/runs/{run.id}/adopt")
    assert preview.status_code == 200 and big.title.encode() in preview.data
    response = pm_client.post(f"/portfolio/runs/{run.id}/adopt")
    assert response.status_code == 302 and response.headers["Location"].endswith("/portfolio/plan")
    db.session.rollback()  # see what other connections committed
    assert big.status == IdeaStatus.SELECTED
    assert mid.status == small.status == IdeaStatus.APPROVED
    assert db.session.get(Run, run.id).adopted_by_id == pm.id
    actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert "run_adopted" in actions and "status_change" in actions
    inbox = db.session.scalars(db.select(Notification.message)).all()
    assert any(f"{big.reference}" in m and ": In the plan “Plan 2027”" in m for m in inbox)
    plan = employee_client.get("/portfolio/plan")  # everyone sees the plan
    assert plan.status_code == 200 and big.title.encode() in plan.data
    assert b"Spend against budget" in plan.data


def test_a_new_plan_defers_what_it_leaves_out(pm_client, make_scenario, ideas):
    big, mid, small = ideas
    first = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    pm_client.post(f"/portfolio/runs/{first.id}/adopt")
    # The next plan considers the selected idea too, with less money.
    second_scenario = make_scenario(
        name="Leaner",
        budget={"2027": 210.0},
        candidate_filter={"states": ["approved", "deferred", "selected"]},
        force_out=[big.id],
    )
    second = _run(pm_client, second_scenario)
    assert {s["id"] for s in second.result["selected"]} == {idea_ref(mid.id), idea_ref(small.id)}
    preview = pm_client.get(f"/portfolio/runs/{second.id}/adopt").data.decode()
    assert "deferred (not in this plan)" in preview
    pm_client.post(f"/portfolio/runs/{second.id}/adopt")
    db.session.rollback()  # see what other connections committed
    assert big.status == IdeaStatus.DEFERRED
    assert "not in the adopted plan" in big.status_reason
    assert mid.status == small.status == IdeaStatus.SELECTED
    plan = pm_client.get("/portfolio/plan").data.decode()
    assert "Leaner, run 1" in plan


def test_adoption_refused_when_ideas_changed_state(pm_client, make_scenario, ideas):
    big, _, _ = ideas
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    big.status = IdeaStatus.WITHDRAWN  # fixture shortcut: the submitter withdrew it
    db.session.commit()
    assert b"changed state" in pm_client.get(f"/portfolio/runs/{run.id}/adopt").data
    response = pm_client.post(f"/portfolio/runs/{run.id}/adopt")
    assert response.status_code == 409 and b"Run the scenario again" in response.data
    assert db.session.get(Run, run.id).adopted_at is None


def test_plan_without_adoption(employee_client):
    page = employee_client.get("/portfolio/plan")
    assert page.status_code == 200 and b"No portfolio plan has been adopted yet" in page.data


def test_compare_runs(pm_client, brm_client, make_scenario, ideas, department):
    big, mid, small = ideas
    base = make_scenario(name="Base", budget={"2027": 250.0})
    leaner = make_scenario(name="Leaner", budget={"2027": 210.0}, force_out=[big.id])
    a, b = _run(pm_client, base), _run(pm_client, leaner)
    response = brm_client.get(f"/portfolio/compare?run={a.id}&run={b.id}")
    assert response.status_code == 200
    html = response.data.decode()
    assert "Base · run 1" in html and "Leaner · run 1" in html
    assert "100.0" in html and "75.0" in html  # objectives side by side
    added = html[html.index("data-added") : html.index("data-removed")]
    assert mid.title in added and small.title in added
    removed = html[html.index("data-removed") : html.index("</table>", html.index("data-removed"))]
    assert big.title in removed
    differ = html[html.index("data-settings-differ") :]
    assert "Budget 2027" in differ and "Forced out" in differ and "Periods" not in differ
    assert department.name in html[html.index("data-split") :]
    assert "Spend per period" in html and "Value by department" in html


def test_compare_against_a_chosen_baseline(pm_client, make_scenario, ideas):
    big, mid, small = ideas
    base = make_scenario(name="Base", budget={"2027": 250.0})
    leaner = make_scenario(name="Leaner", budget={"2027": 210.0}, force_out=[big.id])
    a, b = _run(pm_client, base), _run(pm_client, leaner)
    html = pm_client.get(f"/portfolio/compare?run={a.id}&run={b.id}&base={b.id}").data.decode()
    assert f'<option value="{b.id}" selected>Leaner · run 1</option>' in html
    assert "Added vs Leaner · run 1" in html and "Removed vs Leaner · run 1" in html
    added = html[html.index("data-added") : html.index("data-removed")]
    assert big.title in added and mid.title not in added, added
    assert "(+25.0 vs Leaner · run 1)" in html  # 100 against 75
    assert "(-1 vs Leaner · run 1)" in html  # 1 idea against 2
    wrong = pm_client.get(f"/portfolio/compare?run={a.id}&run={b.id}&base=999")
    assert wrong.status_code == 400 and b"baseline must be one of the runs" in wrong.data


@pytest.mark.parametrize("count", [0, 1, 6])
def test_compare_needs_two_to_five_runs(pm_client, make_scenario, ideas, count):
    scenario = make_scenario()
    runs = [_run(pm_client, scenario) for _ in range(min(count, 6))]
    query = "&".join(f"run={r.id}" for r in runs)
    response = pm_client.get(f"/portfolio/compare?{query}")
    assert response.status_code == 400 and b"between 2 and 5 runs" in response.data


def test_exports_read_back(brm_client, pm_client, make_scenario, ideas):
    big, mid, small = ideas
    run = _run(pm_client, make_scenario(budget={"2027": 300.0}))
    response = brm_client.get(f"/portfolio/runs/{run.id}/selection.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(codecs.BOM_UTF8)  # Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert {r["Reference"] for r in rows} == {idea_ref(big.id), idea_ref(mid.id)}
    by_ref = {r["Reference"]: r for r in rows}
    assert float(by_ref[idea_ref(big.id)]["Value"]) == 100.0
    assert float(by_ref[idea_ref(big.id)]["Cost 2027"]) == 200.0
    assert by_ref[idea_ref(mid.id)]["Title"] == mid.title

    response = brm_client.get(f"/portfolio/runs/{run.id}/selection.xlsx")
    book = load_workbook(io.BytesIO(response.data))
    sheet = book["Selection"]
    header = [c.value for c in sheet[1]]
    values = [
        dict(zip(header, [c.value for c in row], strict=True)) for row in sheet.iter_rows(min_row=2)
    ]
    assert {v["Reference"] for v in values} == {idea_ref(big.id), idea_ref(mid.id)}
    spend = {row[0].value: row[1].value for row in book["Spend"].iter_rows(min_row=2)}
    assert spend["2027"] == 300.0
    settings = {row[0].value: row[1].value for row in book["Settings"].iter_rows(min_row=2)}
    assert settings["Budget 2027"] == "300"

    problem = json.loads(brm_client.get(f"/portfolio/runs/{run.id}/problem.json").data)
    assert problem == run.problem
    mps = brm_client.get(f"/portfolio/runs/{run.id}/problem.mps").data.decode()
    assert "ROWS" in mps and "COLUMNS" in mps
    for name in ("spend", "departments", "frontier", "robustness"):
        png = brm_client.get(f"/portfolio/runs/{run.id}/charts/{name}.png")
        assert png.status_code == 200 and png.data.startswith(b"\x89PNG"), name
    assert brm_client.get(f"/portfolio/runs/{run.id}/charts/nope.png").status_code == 404


def test_employees_cannot_read_runs(employee_client, pm_client, make_scenario, ideas):
    run = _run(pm_client, make_scenario())
    for path in (
        "",
        "/status.json",
        "/selection.csv",
        "/selection.xlsx",
        "/problem.json",
        "/problem.mps",
        "/charts/spend.png",
        "/roadmap",
        "/roadmap.png",
    ):
        assert employee_client.get(f"/portfolio/runs/{run.id}{path}").status_code == 403, path
    assert employee_client.get(f"/portfolio/compare?run={run.id}").status_code == 403
