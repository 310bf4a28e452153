"""Plans add up: a scenario's budget is the total (the plan's ideas are candidates) or what
remains after the plan; adopting a plan that overcommits a period shows the excess and needs
a confirmation."""

import pytest

from portal.extensions import db
from portal.models import BudgetMode, IdeaStatus, Run
from portal.portfolio.problem import idea_ref
from tests.portfolio.test_runs import _run


@pytest.fixture
def ideas(make_candidate, employee):
    big = make_candidate(4, 200.0, submitter=employee)  # value 100
    mid = make_candidate(2, 100.0, submitter=employee)  # value 50
    small = make_candidate(1, 100.0, submitter=employee)  # value 25
    return big, mid, small


def _adopt_first(pm_client, make_scenario, ideas):
    big, mid, small = ideas
    first = _run(pm_client, make_scenario(name="First", budget={"2027": 250.0}))
    # The preview names the candidates left out too: they keep their state and hear why.
    preview = pm_client.get(f"/portfolio/runs/{first.id}/adopt").data.decode()
    left_out = preview[preview.index("data-left-out") :]
    assert "2 candidates not in this plan keep their state" in left_out
    assert mid.title in left_out and small.title in left_out and big.title not in left_out
    assert pm_client.post(f"/portfolio/runs/{first.id}/adopt").status_code == 302
    db.session.rollback()
    assert big.status == IdeaStatus.SELECTED
    return first


def test_a_total_budget_counts_the_plan_and_a_remaining_one_leaves_it_alone(
    pm_client, make_scenario, ideas
):
    big, mid, small = ideas
    _adopt_first(pm_client, make_scenario, ideas)
    total = _run(pm_client, make_scenario(name="Total", budget={"2027": 250.0}))
    refs = {c["id"] for c in total.problem["candidates"]}
    assert idea_ref(big.id) in refs  # the selection is a candidate that may be kept
    assert total.settings["display"]["Budget means"].startswith("the total")
    remaining = make_scenario(name="Rest", budget={"2027": 100.0}, budget_mode=BudgetMode.REMAINING)
    run = _run(pm_client, remaining)
    assert idea_ref(big.id) not in {c["id"] for c in run.problem["candidates"]}
    assert run.settings["plan_costs"] == {"2027": 200.0}
    # 100 left after the plan's 200: the plan and this run together stay within 300.
    preview = pm_client.get(f"/portfolio/runs/{run.id}/adopt").data.decode()
    assert "data-excess" not in preview
    staying = preview[preview.index("data-staying") :]
    assert "1 idea of the current plan that this run did not weigh stays in the plan" in staying
    assert big.title in staying


def test_an_overcommitting_plan_shows_the_excess_and_needs_a_confirmation(
    pm_client, make_scenario, ideas
):
    big, mid, small = ideas
    _adopt_first(pm_client, make_scenario, ideas)
    # A total budget of 250 that does not consider the selected idea (it stays, costing 200).
    narrow = make_scenario(
        name="Narrow", budget={"2027": 250.0}, candidate_filter={"states": ["approved"]}
    )
    run = _run(pm_client, narrow)
    assert {s["id"] for s in run.result["selected"]} == {idea_ref(mid.id), idea_ref(small.id)}
    preview = pm_client.get(f"/portfolio/runs/{run.id}/adopt").data.decode()
    excess = preview[preview.index("data-excess") :]
    assert "<td>2027</td>" in excess and "400" in excess and "150" in excess
    refused = pm_client.post(f"/portfolio/runs/{run.id}/adopt")
    assert refused.status_code == 409
    assert "This plan overcommits 2027 by 150" in refused.data.decode()
    db.session.rollback()
    assert db.session.get(Run, run.id).adopted_at is None and mid.status == IdeaStatus.APPROVED
    accepted = pm_client.post(f"/portfolio/runs/{run.id}/adopt", data={"accept_excess": "1"})
    assert accepted.status_code == 302
    db.session.rollback()
    assert mid.status == small.status == big.status == IdeaStatus.SELECTED
    # The plan page adds the earlier plan's idea to this one's and says what is over.
    plan = pm_client.get("/portfolio/plan").data.decode()
    row = plan[plan.index("data-commitments") :].split("<tr", 2)[2].split("</tr>")[0]
    cells = [c.split(">", 1)[1].split("</td>")[0] for c in row.split("<td")[1:]]
    assert cells[:5] == ["2027", "200", "200", "400", "250"] and "over by 150" in cells[5]


