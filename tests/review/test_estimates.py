"""Estimates: versions, the stale-save conflict, strategic value, validation, audit."""

import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditEvent, Estimate, Idea, IdeaStatus, Role
from portal.review.valuation import strategic_value, value_range

S = IdeaStatus


@pytest.fixture
def setup(employee, make_idea, make_objective, make_pool):
    growth = make_objective("Growth", weight=3.0)
    cost = make_objective("Cost", weight=1.0)
    pool = make_pool("Engineering", capacity={"2027": 10.0, "2028": 12.0})
    idea = make_idea(employee, status=S.IN_REVIEW)
    return idea, growth, cost, pool


def _form(growth, cost, pool, base, **over):
    data = {
        "base_version": str(base),
        f"impact_{growth.id}": "3",
        f"impact_{cost.id}": "1",
        "value_low": "0.8",
        "value_likely": "1",
        "value_high": "1.5",
        "risk": "0.25",
        "confidence": "high",
        "notes": "Workshop with finance.",
        "capex_2027": "100000",
        "opex_2027": "5000",
        "opex_2028": "10000",
        f"effort_{pool.id}_2027": "2.5",
        "mark_estimated": "y",
    }
    data.update(over)
    return data


def _base_version(response) -> str:
    return re.search(
        r'name="base_version" type="hidden" value="(\d+)"', response.get_data(as_text=True)
    ).group(1)


def test_strategic_value_formula():
    # 100 * (3*3 + 1*1) / (4 * 4) = 62.5
    assert strategic_value({1: 3, 2: 1}, {1: 3.0, 2: 1.0}) == pytest.approx(62.5)
    assert strategic_value({1: 4, 2: 4}, {1: 0.2, 2: 7}) == pytest.approx(100.0)
    assert strategic_value({}, {1: 1.0}) == 0.0
    assert strategic_value({1: 4}, {}) == 0.0
    assert strategic_value({1: 4, 9: 4}, {1: 1.0, 2: 1.0}) == pytest.approx(50.0)


def test_save_versions_and_mark_estimated(brm_client, brm, setup):
    idea, growth, cost, pool = setup
    page = brm_client.get(f"/review/ideas/{idea.id}/estimate")
    assert page.status_code == 200 and _base_version(page) == "0"
    response = brm_client.post(
        f"/review/ideas/{idea.id}/estimate", data=_form(growth, cost, pool, 0)
    )
    assert response.status_code == 302
    db.session.rollback()  # see what other connections committed
    assert db.session.get(Idea, idea.id).status == S.ESTIMATED
    first = db.session.scalar(sa.select(Estimate).where(Estimate.idea_id == idea.id))
    assert first.version == 1 and first.is_current
    assert {c.period: (c.capex, c.opex) for c in first.costs} == {
        "2027": (100000.0, 5000.0),
        "2028": (0.0, 10000.0),
    }
    assert [(e.pool_id, e.period, e.amount) for e in first.efforts] == [(pool.id, "2027", 2.5)]
    assert strategic_value(first) == pytest.approx(62.5)
    assert value_range(first) == pytest.approx((50.0, 62.5, 93.75))

    page = brm_client.get(f"/review/ideas/{idea.id}/estimate")
    assert _base_version(page) == "1"
    response = brm_client.post(
        f"/review/ideas/{idea.id}/estimate",
        data=_form(growth, cost, pool, 1, **{f"impact_{cost.id}": "4"}),
    )
    assert response.status_code == 302
    rows = db.session.execute(
        sa.select(Estimate.version, Estimate.is_current)
        .where(Estimate.idea_id == idea.id)
        .order_by(Estimate.version)
    ).all()
    assert rows == [(1, False), (2, True)]
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.idea_id == idea.id, AuditEvent.action == "estimate_saved")
        .order_by(AuditEvent.id)
    ).all()
    assert [e.after["version"] for e in events] == [1, 2]
    assert events[1].before["impacts"][str(cost.id)] == 1
    assert events[1].after["impacts"][str(cost.id)] == 4
    assert events[1].actor_id == brm.id

    detail = brm_client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "version 2" in detail and "data-estimate-summary" in detail
    history = brm_client.get(f"/review/ideas/{idea.id}/estimate").get_data(as_text=True)
    assert history.count("<tr") >= 3 and "Bob Brm" in history


