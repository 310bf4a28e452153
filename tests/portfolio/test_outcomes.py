"""Adopting a plan tells every candidate's submitter and followers the outcome, in or out and
why, and the idea page shows it with what happens next."""

import pytest

from portal.extensions import db
from portal.models import Follow, IdeaStatus, NoticeKind, Notification, PlanOutcome
from portal.portfolio.outcomes import phrase
from tests.portfolio.test_runs import _run


@pytest.fixture
def data_pool(make_pool):
    return make_pool("Data & analytics", {"2027": 1.5})


@pytest.fixture
def two_ideas(make_candidate, employee, make_user, data_pool):
    wanted = make_candidate(4, 100.0, submitter=employee, efforts={data_pool: {"2027": 1.5}})
    left_out = make_candidate(2, 100.0, submitter=employee, efforts={data_pool: {"2027": 1.5}})
    fan = make_user(email="fan@converge.example")
    db.session.add(Follow(idea_id=left_out.id, user_id=fan.id))
    db.session.commit()
    return wanted, left_out, fan


def _adopt(pm_client, make_scenario, data_pool):
    scenario = make_scenario(
        name="FY27", budget={"2027": 1000.0}, capacity={str(data_pool.id): {"2027": 1.5}}
    )
    run = _run(pm_client, scenario)
    assert pm_client.post(f"/portfolio/runs/{run.id}/adopt").status_code == 302
    db.session.rollback()
    return run


def test_every_candidate_hears_in_or_out_with_the_reason(
    pm_client, employee, make_scenario, data_pool, two_ideas
):
    wanted, left_out, fan = two_ideas
    run = _adopt(pm_client, make_scenario, data_pool)
    outcomes = {o.idea_id: o for o in db.session.scalars(db.select(PlanOutcome))}
    assert outcomes[wanted.id].selected and outcomes[wanted.id].reason == (
        "In the FY27 plan, starting in 2027."
    )
    assert not outcomes[left_out.id].selected
    assert outcomes[left_out.id].reason == (
        "Not in the FY27 plan: it needs 1.5 FTE of Data & analytics in 2027 and none is left; "
        "it would enter with a value of 100 or more."
    )
    assert outcomes[left_out.id].run_id == run.id
    mine = db.session.execute(
        db.select(Notification.idea_id, Notification.kind, Notification.message).where(
            Notification.user_id == employee.id
        )
    ).all()
    assert {(i, k) for i, k, _ in mine} == {
        (wanted.id, NoticeKind.MY_IDEAS.value),
        (left_out.id, NoticeKind.MY_IDEAS.value),
    }  # one notice each: the outcome, not also the transition's own
    theirs = db.session.execute(
        db.select(Notification.kind, Notification.message).where(Notification.user_id == fan.id)
    ).all()
    assert theirs == [
        (NoticeKind.FOLLOWING.value, f"{left_out.reference} “{left_out.title}”: "
         + outcomes[left_out.id].reason)
    ]  # fmt: skip


def test_adopting_the_same_run_again_restates_the_outcomes(
    pm_client, make_scenario, data_pool, two_ideas
):
    run = _adopt(pm_client, make_scenario, data_pool)
    assert pm_client.post(f"/portfolio/runs/{run.id}/adopt").status_code == 302
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(PlanOutcome.id))) == 2


def test_the_idea_page_shows_the_outcome_and_what_happens_next(
    pm_client, employee_client, make_scenario, data_pool, two_ideas
):
    wanted, left_out, _ = two_ideas
    _adopt(pm_client, make_scenario, data_pool)
    page = employee_client.get(f"/ideas/{left_out.id}").data.decode()
    assert 'data-plan-outcome="out"' in page
    assert "it needs 1.5 FTE of Data &amp; analytics in 2027 and none is left" in page
    assert "it stays a candidate for the next portfolio run" in page
    assert 'href="/portfolio/plan"' in page
    stands = page[page.index("data-status-explanation") : page.index("data-plan-outcome")]
    assert "Approved, but not in the current portfolio plan" in stands
    assert "Approved as a candidate for the next portfolio" not in stands  # no longer true
    page = employee_client.get(f"/ideas/{wanted.id}").data.decode()
    assert 'data-plan-outcome="in"' in page and "starts its delivery" in page
    assert db.session.get(type(wanted), wanted.id).status == IdeaStatus.SELECTED


@pytest.mark.parametrize(
    ("explanation", "short", "expected"),
    [
        ({"selected": True}, None, "In the X plan."),
        ({"reason": "forced_out"}, None, "Not in the X plan: the portfolio manager left it"),
        ({"reason": "requires", "related": ["IDEA-7"]}, None, "it requires IDEA-7, which is not"),
        ({"reason": "exclusive", "related": ["IDEA-3"]}, None, "IDEA-3 is in it and excludes"),
        ({"reason": "infeasible"}, None, "no plan that includes it meets"),
        (
            {"reason": "value", "value_to_enter": 28.8},
            [{"kind": "budget", "period": "2027", "need": 300.0, "left": 120.0, "limit": 1e3}],
            "it needs 300 of the 2027 budget and only 120 is left; it would enter with a value "
            "of 28.8 or more.",
        ),
        (
            {"reason": "value"},
            [{"kind": "budget", "period": "2027", "need": 3e6, "left": 0.0, "limit": 1e6}],
            "on its own it costs 3M in 2027, more than the whole 2027 budget of 1M.",
        ),
        ({"reason": "value"}, None, "other ideas bring more value"),
    ],
)
def test_each_reason_is_worded(explanation, short, expected):
    assert expected in phrase("the X plan", explanation, short, {})


def test_a_capacity_chart_says_its_pools_unit(pm_client, make_scenario, data_pool, two_ideas):
    run = _adopt(pm_client, make_scenario, data_pool)
    page = pm_client.get(f"/portfolio/runs/{run.id}").data.decode()
    assert "Data &amp; analytics: use against capacity" in page
    assert f"used ({data_pool.unit})" in page and data_pool.unit == "FTE"