def test_the_scenario_form_asks_what_the_budget_means(pm_client):
    page = pm_client.get("/portfolio/scenarios/new").data.decode()
    assert "data-budget-mode" in page and "Remaining budget" in page
    assert "data-plan-costs" not in page  # no plan yet: nothing to add up
    mode = page[page.index("data-budget-mode") : page.index("Remaining budget")]
    assert "checked" in mode and 'value="total"' in mode


def test_compare_tells_dropped_ideas_from_ones_a_run_never_weighed(pm_client, make_scenario, ideas):
    big, mid, small = ideas
    first = _adopt_first(pm_client, make_scenario, ideas)
    rest = make_scenario(name="Rest", budget={"2027": 200.0}, budget_mode=BudgetMode.REMAINING)
    other = _run(pm_client, rest)  # the plan's idea is no candidate: it stays in the plan
    dropping = _run(
        pm_client, make_scenario(name="Drop", budget={"2027": 200.0}, force_out=[big.id])
    )
    assert idea_ref(big.id) not in {s["id"] for s in dropping.result["selected"]}
    html = pm_client.get(
        f"/portfolio/compare?run={first.id}&run={other.id}&run={dropping.id}&base={first.id}"
    ).data.decode()
    cells = html[html.index("data-removed") :].split("data-removed")
    assert "data-not-weighed" in cells[2] and big.title in cells[2]
    assert "adopting it leaves them as they are" in cells[2]
    assert "− " not in cells[2]  # not listed as removed
    assert "data-not-weighed" not in cells[3] and "− " in cells[3] and big.title in cells[3]


def test_the_scenario_form_says_what_the_plan_commits(pm_client, make_scenario, ideas):
    _adopt_first(pm_client, make_scenario, ideas)
    page = pm_client.get("/portfolio/scenarios/new").data.decode()
    said = page[page.index("data-plan-costs") :]
    assert "commits 200 in 2027: a total budget includes this" in said


def test_the_plan_roadmap_and_spend_chart_show_the_whole_plan(pm_client, make_scenario, ideas):
    """The roadmap and the spend chart showed the latest run's ideas alone; the earlier
    plans' ideas that stay (the table's "Earlier plans") are on them too, marked."""
    big, mid, small = ideas
    _adopt_first(pm_client, make_scenario, ideas)
    rest = make_scenario(name="Rest", budget={"2027": 100.0}, budget_mode=BudgetMode.REMAINING)
    run = _run(pm_client, rest)
    assert [s["id"] for s in run.result["selected"]] == [idea_ref(mid.id)]
    assert pm_client.post(f"/portfolio/runs/{run.id}/adopt").status_code == 302

    roadmap = pm_client.get("/portfolio/plan/roadmap").get_data(as_text=True)
    rows = {
        ref: roadmap[roadmap.index(f'data-bar="{ref}"') :].split("</tr>")[0]
        for ref in (idea_ref(big.id), idea_ref(mid.id))
    }
    assert "data-earlier-plan" in rows[idea_ref(big.id)] and "earlier plan" in rows[big.reference]
    assert "data-earlier-plan" not in rows[idea_ref(mid.id)]
    budget_row = roadmap[roadmap.index("data-budget-use") :].split("</tr>")[0]
    assert "Committed" in budget_row and "300 / 300" in budget_row  # 100 + 200 earlier
    assert f"{big.reference} (earlier plan) {big.title}" in roadmap  # in the chart too
    # The run's own roadmap stays the run's.
    own = pm_client.get(f"/portfolio/runs/{run.id}/roadmap").get_data(as_text=True)
    assert f'data-bar="{idea_ref(big.id)}"' not in own
    assert pm_client.get("/portfolio/plan/roadmap.png").status_code == 200

    plan = pm_client.get("/portfolio/plan").get_data(as_text=True)
    chart = plan[plan.index("Spend against budget") - 400 :].split("</svg>")[0]
    assert "2027: earlier plans 200, this plan 100, limit 300" in chart
