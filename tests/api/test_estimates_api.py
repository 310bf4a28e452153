"""The estimates API: who may read and write, versions kept, stale saves refused (409)."""

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditEvent, Estimate, IdeaStatus, ResourcePool, Role
from tests.api.conftest import error_of


@pytest.fixture
def idea(make_idea, employee):
    return make_idea(employee, status=IdeaStatus.IN_REVIEW)


@pytest.fixture
def pool(app):
    pool = ResourcePool(name="Engineering", unit="FTE")
    db.session.add(pool)
    db.session.commit()
    return pool


def estimate(base_version: int, **fields) -> dict:
    """An estimate to post: a cost at least, since an estimate that says nothing is refused."""
    return {"base_version": base_version, "costs": [{"period": "2027", "capex": 1000}], **fields}


def test_an_estimate_that_says_nothing_is_refused(brm_api, idea):
    response = brm_api.post(f"/api/v1/ideas/{idea.id}/estimates", json={"base_version": 0})
    assert response.status_code == 422
    assert "impacts" in error_of(response)["fields"]
    assert db.session.scalar(sa.select(sa.func.count(Estimate.id))) == 0


def test_first_estimate_and_reading_it(brm_api, brm, idea, make_objective, pool):
    objective = make_objective("Growth", weight=2)
    url = f"/api/v1/ideas/{idea.id}/estimates"
    assert brm_api.get(url + "/current").status_code == 404
    assert brm_api.get(url).get_json() == []
    payload = estimate(
        0,
        value_low=0.5,
        value_likely=1.0,
        value_high=2.0,
        risk=0.25,
        confidence="high",
        notes="From the workshop.",
        impacts=[{"objective_id": objective.id, "impact": 3}],
        costs=[{"period": "2027", "capex": 100000, "opex": 5000}, {"period": "2028"}],
        efforts=[{"pool_id": pool.id, "period": "2027", "amount": 1.5}],
    )
    response = brm_api.post(url, json=payload)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["version"] == 1 and body["is_current"] and body["author"]["id"] == brm.id
    assert body["total_cost"] == 105000
    assert body["impacts"] == [{"objective_id": objective.id, "objective": "Growth", "impact": 3}]
    assert body["efforts"][0]["pool"] == "Engineering"
    # The strategic value of portal.review.valuation: 100 * 2*3 / (4*2) = 75, times the range.
    assert body["strategic_value"] == 75.0
    assert body["value_range"] == {"low": 37.5, "likely": 75.0, "high": 150.0}
    assert brm_api.get(url + "/current").get_json() == body
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "estimate_saved"))
    assert audit.idea_id == idea.id and audit.after["version"] == 1
    assert audit.after["strategic_value"] == 75.0 and audit.after["total_cost"] == 105000
    # Saving through the API does not change the idea's state unless asked.
    db.session.refresh(idea)
    assert idea.status == IdeaStatus.IN_REVIEW


def test_value_follows_todays_weights(brm_api, idea, make_objective):
    growth, cost = make_objective("Growth", weight=1), make_objective("Cost", weight=1)
    url = f"/api/v1/ideas/{idea.id}/estimates"
    impacts = [{"objective_id": growth.id, "impact": 4}, {"objective_id": cost.id, "impact": 0}]
    assert brm_api.post(url, json=estimate(0, impacts=impacts)).get_json()["strategic_value"] == 50
    cost.weight = 3
    db.session.commit()
    assert brm_api.get(url + "/current").get_json()["strategic_value"] == 25


def test_mark_estimated_like_the_form(brm_api, idea, make_objective):
    objective = make_objective("Growth")
    payload = estimate(0, impacts=[{"objective_id": objective.id, "impact": 2}])
    response = brm_api.post(
        f"/api/v1/ideas/{idea.id}/estimates", json={**payload, "mark_estimated": True}
    )
    assert response.status_code == 201, response.get_json()
    db.session.refresh(idea)
    assert idea.status == IdeaStatus.ESTIMATED


def test_selected_ideas_are_re_estimated_like_on_the_form(brm_api, employee, make_idea):
    selected = make_idea(employee, status=IdeaStatus.SELECTED)
    response = brm_api.post(f"/api/v1/ideas/{selected.id}/estimates", json=estimate(0))
    assert response.status_code == 201


