"""Touchpoints: notes are required; the BRM who logged one edits and deletes it, audited."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditEvent, IdeaStatus, Notification, Role, Touchpoint

TODAY = date.today().isoformat()


@pytest.fixture
def leader(make_user, department):
    leader = make_user(Role.LEADER, name="Fiona Leader", email="fiona@x.example")
    department.leader = leader
    db.session.commit()
    return leader


def _log(client, department, **data):
    return client.post(
        f"/review/departments/{department.id}",
        data={"held_on": TODAY, "kind": "meeting", **data},
    )


@pytest.fixture
def touchpoint(brm_client, department, employee, make_idea):
    idea = make_idea(employee, status=IdeaStatus.SUBMITTED, title="Faster invoicing")
    assert _log(brm_client, department, notes="Budget round.", ideas=[idea.id]).status_code == 302
    return db.session.scalar(sa.select(Touchpoint))


@pytest.mark.parametrize("notes", ["", "   \n "])
def test_a_touchpoint_without_notes_is_refused_and_nobody_is_told(
    brm_client, department, leader, notes
):
    response = _log(brm_client, department, notes=notes, kind="call")
    assert response.status_code == 400
    page = response.text
    assert "Write what was discussed" in page and "is-invalid" in page
    assert 'value="call" selected' in page or 'selected value="call"' in page  # kept as chosen
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Touchpoint.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


def test_the_notes_are_marked_required(brm_client, department):
    page = brm_client.get(f"/review/departments/{department.id}").text
    notes = page[page.index('name="notes"') - 300 : page.index('name="notes"') + 100]
    assert 'aria-required="true"' in notes and "what was discussed" in page


def test_its_brm_edits_a_touchpoint_from_the_department_page(
    brm_client, brm, department, touchpoint, employee, make_idea
):
    page = brm_client.get(f"/review/departments/{department.id}").text
    edit_url = f"/review/touchpoints/{touchpoint.id}"
    assert f'href="{edit_url}"' in page and f'action="{edit_url}/delete"' in page
    form = brm_client.get(edit_url).text
    assert "Budget round." in form and TODAY in form
    other = make_idea(employee, status=IdeaStatus.SUBMITTED, title="Cash forecast")
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    edited = {"held_on": yesterday, "kind": "call", "notes": "Budget round, Q3.", "ideas": other.id}
    response = brm_client.post(edit_url, data=edited)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/review/departments/{department.id}#touchpoint-{touchpoint.id}"
    )
    db.session.rollback()
    changed = db.session.get(Touchpoint, touchpoint.id)
    assert (changed.notes, changed.kind.value, changed.held_on.isoformat()) == (
        "Budget round, Q3.",
        "call",
        yesterday,
    )
    assert [i.id for i in changed.ideas] == [other.id]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "touchpoint_edited"))
    assert event.actor_id == brm.id and event.object_id == touchpoint.id
    assert event.before["notes"] == "Budget round." and event.after["notes"] == "Budget round, Q3."


def test_an_edit_may_not_empty_the_notes(brm_client, touchpoint):
    response = brm_client.post(
        f"/review/touchpoints/{touchpoint.id}",
        data={"held_on": TODAY, "kind": "meeting", "notes": " "},
    )
    assert response.status_code == 400 and "Write what was discussed" in response.text
    db.session.rollback()
    assert db.session.get(Touchpoint, touchpoint.id).notes == "Budget round."


def test_its_brm_deletes_a_touchpoint_and_the_audit_trail_keeps_it(
    brm_client, brm, department, touchpoint
):
    response = brm_client.post(f"/review/touchpoints/{touchpoint.id}/delete")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/review/departments/{department.id}")
    db.session.rollback()
    assert db.session.get(Touchpoint, touchpoint.id) is None
    deleted = AuditEvent.action == "touchpoint_deleted"
    event = db.session.scalar(sa.select(AuditEvent).where(deleted))
    assert event.actor_id == brm.id and event.before["notes"] == "Budget round."


def test_only_the_brm_who_logged_it_changes_a_touchpoint(
    client_for, pm_client, make_user, department, touchpoint
):
    colleague = make_user(Role.BRM, name="Cora Colleague")  # covers the same department
    others = client_for(colleague)
    page = others.get(f"/review/departments/{department.id}").text
    assert "Budget round." in page and f"/review/touchpoints/{touchpoint.id}" not in page
    for client in (others, pm_client):
        assert client.get(f"/review/touchpoints/{touchpoint.id}").status_code == 403
        edit = client.post(
            f"/review/touchpoints/{touchpoint.id}",
            data={"held_on": TODAY, "kind": "call", "notes": "Rewritten."},
        )
        assert edit.status_code == 403
        assert client.post(f"/review/touchpoints/{touchpoint.id}/delete").status_code == 403
    db.session.rollback()
    assert db.session.get(Touchpoint, touchpoint.id).notes == "Budget round."


def test_deleting_needs_the_csrf_token(app, brm, touchpoint):
    from tests.conftest import login

    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    login(client, brm)
    assert client.post(f"/review/touchpoints/{touchpoint.id}/delete").status_code == 400
    db.session.rollback()
    assert db.session.get(Touchpoint, touchpoint.id) is not None
