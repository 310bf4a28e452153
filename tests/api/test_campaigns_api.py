"""The campaigns API: who sees which campaign, its ideas, and who may create one."""

from datetime import date, timedelta

import pytest

from portal.extensions import db
from portal.models import Campaign, PlanOutcome, Role, Run, Scenario, utcnow


@pytest.fixture
def campaign(app, pm, department):
    c = Campaign(
        title="Faster payments", question="How can we be paid faster?", sponsor=pm,
        opens_on=date.today(), closes_on=date.today() + timedelta(days=9), published_at=utcnow(),
        fields=[{"key": "count", "label": "Count", "kind": "number", "choices": [],
                 "required": True}],
    )  # fmt: skip
    c.departments = [department]
    db.session.add(c)
    db.session.commit()
    return c


def test_list_get_and_ideas(api_for, employee, make_idea, campaign):
    idea = make_idea(employee, campaign=campaign, campaign_answers={"count": 12})
    client = api_for(employee)
    [listed] = client.get("/api/v1/campaigns").get_json()
    assert listed["title"] == "Faster payments" and listed["state"] == "open"
    assert listed["fields"][0]["kind"] == "number"
    one = client.get(f"/api/v1/campaigns/{campaign.id}").get_json()
    assert one["departments"] == [{"id": campaign.departments[0].id, "name": "Finance"}]
    ideas = client.get(f"/api/v1/campaigns/{campaign.id}/ideas").get_json()
    assert [i["id"] for i in ideas] == [idea.id]
    assert ideas[0]["answers"] == {"count": 12} and ideas[0]["outcome"] is None
    run = Run(scenario=Scenario(name="Answers", owner=campaign.sponsor), created_by=employee,
              problem={}, adopted_at=utcnow())  # fmt: skip
    db.session.add(PlanOutcome(run=run, idea_id=idea.id, selected=True, reason="In the plan."))
    db.session.commit()
    again = client.get(f"/api/v1/campaigns/{campaign.id}/ideas").get_json()
    assert again[0]["outcome"] == "In the plan."


def test_other_departments_do_not_see_it(api_for, make_user, make_department, campaign):
    outsider = make_user(Role.EMPLOYEE, dept=make_department("Legal"))
    client = api_for(outsider)
    assert client.get("/api/v1/campaigns").get_json() == []
    assert client.get(f"/api/v1/campaigns/{campaign.id}").status_code == 404
    assert client.get(f"/api/v1/campaigns/{campaign.id}/ideas").status_code == 404


BODY = {
    "title": "Greener offices", "question": "How do we use less energy?",
    "opens_on": "2027-01-04", "closes_on": "2027-01-31", "budget_envelope": 100000,
    "fields": "Kilowatt-hours saved: number *",
}  # fmt: skip


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.EMPLOYEE, 403),
        (Role.BRM, 403),
        (Role.PORTFOLIO_MANAGER, 201),
        (Role.ADMIN, 201),
        (Role.LEADER, 201),
    ],  # fmt: skip
)
def test_who_may_create(api_for, make_user, role, status):
    response = api_for(make_user(role)).post("/api/v1/campaigns", json=BODY)
    assert response.status_code == status, response.get_json()
    if status == 201:
        body = response.get_json()
        assert body["state"] == "draft"
        assert body["fields"][0]["key"] == "kilowatt_hours_saved"
        assert response.headers["Location"].endswith(f"/api/v1/campaigns/{body['id']}")


def test_bad_fields_are_422_on_the_field(api_for, pm):
    response = api_for(pm).post("/api/v1/campaigns", json={**BODY, "fields": "Size: colour"})
    assert response.status_code == 422
    assert "fields" in response.get_json()["error"]["fields"]


def test_scenario_api_takes_a_campaign(api_for, pm, campaign):
    body = {"name": "Answers", "periods": ["2027"], "budget": {"2027": 50000},
            "candidate_filter": {"campaign_id": campaign.id}}  # fmt: skip
    response = api_for(pm).post("/api/v1/scenarios", json=body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["candidate_filter"]["campaign_id"] == campaign.id


def test_scenario_api_keeps_a_campaigns_budgets_within_its_envelope(api_for, pm, campaign):
    campaign.budget_envelope = 40000
    db.session.commit()
    body = {"name": "Answers", "periods": ["2027", "2028"],
            "budget": {"2027": 30000, "2028": 20000},
            "candidate_filter": {"campaign_id": campaign.id}}  # fmt: skip
    response = api_for(pm).post("/api/v1/scenarios", json=body)
    assert response.status_code == 422, response.get_json()
    assert "more than the campaign's envelope of 40,000" in str(response.get_json())