def test_new_version_keeps_the_old_one(brm_api, idea):
    url = f"/api/v1/ideas/{idea.id}/estimates"
    assert brm_api.post(url, json=estimate(0, risk=0.1)).status_code == 201
    response = brm_api.post(url, json=estimate(1, risk=0.3))
    assert response.status_code == 201 and response.get_json()["version"] == 2
    versions = brm_api.get(url).get_json()
    assert [(v["version"], v["is_current"], v["risk"]) for v in versions] == [
        (2, True, 0.3),
        (1, False, 0.1),
    ]


def test_stale_base_version_is_409_and_saves_nothing(brm_api, pm_api, idea):
    url = f"/api/v1/ideas/{idea.id}/estimates"
    assert brm_api.post(url, json=estimate(0, risk=0.1)).status_code == 201
    # The portfolio manager also started from "no estimate yet": too late.
    response = pm_api.post(url, json=estimate(0, risk=0.9))
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "stale_version"
    assert "version 1" in error["message"] and "Bob Brm" in error["message"]
    # What changed since the version the caller started from, as on the estimate form.
    assert error["current_version"] == 1
    assert "Risk: — → 0.1" in error["changes"]
    # A base from the future is just as stale.
    assert pm_api.post(url, json=estimate(5)).status_code == 409
    assert db.session.scalar(sa.select(sa.func.count(Estimate.id))) == 1
    assert brm_api.get(url + "/current").get_json()["risk"] == 0.1


def test_employees_and_admins_may_not_read_estimates(api_for, employee, admin, idea):
    for user in (employee, admin):
        api = api_for(user)
        for response in (
            api.get(f"/api/v1/ideas/{idea.id}/estimates"),
            api.get(f"/api/v1/ideas/{idea.id}/estimates/current"),
            api.post(f"/api/v1/ideas/{idea.id}/estimates", json=estimate(0)),
        ):
            assert response.status_code == 403
            assert error_of(response)["code"] == "forbidden"


def test_brm_of_another_department_may_read_but_not_write(
    api_for, make_user, make_department, idea
):
    outsider = make_user(Role.BRM, covers=[make_department("Sales")])
    api = api_for(outsider)
    assert api.get(f"/api/v1/ideas/{idea.id}/estimates").status_code == 200
    response = api.post(f"/api/v1/ideas/{idea.id}/estimates", json=estimate(0))
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Estimate.id))) == 0


@pytest.mark.parametrize("status", [IdeaStatus.SUBMITTED, IdeaStatus.REJECTED])
def test_idea_not_under_review_is_409(brm_api, employee, make_idea, status):
    idea = make_idea(employee, status=status)
    response = brm_api.post(f"/api/v1/ideas/{idea.id}/estimates", json=estimate(0))
    assert response.status_code == 409 and error_of(response)["code"] == "conflict"


def test_draft_estimates_are_404(brm_api, pm_api, employee, pm, make_idea):
    draft = make_idea(employee, status=IdeaStatus.DRAFT)
    assert brm_api.get(f"/api/v1/ideas/{draft.id}/estimates").status_code == 404
    own = make_idea(pm, status=IdeaStatus.DRAFT)  # like the estimate page: even your own
    assert pm_api.get(f"/api/v1/ideas/{own.id}/estimates").status_code == 404
    assert pm_api.post(f"/api/v1/ideas/{own.id}/estimates", json=estimate(0)).status_code == 404


@pytest.mark.parametrize(
    "fields, bad",
    [
        ({}, "base_version"),
        ({"base_version": -1}, "base_version"),
        ({"base_version": 0, "value_low": 2, "value_likely": 1}, "value_low"),
        ({"base_version": 0, "risk": 1.5}, "risk"),
        ({"base_version": 0, "confidence": "certain"}, "confidence"),
        ({"base_version": 0, "impacts": [{"objective_id": 1, "impact": 5}]}, "impacts"),
        ({"base_version": 0, "costs": [{"period": "2027", "capex": -1}]}, "costs"),
        ({"base_version": 0, "costs": [{"period": "2027"}, {"period": "2027"}]}, "costs"),
        ({"base_version": 0, "impacts": [{"objective_id": 999, "impact": 1}]}, "impacts"),
        ({"base_version": 0, "efforts": [{"pool_id": 999, "period": "2027"}]}, "efforts"),
    ],
)
def test_invalid_estimate_is_422_with_fields(brm_api, idea, fields, bad):
    response = brm_api.post(f"/api/v1/ideas/{idea.id}/estimates", json=fields)
    assert response.status_code == 422, response.get_json()
    assert bad in error_of(response)["fields"]
    assert db.session.scalar(sa.select(sa.func.count(Estimate.id))) == 0
