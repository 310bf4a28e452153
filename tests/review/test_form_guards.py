"""Guards found by trying the pages as a user: keys, limits and read-only views."""

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Estimate, IdeaStatus, Role, StrategicObjective


def test_enter_in_a_weight_box_saves_weights(pm_client, make_objective):
    make_objective("Growth", 1)
    page = pm_client.get("/review/objectives").get_data(as_text=True)
    main = page[page.index("<main") :]
    form = main[main.index('<form method="post"') :]
    first_button = form[form.index("<button") : form.index("</button>")]
    assert "Save weights" in first_button and "formaction" not in first_button
    assert "data-confirm=" in form  # retiring asks first (portal/static/js/converge.js)


def test_absurd_cost_is_refused(brm_client, employee, make_idea, make_objective):
    make_objective("Growth", 1)
    idea = make_idea(employee, status=IdeaStatus.IN_REVIEW)
    response = brm_client.post(
        f"/review/ideas/{idea.id}/estimate",
        data={
            "base_version": "0",
            "value_low": "1",
            "value_likely": "1",
            "value_high": "1",
            "risk": "0",
            "confidence": "medium",
            "capex_2027": "99999999999999999999999",
        },
    )
    assert response.status_code == 400
    assert "is more than 1,000,000,000,000" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Estimate.id))) == 0


def test_uncovered_brm_sees_a_read_only_estimate(
    client_for, make_user, make_department, employee, make_idea
):
    other = make_department("Elsewhere")
    outsider = client_for(make_user(Role.BRM, covers=[other]))
    idea = make_idea(employee, status=IdeaStatus.IN_REVIEW)
    page = outsider.get(f"/review/ideas/{idea.id}/estimate").get_data(as_text=True)
    assert "data-read-only" in page and "<fieldset disabled>" in page


def test_inconsistent_ahp_asks_before_applying(pm_client, make_objective):
    for name in ("A", "B", "C"):
        make_objective(name, 1)
    # A far above B, B far above C, yet C far above A: judgements that contradict.
    data = {
        "calculate": "y",
        "cmp_0_1": "9.000000",
        "cmp_1_2": "9.000000",
        "cmp_0_2": f"{1 / 9:.6f}",
    }
    response = pm_client.post("/review/objectives/ahp", data=data).get_data(as_text=True)
    assert "alert-warning" in response and "Apply these weights anyway?" in response
    weights = db.session.scalars(sa.select(StrategicObjective.weight)).all()
    assert weights == [1, 1, 1]  # calculating alone changes nothing


def test_pool_service_refuses_a_malformed_period(pm):
    """The rule holds for every caller of the service, not only the web form."""
    import pytest

    from portal.review.service import ReviewError
    from portal.strategy import objectives

    with pytest.raises(ReviewError, match="is not a period"):
        objectives.save_pool(pm, None, "Data team", "FTE", {"next year": 4.0})
