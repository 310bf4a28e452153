"""The review queue: scoping by department, filters, sorting, claim/release, assignment."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditEvent, Idea, IdeaStatus, Notification, Role, utcnow

S = IdeaStatus


def _ids(response) -> list[int]:
    return [int(i) for i in re.findall(r'data-idea="(\d+)"', response.get_data(as_text=True))]


def test_brm_sees_only_covered_departments(
    brm_client, employee, make_user, other_department, make_idea
):
    outsider = make_user(dept=other_department)
    mine = make_idea(employee)
    theirs = make_idea(outsider)
    response = brm_client.get("/review/")
    assert response.status_code == 200
    assert _ids(response) == [mine.id]
    assert theirs.id not in _ids(brm_client.get("/review/?view=all"))


def test_brm_cannot_open_another_departments_queue(brm_client, other_department):
    response = brm_client.get(f"/review/?department={other_department.id}")
    assert response.status_code == 403
    assert "You do not cover that department" in response.get_data(as_text=True)
    assert "were not understood" not in response.get_data(as_text=True)  # it was read, not ignored


def test_brm_covering_two_departments_sees_both(
    client_for, make_user, department, other_department, employee, make_idea
):
    both = make_user(Role.BRM, covers=[department, other_department])
    a = make_idea(employee)
    b = make_idea(make_user(dept=other_department))
    assert sorted(_ids(client_for(both).get("/review/"))) == sorted([a.id, b.id])
    assert _ids(client_for(both).get(f"/review/?department={other_department.id}")) == [b.id]


def test_portfolio_manager_sees_all(pm_client, employee, make_user, other_department, make_idea):
    a = make_idea(employee)
    b = make_idea(make_user(dept=other_department))
    assert sorted(_ids(pm_client.get("/review/"))) == sorted([a.id, b.id])


def test_employee_and_admin_have_no_queue(employee_client, admin_client):
    assert employee_client.get("/review/").status_code == 403
    assert admin_client.get("/review/").status_code == 403


def test_views_filters_and_sorting(app, brm_client, brm, employee, make_idea):
    now = utcnow()
    old = make_idea(employee, submitted_at=now - timedelta(days=30), vote_count=1)
    popular = make_idea(employee, submitted_at=now - timedelta(days=2), vote_count=9)
    held = make_idea(
        employee, status=S.IN_REVIEW, submitted_at=now - timedelta(days=5), assignee=brm
    )
    waiting = make_idea(employee, status=S.NEEDS_INFO)
    make_idea(employee, status=S.DRAFT)
    make_idea(employee, status=S.APPROVED)

    assert _ids(brm_client.get("/review/")) == [old.id, held.id, popular.id]
    assert _ids(brm_client.get("/review/?sort=votes")) == [popular.id, old.id, held.id]
    assert _ids(brm_client.get("/review/?sort=newest")) == [popular.id, held.id, old.id]
    assert _ids(brm_client.get("/review/?unassigned=y")) == [old.id, popular.id]
    assert _ids(brm_client.get("/review/?mine=y")) == [held.id]
    assert _ids(brm_client.get("/review/?view=needs_info")) == [waiting.id]
    assert len(_ids(brm_client.get("/review/?view=all"))) == 4

    page = brm_client.get("/review/?overdue=y")
    assert _ids(page) == [old.id]  # 30 days > REVIEW_OVERDUE_DAYS (14)
    assert "data-overdue" in page.get_data(as_text=True)


def test_oldest_first_is_the_age_shown(brm_client, employee, make_idea):
    """An answered question restarts the wait: the idea submitted first but answered
    yesterday comes after one that has waited ten days, as its Age column says."""
    now = utcnow()
    answered = make_idea(
        employee,
        status=S.IN_REVIEW,
        submitted_at=now - timedelta(days=40),
        waiting_since=now - timedelta(days=1),
    )
    waited = make_idea(employee, submitted_at=now - timedelta(days=10))
    response = brm_client.get("/review/")
    assert _ids(response) == [waited.id, answered.id]
    ages = re.findall(r"(\d+) days?\s*(?:<br>|</td>)", response.get_data(as_text=True))
    assert [int(a) for a in ages] == [10, 1]
    assert _ids(brm_client.get("/review/?sort=newest")) == [answered.id, waited.id]


def test_overdue_days_is_configurable(app, brm_client, employee, make_idea):
    app.config["REVIEW_OVERDUE_DAYS"] = 1
    idea = make_idea(employee, submitted_at=utcnow() - timedelta(days=2))
    assert _ids(brm_client.get("/review/?overdue=y")) == [idea.id]


def test_sort_by_department(pm_client, make_user, make_department, make_idea):
    zeta = make_user(dept=make_department("Zeta"))
    alpha = make_user(dept=make_department("Alpha"))
    z = make_idea(zeta)
    a = make_idea(alpha)
    assert _ids(pm_client.get("/review/?sort=department")) == [a.id, z.id]


def test_bad_filters_are_ignored_with_a_message(brm_client, employee, make_idea):
    idea = make_idea(employee)
    response = brm_client.get("/review/?sort=bogus&view=nope&page=abc")
    assert response.status_code == 200
    assert "were not understood" in response.get_data(as_text=True)
    assert _ids(response) == [idea.id]


@pytest.mark.parametrize("query", ["campaign=99999", "campaign=x", "department=abc"])
def test_a_filter_that_is_ignored_is_not_applied(brm_client, employee, make_idea, query):
    idea = make_idea(employee)
    response = brm_client.get(f"/review/?{query}")
    assert response.status_code == 200
    assert "were not understood" in response.get_data(as_text=True)
    assert _ids(response) == [idea.id]


def test_claim_starts_review_and_release(brm_client, brm, employee, make_idea):
    idea = make_idea(employee)
    response = brm_client.post(f"/review/ideas/{idea.id}/claim", data={"next": "/review/"})
    assert response.status_code == 302 and response.location.endswith("/review/")
    db.session.rollback()  # see what other connections committed
    idea = db.session.get(Idea, idea.id)
    assert idea.assignee_id == brm.id and idea.status == S.IN_REVIEW
    assert brm_client.post(f"/review/ideas/{idea.id}/release").status_code == 302
    db.session.rollback()  # see what other connections committed
    assert db.session.get(Idea, idea.id).assignee_id is None
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.idea_id == idea.id).order_by(AuditEvent.id)
    ).all()
    assert actions == ["claimed", "status_change", "released"]


def test_claim_refused_when_held_or_not_covered(
    client_for, make_user, brm, other_brm, employee, make_idea
):
    colleague = make_user(Role.BRM)
    idea = make_idea(employee, status=S.IN_REVIEW, assignee=colleague)
    response = client_for(brm).post(f"/review/ideas/{idea.id}/claim")
    assert response.status_code == 409
    assert "already holds it" in response.get_data(as_text=True)
    assert client_for(brm).post(f"/review/ideas/{idea.id}/release").status_code == 403
    free = make_idea(employee)
    assert client_for(other_brm).post(f"/review/ideas/{free.id}/claim").status_code == 403
    db.session.rollback()  # see what other connections committed
    assert db.session.get(Idea, free.id).assignee_id is None


def test_bulk_assign_by_portfolio_manager(pm_client, pm, brm, employee, make_idea):
    ideas = [make_idea(employee) for _ in range(3)]
    response = pm_client.post(
        "/review/assign", data={"assignee": brm.id, "idea_ids": [i.id for i in ideas[:2]]}
    )
    assert response.status_code == 302
    db.session.rollback()  # see what other connections committed
    assert [db.session.get(Idea, i.id).assignee_id for i in ideas] == [brm.id, brm.id, None]
    told = db.session.scalars(
        sa.select(Notification.message).where(Notification.user_id == brm.id)
    ).all()
    assert any("assigned you 2 ideas" in m for m in told)
    # reassign one to the PM
    pm_client.post("/review/assign", data={"assignee": pm.id, "idea_ids": [ideas[0].id]})
    db.session.rollback()  # see what other connections committed
    assert db.session.get(Idea, ideas[0].id).assignee_id == pm.id


def test_assign_is_all_or_nothing(
    pm_client, brm, other_brm, employee, make_user, other_department, make_idea
):
    ours = make_idea(employee)
    theirs = make_idea(make_user(dept=other_department))
    response = pm_client.post(
        "/review/assign", data={"assignee": brm.id, "idea_ids": [ours.id, theirs.id]}
    )
    assert response.status_code == 400
    assert f"does not cover the department of {theirs.reference}" in response.get_data(as_text=True)
    db.session.rollback()  # see what other connections committed
    assert db.session.get(Idea, ours.id).assignee_id is None


def test_assign_needs_pm_and_a_choice(brm_client, pm_client, brm, employee, make_idea):
    idea = make_idea(employee)
    assert (
        brm_client.post(
            "/review/assign", data={"assignee": brm.id, "idea_ids": [idea.id]}
        ).status_code
        == 403
    )
    assert pm_client.post("/review/assign", data={"assignee": brm.id}).status_code == 400
    assert pm_client.post("/review/assign", data={"assignee": "x"}).status_code == 400


def test_queue_page_shows_columns(brm_client, brm, employee, make_idea, make_objective):
    objective = make_objective("Customer experience")
    make_idea(employee, objectives=[objective], submitted_at=utcnow() - timedelta(days=3))
    page = brm_client.get("/review/").get_data(as_text=True)
    for text in ("Customer experience", "Finance", "3 days", "unassigned", "Claim", "▲ 0"):
        assert text in page


def test_the_queue_page_reads_its_lists_in_one_query(
    brm_client, pm_client, brm, employee, make_idea
):
    """Signing in, then the departments, campaigns and (for a portfolio manager) whom to
    assign to in one query, then the page of ideas with its count: three statements."""
    option = f'<option value="{brm.id}">{brm.name} ('  # a reviewer to assign to
    for _ in range(3):
        make_idea(employee, status=S.SUBMITTED)
    for client in (brm_client, pm_client):
        assert client.get("/review/").status_code == 200
        db.session.remove()
        seen = []

        def note(conn, cursor, statement, *args, seen=seen):
            seen.append(" ".join(statement.split()))

        sa.event.listen(db.engine, "before_cursor_execute", note)
        try:
            html = client.get("/review/").get_data(as_text=True)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", note)
        assert len([s for s in seen if s.startswith("SELECT")]) == 3, seen
        assert html.count('data-idea="') == 3
    assert option in html
