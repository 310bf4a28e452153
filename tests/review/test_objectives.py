"""Objectives, AHP weights, resource pools, touchpoints and department pages."""

from datetime import date, timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import (
    AuditEvent,
    IdeaStatus,
    PoolCapacity,
    ResourcePool,
    StrategicObjective,
    Touchpoint,
)
from portal.review.service import ReviewError
from portal.strategy import ahp
from portal.strategy.objectives import save_objective, set_weights

# Saaty's textbook example (three criteria); its eigenvector and CR are well known.
SAATY = [[1, 1 / 3, 1 / 2], [3, 1, 3], [2, 1 / 3, 1]]


def test_ahp_known_matrix():
    result = ahp.weights(SAATY)
    assert result.weights == pytest.approx([0.1571, 0.5936, 0.2493], abs=5e-4)
    assert result.lambda_max == pytest.approx(3.0536, abs=5e-4)
    assert result.consistency_ratio == pytest.approx(0.0462, abs=5e-4)
    assert result.consistent


def test_ahp_consistent_matrix_gives_exact_ratios_and_zero_cr():
    w = np.array([0.5, 0.3, 0.2])
    result = ahp.weights(np.outer(w, 1 / w))
    assert result.weights == pytest.approx(list(w))
    assert result.consistency_ratio == pytest.approx(0.0, abs=1e-9)


def test_ahp_inconsistent_matrix_is_flagged():
    # A > B, B > C but C > A: circular judgements
    result = ahp.weights(ahp.from_upper(3, {(0, 1): 5, (1, 2): 5, (0, 2): 1 / 5}))
    assert result.consistency_ratio > 0.1 and not result.consistent


@pytest.mark.parametrize(
    ("matrix", "message"),
    [([[1, 2], [2, 1]], "reciprocal"), ([[1, -1], [-1, 1]], "positive"), ([[1, 2]], "square")],
)
def test_ahp_bad_matrices(matrix, message):
    with pytest.raises(ahp.AhpError, match=message):
        ahp.weights(matrix)


def test_ahp_page_calculates_and_applies(pm_client, make_objective):
    objectives = [make_objective(n) for n in ("A cost", "B growth", "C risk")]
    form = {"cmp_0_1": f"{1 / 3:.6f}", "cmp_0_2": f"{1 / 5:.6f}", "cmp_1_2": f"{3:.6f}"}
    page = pm_client.post("/review/objectives/ahp", data={**form, "calculate": "y"})
    assert page.status_code == 200
    assert "Consistency ratio" in page.get_data(as_text=True)
    assert db.session.get(StrategicObjective, objectives[0].id).weight == 1.0  # not applied yet
    done = pm_client.post("/review/objectives/ahp", data={**form, "apply": "y"})
    assert done.status_code == 302
    db.session.rollback()  # see what other connections committed
    weights = [db.session.get(StrategicObjective, o.id).weight for o in objectives]
    expected = ahp.weights(ahp.from_upper(3, {(0, 1): 1 / 3, (0, 2): 1 / 5, (1, 2): 3})).weights
    assert weights == pytest.approx(expected, abs=1e-4)
    assert sum(weights) == pytest.approx(1.0, abs=1e-3)
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "objective_weight")
    ).first()
    assert event.after["method"] == "ahp" and "consistency_ratio" in event.after


def test_ahp_page_warns_above_limit_and_refuses_junk(pm_client, make_objective):
    for n in ("A", "B", "C"):
        make_objective(n)
    form = {
        "cmp_0_1": f"{5:.6f}",
        "cmp_1_2": f"{5:.6f}",
        "cmp_0_2": f"{1 / 5:.6f}",
        "calculate": "y",
    }
    page = pm_client.post("/review/objectives/ahp", data=form).get_data(as_text=True)
    assert "some judgements contradict each other" in page
    bad = pm_client.post("/review/objectives/ahp", data={**form, "cmp_0_1": "42"})
    assert bad.status_code == 400


