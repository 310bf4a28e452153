"""Recording delivery: steps through the workflow, actual costs, realized value."""

from datetime import date, timedelta

import sqlalchemy as sa

from portal.extensions import db
from portal.models import ActualCost, AuditEvent, IdeaStatus, Notification, RealizedValue, Role

S = IdeaStatus


def test_pm_runs_delivery_end_to_end(
    pm_client, pm, employee, make_idea, make_estimate, make_objective
):
    growth = make_objective("Growth", 1)
    idea = make_idea(employee, S.SELECTED, title="Self-service travel")
    make_estimate(idea, pm, {growth: 2}, {"2027": (100, 0)})
    page = pm_client.get(f"/delivery/ideas/{idea.id}")
    assert page.status_code == 200 and b"Start delivery" in page.data
    assert b"data-cost-form" not in page.data  # nothing to record before delivery starts

    assert pm_client.post(f"/delivery/ideas/{idea.id}/step/start_delivery").status_code == 302
    assert idea.status == S.IN_DELIVERY
    response = pm_client.post(
        f"/delivery/ideas/{idea.id}/costs", data={"period": "2027", "capex": "80", "opex": "5"}
    )
    assert response.status_code == 302
    pm_client.post(f"/delivery/ideas/{idea.id}/costs", data={"period": "2027", "capex": "90"})
    assert pm_client.post(f"/delivery/ideas/{idea.id}/step/deliver").status_code == 302
    assert idea.status == S.DELIVERED
    for value, day in (("40", "2026-03-01"), ("55.5", "2026-06-01")):
        response = pm_client.post(
            f"/delivery/ideas/{idea.id}/value",
            data={"value": value, "as_of": day, "note": "Measured by finance"},
        )
        assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(ActualCost.id))) == 2
    assert [v.value for v in db.session.scalars(sa.select(RealizedValue))] == [40, 55.5]
    page = pm_client.get(f"/delivery/ideas/{idea.id}").get_data(as_text=True)
    assert "55.5" in page and "Measured by finance" in page
    assert "90" in page  # the later record for 2027 counts
    actions = set(
        db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.idea_id == idea.id))
    )
    assert {"status_change", "actual_cost_recorded", "realized_value_recorded"} <= actions
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(Notification.user_id == employee.id)
        )
        >= 3
    )
    detail = pm_client.get(f"/ideas/{idea.id}")
    assert b"data-delivery-panel" in detail.data and b"Record delivery" in detail.data


def test_bad_input_is_400_and_nothing_saved(pm_client, pm, employee, make_idea):
    idea = make_idea(employee, S.IN_DELIVERY)
    cases = [
        ("value", {"value": "101", "as_of": "2026-01-01"}),
        ("value", {"value": "lots", "as_of": "2026-01-01"}),
        ("value", {"value": "50", "as_of": (date.today() + timedelta(days=3)).isoformat()}),
        ("value", {"value": "50"}),
        ("costs", {"period": "", "capex": "1"}),
        ("costs", {"period": "2027", "capex": "-5"}),
        ("costs", {"period": "2027/Q1;drop", "capex": "5"}),
        ("costs", {"period": "banana", "capex": "5"}),
        ("costs", {"period": "2027-Q7", "capex": "5"}),
        ("costs", {"period": "2027", "capex": "99999999999999999999999"}),
    ]
    for kind, data in cases:
        response = pm_client.post(f"/delivery/ideas/{idea.id}/{kind}", data=data)
        assert response.status_code == 400, (kind, data)
    assert db.session.scalar(sa.select(sa.func.count(RealizedValue.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(ActualCost.id))) == 0


def test_recording_needs_delivery_to_have_started(pm_client, employee, make_idea):
    idea = make_idea(employee, S.APPROVED)
    response = pm_client.post(
        f"/delivery/ideas/{idea.id}/value", data={"value": "10", "as_of": "2026-01-01"}
    )
    assert response.status_code == 409
    assert pm_client.post(f"/delivery/ideas/{idea.id}/step/deliver").status_code == 409
    assert pm_client.post(f"/delivery/ideas/{idea.id}/step/approve").status_code == 404
    assert idea.status == S.APPROVED


def test_who_may_record(client_for, make_user, make_department, employee, make_idea, brm):
    idea = make_idea(employee, S.IN_DELIVERY)
    other = make_user(Role.BRM, dept=make_department("Sales"))
    assert client_for(other).get(f"/delivery/ideas/{idea.id}").status_code == 403
    response = client_for(other).post(
        f"/delivery/ideas/{idea.id}/value", data={"value": "10", "as_of": "2026-01-01"}
    )
    assert response.status_code == 403
    assert client_for(employee).get(f"/delivery/ideas/{idea.id}").status_code == 403
    assert client_for(employee).get("/delivery/").status_code == 403
    covering = client_for(brm)
    response = covering.post(
        f"/delivery/ideas/{idea.id}/value", data={"value": "10", "as_of": "2026-01-01"}
    )
    assert response.status_code == 302
    board = covering.get("/delivery/")
    assert board.status_code == 200 and idea.title.encode() in board.data
    assert idea.title.encode() not in client_for(other).get("/delivery/").data


def test_csrf_is_required(database_url, tmp_path, pm, employee, make_idea):
    from tests.conftest import login, make_app

    idea = make_idea(employee, S.IN_DELIVERY)
    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    login(client, pm)
    response = client.post(
        f"/delivery/ideas/{idea.id}/value", data={"value": "10", "as_of": "2026-01-01"}
    )
    with app.app_context():
        db.engine.dispose()
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(RealizedValue.id))) == 0
