"""The API's estimate carries value over time, run cost after go-live, lifetime, TCO and NPV."""

import pytest

from portal.models import IdeaStatus


@pytest.fixture
def idea(make_idea, employee):
    return make_idea(employee, status=IdeaStatus.IN_REVIEW)


def test_api_estimate_carries_the_time_fields(brm_api, idea, make_objective):
    growth, cost = make_objective("Growth", weight=3), make_objective("Cost", weight=1)
    body = {
        "base_version": 0,
        "impacts": [
            {"objective_id": growth.id, "impact": 3},
            {"objective_id": cost.id, "impact": -1},
        ],
        "costs": [{"period": "2027", "capex": 1000}],
        "value_profile": {"2027": 1, "2028": 2},
        "run_cost_per_year": 500,
        "lifetime_years": 4,
    }
    response = brm_api.post(f"/api/v1/ideas/{idea.id}/estimates", json=body)
    assert response.status_code == 201, response.get_json()
    saved = response.get_json()
    assert saved["value_profile"] == {"2027": 1.0, "2028": 2.0}
    assert (saved["run_cost_per_year"], saved["lifetime_years"]) == (500.0, 4)
    assert saved["tco"] == 3000.0 and saved["npv_cost"] == 3000.0
    bad = {**body, "base_version": 1, "value_profile": {"someday": 1}}
    response = brm_api.post(f"/api/v1/ideas/{idea.id}/estimates", json=bad)
    assert response.status_code in (400, 422) and "not a period" in response.get_data(as_text=True)
    bad = {**body, "base_version": 1, "value_profile": {"2027\ud800": 1}}
    response = brm_api.post(f"/api/v1/ideas/{idea.id}/estimates", json=bad)
    assert response.status_code == 422 and "half of a character" in response.get_data(as_text=True)
    bad = {**body, "base_version": 1, "impacts": [{"objective_id": cost.id, "impact": -5}]}
    response = brm_api.post(f"/api/v1/ideas/{idea.id}/estimates", json=bad)
    assert response.status_code == 422
