"""Adopting an older run: ideas whose delivery has started since it left them out stay in
the plan (listed as staying, nobody told they are out, their cost counted), and the page
warns that the run is older than changes to its ideas."""

import sqlalchemy as sa

from portal.extensions import db
from portal.models import IdeaStatus, Notification, PlanOutcome
from portal.portfolio import service
from tests.portfolio.test_runs import _run


def _section(page: str, marker: str) -> str:
    return page[page.index(marker) :].split("</ul>", 1)[0]


def _plan_row(pm_client, period: str) -> list[str]:
    plan = pm_client.get("/portfolio/plan").data.decode()
    table = plan[plan.index("data-commitments") :].split("</table>")[0]
    for row in table.split("<tr")[2:]:
        cells = [c.split(">", 1)[1].split("</td>")[0] for c in row.split("<td")[1:]]
        if cells[0] == period:
            return cells
    raise AssertionError(f"no row for {period}")


def _older_run_then_delivery(pm_client, make_scenario, make_candidate, employee):
    """An older run leaves `big` out; a newer one selects it, is adopted, and `big`'s
    delivery starts. Returns (older run, big, small)."""
    big = make_candidate(4, 200.0, submitter=employee)  # value 100
    small = make_candidate(2, 100.0, submitter=employee)  # value 50
    older = _run(pm_client, make_scenario(name="Lean", budget={"2027": 150.0}))
    newer = _run(pm_client, make_scenario(name="Full", budget={"2027": 250.0}))
    assert [s["id"] for s in older.result["selected"]] == [small.reference]
    assert [s["id"] for s in newer.result["selected"]] == [big.reference]
    assert pm_client.post(f"/portfolio/runs/{newer.id}/adopt").status_code == 302
    started = pm_client.post(f"/delivery/ideas/{big.id}/step/start_delivery")
    assert started.status_code == 302
    db.session.rollback()
    assert big.status == IdeaStatus.IN_DELIVERY
    return older, big, small


def test_an_idea_in_delivery_is_not_left_out_by_an_older_run(
    pm_client, make_scenario, make_candidate, employee
):
    older, big, small = _older_run_then_delivery(pm_client, make_scenario, make_candidate, employee)
    page = pm_client.get(f"/portfolio/runs/{older.id}/adopt").data.decode()
    assert big.title in _section(page, "data-underway")
    assert "in delivery or delivered since: it stays in the plan" in page
    assert "data-left-out" not in page  # the only candidate it left out is underway

    # Its spend is counted: 100 of this plan + 200 in delivery against a budget of 150.
    assert "data-excess" in page
    refused = pm_client.post(f"/portfolio/runs/{older.id}/adopt")
    assert refused.status_code == 409 and "overcommits 2027 by 150" in refused.data.decode()
    before = db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(Notification.idea_id == big.id)
    )
    adopted = pm_client.post(f"/portfolio/runs/{older.id}/adopt", data={"accept_excess": "1"})
    assert adopted.status_code == 302
    db.session.rollback()
    assert big.status == IdeaStatus.IN_DELIVERY and small.status == IdeaStatus.SELECTED
    # No "not in the plan" for the idea in delivery: no outcome of this run, nobody told.
    told = db.session.scalars(
        sa.select(Notification.message).where(Notification.idea_id == big.id)
    ).all()
    assert len(told) == before and not any("Not in" in m for m in told)
    assert (
        db.session.scalar(
            sa.select(PlanOutcome).where(
                PlanOutcome.run_id == older.id, PlanOutcome.idea_id == big.id
            )
        )
        is None
    )
    # The plan page counts it among the earlier plans' ideas (the commitments' one rule).
    assert _plan_row(pm_client, "2027")[:5] == ["2027", "100", "200", "300", "150"]
    assert [row["earlier"] for row in service.commitments(older)][:1] == [200.0]


def test_the_adoption_page_warns_when_the_run_is_older_than_changes_to_its_ideas(
    pm_client, make_scenario, make_candidate, employee
):
    older, big, small = _older_run_then_delivery(pm_client, make_scenario, make_candidate, employee)
    page = pm_client.get(f"/portfolio/runs/{older.id}/adopt").data.decode()
    warning = page[page.index("data-changed-since") :].split("</div>", 1)[0]
    assert "This run is older than changes to its ideas" in warning
    assert big.title in warning and "was approved, is in delivery now" in warning
    assert small.title not in warning  # unchanged
    assert f"/portfolio/scenarios/{older.scenario_id}/run" in warning  # re-run from here
    assert "Adopt the plan" in page  # a warning, not a refusal


def test_a_fresh_run_and_a_plan_being_delivered_are_not_stale(
    pm_client, make_scenario, make_candidate, make_estimate, employee, brm
):
    big = make_candidate(4, 200.0, submitter=employee)
    run = _run(pm_client, make_scenario(budget={"2027": 250.0}))
    assert "data-changed-since" not in pm_client.get(f"/portfolio/runs/{run.id}/adopt").text
    assert pm_client.post(f"/portfolio/runs/{run.id}/adopt").status_code == 302
    # Its own adoption's steps and the delivery of what it chose are what it meant.
    assert pm_client.post(f"/delivery/ideas/{big.id}/step/start_delivery").status_code == 302
    assert "data-changed-since" not in pm_client.get(f"/portfolio/runs/{run.id}/adopt").text
    # A new estimate is news: the run weighed the old one.
    make_estimate(big, brm, costs={"2027": 90.0})
    page = pm_client.get(f"/portfolio/runs/{run.id}/adopt").text
    assert "has a new estimate" in page[page.index("data-changed-since") :]