def test_objectives_crud_and_roles(pm_client, brm_client, make_objective):
    assert brm_client.get("/review/objectives").status_code == 403
    assert brm_client.post("/review/objectives/new", data={"name": "X"}).status_code == 403
    assert (
        pm_client.post(
            "/review/objectives/new",
            data={"name": "Customer experience", "description": "Happier customers", "weight": "2"},
        ).status_code
        == 302
    )
    objective = db.session.scalar(sa.select(StrategicObjective))
    assert (objective.name, objective.weight) == ("Customer experience", 2.0)
    dup = pm_client.post(
        "/review/objectives/new", data={"name": "customer EXPERIENCE", "weight": "1"}
    )
    assert dup.status_code == 409 and "already exists" in dup.get_data(as_text=True)
    neg = pm_client.post(
        f"/review/objectives/{objective.id}/edit", data={"name": "CX", "weight": "-1"}
    )
    assert neg.status_code == 400
    assert pm_client.post(f"/review/objectives/{objective.id}/retire").status_code == 302
    db.session.rollback()  # see what other connections committed
    assert not db.session.get(StrategicObjective, objective.id).active
    assert "retired" in pm_client.get("/review/objectives").get_data(as_text=True)
    pm_client.post(f"/review/objectives/{objective.id}/reinstate")
    db.session.rollback()  # see what other connections committed
    assert db.session.get(StrategicObjective, objective.id).active


def test_direct_weights_refuse_bad_input(pm_client, make_objective):
    a = make_objective("A", weight=1)
    response = pm_client.post("/review/objectives", data={f"weight_{a.id}": "abc"})
    assert response.status_code == 400
    response = pm_client.post("/review/objectives", data={f"weight_{a.id}": "0"})
    assert response.status_code == 400
    assert "At least one weight must be above 0" in response.get_data(as_text=True)
    db.session.rollback()  # see what other connections committed
    assert db.session.get(StrategicObjective, a.id).weight == 1


@pytest.mark.parametrize("weight", ["1e308", "1000001", "-1"])
def test_a_weight_out_of_range_is_refused_where_it_is_typed(pm_client, make_objective, weight):
    a = make_objective("A", weight=1)
    make_objective("B", weight=2)
    response = pm_client.post("/review/objectives", data={f"weight_{a.id}": weight})
    assert response.status_code == 400
    assert "A weight is a number from 0 to 1,000,000" in response.text
    response = pm_client.post("/review/objectives/new", data={"name": "Grow", "weight": weight})
    assert response.status_code == 400
    assert "A weight is a number from 0 to 1,000,000" in response.text
    db.session.rollback()  # see what other connections committed
    assert db.session.get(StrategicObjective, a.id).weight == 1
    assert db.session.scalar(sa.select(sa.func.count(StrategicObjective.id))) == 2


def test_the_weight_rule_is_the_services_too(pm, make_objective):
    a = make_objective("A", weight=1)
    with pytest.raises(ReviewError, match="from 0 to 1,000,000"):
        set_weights(pm, {a.id: 1e308}, "direct")
    with pytest.raises(ReviewError, match="from 0 to 1,000,000"):
        save_objective(pm, a, "A", "", float("nan"))
    assert a.weight == 1


def test_pools(pm_client, brm_client):
    assert brm_client.get("/review/pools").status_code == 403
    response = pm_client.post(
        "/review/pools/new",
        data={
            "name": "Data team",
            "unit": "FTE",
            "capacities-0-period": "2027",
            "capacities-0-capacity": "8",
            "capacities-1-period": "2028",
            "capacities-1-capacity": "9.5",
        },
    )
    assert response.status_code == 302
    pool = db.session.scalar(sa.select(ResourcePool))
    assert {c.period: c.capacity for c in pool.capacities} == {"2027": 8.0, "2028": 9.5}
    assert "9.5" in pm_client.get("/review/pools").get_data(as_text=True)
    edit = pm_client.post(
        f"/review/pools/{pool.id}/edit",
        data={
            "name": "Data team",
            "unit": "FTE",
            "capacities-0-period": "2028",
            "capacities-0-capacity": "10",
        },
    )
    assert edit.status_code == 302
    assert db.session.execute(sa.select(PoolCapacity.period, PoolCapacity.capacity)).all() == [
        ("2028", 10.0)
    ]
    for data, message in [
        ({"capacities-0-period": "2027", "capacities-0-capacity": "-1"}, "amounts are 0 or more"),
        ({"capacities-0-capacity": "4"}, "Say which period this capacity is for."),
        ({"capacities-0-period": "next year", "capacities-0-capacity": "4"}, "A period is a year"),
        (
            {
                "capacities-0-period": "2027",
                "capacities-0-capacity": "1",
                "capacities-1-period": "2027",
                "capacities-1-capacity": "2",
            },
            "appears twice",
        ),
    ]:
        bad = pm_client.post("/review/pools/new", data={"name": "Other", "unit": "FTE", **data})
        assert bad.status_code == 400, data
        assert message in bad.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ResourcePool.id))) == 1