def test_stale_save_is_refused_with_what_changed(client_for, brm, make_user, setup):
    idea, growth, cost, pool = setup
    alice, bob = client_for(brm), client_for(make_user(Role.BRM, name="Carla Colleague"))
    alice.post(f"/review/ideas/{idea.id}/estimate", data=_form(growth, cost, pool, 0))
    # both open version 1
    base_a = _base_version(alice.get(f"/review/ideas/{idea.id}/estimate"))
    base_b = _base_version(bob.get(f"/review/ideas/{idea.id}/estimate"))
    assert base_a == base_b == "1"
    ok = bob.post(
        f"/review/ideas/{idea.id}/estimate",
        data=_form(
            growth,
            cost,
            pool,
            base_b,
            risk="0.6",
            capex_2027="250000",
            **{f"impact_{growth.id}": "4"},
        ),
    )
    assert ok.status_code == 302
    stale = alice.post(
        f"/review/ideas/{idea.id}/estimate",
        data=_form(growth, cost, pool, base_a, notes="My own notes"),
    )
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "Carla Colleague saved version 2" in page
    assert "Risk: 0.25 → 0.6" in page
    assert "Impact on Growth: Strong → Extreme" in page
    assert "Cost 2027 capex: 100,000 → 250,000" in page
    assert "My own notes" in page  # the user's entries survive
    assert _base_version(stale) == "2"
    current = db.session.scalar(
        sa.select(Estimate).where(Estimate.idea_id == idea.id, Estimate.is_current)
    )
    assert current.version == 2 and current.risk == 0.6  # nothing overwritten
    # knowingly saving again on top of version 2 works
    again = alice.post(
        f"/review/ideas/{idea.id}/estimate", data=_form(growth, cost, pool, 2, notes="My own notes")
    )
    assert again.status_code == 302


def test_costs_and_effort_accept_amounts_as_typed(brm_client, setup):
    idea, growth, cost, pool = setup
    data = _form(growth, cost, pool, 0, capex_2027="1.5k", opex_2027="1e3", opex_2028="2M")
    response = brm_client.post(f"/review/ideas/{idea.id}/estimate", data=data)
    assert response.status_code == 302, response.text
    estimate = db.session.scalar(sa.select(Estimate))
    costs = {c.period: (c.capex, c.opex) for c in estimate.costs}
    assert costs["2027"] == (1500, 1000) and costs["2028"][1] == 2_000_000


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"risk": "1.5"}, "Number must be between 0 and 1"),
        ({"value_low": "2", "value_likely": "1"}, "0 ≤ low ≤ likely ≤ high"),
        ({"capex_2027": "-5"}, "is negative; amounts are 0 or more."),
        ({"capex_2027": "1e21"}, "is more than 1,000,000,000,000"),
        ({"opex_2027": "lots"}, "is not an amount"),
        ({"value_high": "lots"}, "Not a valid float value"),
        ({"confidence": "certain"}, "Not a valid choice"),
    ],
)
def test_bad_estimates_are_refused(brm_client, setup, change, message):
    idea, growth, cost, pool = setup
    response = brm_client.post(
        f"/review/ideas/{idea.id}/estimate", data=_form(growth, cost, pool, 0, **change)
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Estimate.id))) == 0


def test_each_refused_field_says_one_thing(brm_client, setup):
    idea, growth, cost, pool = setup
    bad = {
        "capex_2027": "abc",
        "opex_2027": "-5",
        "value_high": "lots",
        "lifetime_years": "500",
        "value_profile": "2027: -1",
    }
    response = brm_client.post(
        f"/review/ideas/{idea.id}/estimate", data=_form(growth, cost, pool, 0, **bad)
    )
    assert response.status_code == 400
    summary = response.text.split("data-form-errors")[1].split("</ul>")[0]
    said = re.findall(r"<li>(.*?)</li>", summary)
    assert len(said) == len(bad), said
    assert "Capex 2027: &#39;abc&#39; is not an amount (write 1200000" in " ".join(said)
    assert "Lifetime (years): Between 0 and 50 years." in said
    assert any(s.startswith("Value over time: the weight of 2027") for s in said), said
    response = brm_client.post(
        f"/review/ideas/{idea.id}/estimate",
        data=_form(growth, cost, pool, 0, lifetime_years="99999999999"),
    )
    summary = response.text.split("data-form-errors")[1].split("</ul>")[0]
    assert re.findall(r"<li>(.*?)</li>", summary) == ["Lifetime (years): Between 0 and 50 years."]


def test_estimate_refused_by_role_and_state(
    client_for, employee_client, other_brm, pm_client, employee, make_idea, setup
):
    idea, growth, cost, pool = setup
    data = _form(growth, cost, pool, 0)
    assert employee_client.get(f"/review/ideas/{idea.id}/estimate").status_code == 403
    assert (
        client_for(other_brm).post(f"/review/ideas/{idea.id}/estimate", data=data).status_code
        == 403
    )
    submitted = make_idea(employee, status=S.SUBMITTED)
    response = pm_client.post(f"/review/ideas/{submitted.id}/estimate", data=data)
    assert response.status_code == 409
    assert "Claim it from the queue first" in response.get_data(as_text=True)