def test_department_page_and_touchpoints(
    brm_client, pm_client, other_brm, client_for, brm, department, employee, make_idea
):
    approved = make_idea(employee, status=IdeaStatus.APPROVED, title="Faster invoicing")
    make_idea(employee, status=IdeaStatus.SUBMITTED)
    form = brm_client.get(f"/review/departments/{department.id}").get_data(as_text=True)
    ideas = form[form.index('id="touchpoint-ideas"') :]
    assert f'type="checkbox" value="{approved.id}"' in ideas  # a click never drops the others
    assert "<select multiple" not in form
    response = brm_client.post(
        f"/review/departments/{department.id}",
        data={
            "held_on": date.today().isoformat(),
            "kind": "workshop",
            "notes": "Quarterly priorities with Fiona.",
            "ideas": [approved.id],
        },
    )
    assert response.status_code == 302
    touchpoint = db.session.scalar(sa.select(Touchpoint))
    assert touchpoint.brm_id == brm.id and [i.id for i in touchpoint.ideas] == [approved.id]
    page = pm_client.get(f"/review/departments/{department.id}").get_data(as_text=True)
    for text in (
        "Fiona Leader",
        "Bob Brm",
        "Quarterly priorities with Fiona.",
        "Faster invoicing",
        'data-status-group="approved"',
        'data-status-group="submitted"',
    ):
        assert text in page
    assert client_for(other_brm).get(f"/review/departments/{department.id}").status_code == 403
    assert "Finance" in brm_client.get("/review/departments").get_data(as_text=True)
    future = brm_client.post(
        f"/review/departments/{department.id}",
        data={"held_on": (date.today() + timedelta(days=10)).isoformat(), "kind": "call"},
    )
    assert future.status_code == 400 and "in the future" in future.get_data(as_text=True)
    junk = brm_client.post(
        f"/review/departments/{department.id}", data={"held_on": "yesterday", "kind": "call"}
    )
    assert junk.status_code == 400
    assert (
        pm_client.post(
            f"/review/departments/{department.id}",
            data={"held_on": date.today().isoformat(), "kind": "call"},
        ).status_code
        == 403
    )
    assert db.session.scalar(sa.select(sa.func.count(Touchpoint.id))) == 1


@pytest.mark.parametrize(
    ("path", "method", "endpoint"),
    [
        ("/review/objectives", "GET", "strategy.objectives"),
        ("/review/objectives/new", "GET", "strategy.objective_form"),
        ("/review/objectives/3/edit", "GET", "strategy.objective_form"),
        ("/review/objectives/3/retire", "POST", "strategy.objective_retire"),
        ("/review/objectives/3/reinstate", "POST", "strategy.objective_reinstate"),
        ("/review/objectives/ahp", "GET", "strategy.objectives_ahp"),
        ("/review/pools", "GET", "strategy.pools"),
        ("/review/pools/new", "GET", "strategy.pool_form"),
        ("/review/pools/3/edit", "GET", "strategy.pool_form"),
        ("/review/", "GET", "review.queue"),
    ],
)
def test_strategy_pages_keep_their_review_addresses(app, path, method, endpoint):
    adapter = app.url_map.bind("converge.example")
    assert adapter.match(path, method=method)[0] == endpoint