def test_weights_change_values_not_estimates(brm_client, pm_client, setup):
    idea, growth, cost, pool = setup
    brm_client.post(f"/review/ideas/{idea.id}/estimate", data=_form(growth, cost, pool, 0))
    estimate = db.session.scalar(sa.select(Estimate))
    assert strategic_value(estimate) == pytest.approx(62.5)
    pm_client.post(
        "/review/objectives", data={f"weight_{growth.id}": "1", f"weight_{cost.id}": "1"}
    )
    db.session.rollback()  # see what other connections committed
    estimate = db.session.scalar(sa.select(Estimate))
    assert [(i.impact) for i in sorted(estimate.impacts, key=lambda i: i.objective_id)] == [3, 1]
    assert strategic_value(estimate) == pytest.approx(50.0)
    assert db.session.scalar(sa.select(sa.func.count(Estimate.id))) == 1


def _blank_form(growth, cost, pool, base):
    """The estimate form as the page sends it with nothing filled in."""
    return {
        "base_version": str(base),
        f"impact_{growth.id}": "0",
        f"impact_{cost.id}": "0",
        "value_low": "1",
        "value_likely": "1",
        "value_high": "1",
        "risk": "0",
        "confidence": "medium",
        "notes": "",
        "mark_estimated": "y",
    }


def test_an_empty_estimate_is_refused_on_the_form_with_what_was_typed(brm_client, setup):
    idea, growth, cost, pool = setup
    data = _blank_form(growth, cost, pool, 0) | {"notes": "Talked to finance; figures later."}
    response = brm_client.post(f"/review/ideas/{idea.id}/estimate", data=data)
    assert response.status_code == 400
    page = response.text
    assert "data-refusal" in page and "An estimate needs an impact on at least one objective" in (
        page
    )
    assert "Talked to finance; figures later." in page  # what was typed stays
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Estimate.id))) == 0
    assert db.session.get(Idea, idea.id).status == S.IN_REVIEW  # not marked estimated


@pytest.mark.parametrize(
    "filled",
    [
        {"capex_2027": "5000"},  # a cost alone says something
        {"opex_2028": "1k"},
        {"impact": "2"},  # an impact alone too
        {"impact": "-1"},  # hindering an objective too
    ],
)
def test_an_impact_or_a_cost_alone_is_enough(brm_client, setup, filled):
    idea, growth, cost, pool = setup
    data = _blank_form(growth, cost, pool, 0)
    if "impact" in filled:
        data[f"impact_{growth.id}"] = filled.pop("impact")
    response = brm_client.post(f"/review/ideas/{idea.id}/estimate", data=data | filled)
    assert response.status_code == 302, response.text
    db.session.rollback()
    assert db.session.get(Idea, idea.id).status == S.ESTIMATED


def test_the_service_refuses_an_empty_estimate_whatever_calls_it(brm, setup):
    from portal.models import Confidence
    from portal.review.estimates import EstimateInput, save_estimate
    from portal.review.service import ReviewError

    idea, growth, _cost, pool = setup
    empty = EstimateInput(
        impacts={growth.id: 0},
        value_low=1.0,
        value_likely=1.0,
        value_high=1.0,
        risk=0.0,
        confidence=Confidence.MEDIUM,
        notes="",
        costs={"2027": (0.0, 0.0)},
        efforts={(pool.id, "2027"): 3.0},  # effort is not a cost
    )
    with pytest.raises(ReviewError) as refused:
        save_estimate(brm, idea, empty, 0, mark_estimated=True)
    assert refused.value.status_code == 400 and refused.value.field == "impacts"


def test_an_idea_whose_estimate_says_nothing_cannot_be_marked_estimated(brm, setup):
    """An estimate may come without impact or cost from the CSV import; marking the idea
    estimated from its page is refused until a reviewer completes it."""
    from portal import workflow
    from portal.models import Confidence

    idea, *_ = setup
    db.session.add(
        Estimate(idea_id=idea.id, version=1, is_current=True, author_id=brm.id,
                 confidence=Confidence.MEDIUM)
    )  # fmt: skip
    db.session.commit()
    with pytest.raises(workflow.TransitionError, match="no impact on any objective and no cost"):
        workflow.apply(idea, "mark_estimated", brm)
