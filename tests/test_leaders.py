"""Department leaders as users: their page, endorsements, notifications, admin, migration."""

from datetime import date, timedelta

import flask_migrate
import pytest
import sqlalchemy as sa

from portal import workflow
from portal.extensions import db
from portal.models import (
    AuditEvent,
    Comment,
    CommentKind,
    Department,
    IdeaStatus,
    Notification,
    RealizedValue,
    Role,
    utcnow,
)
from portal.models.people import department_leaders
from tests.conftest import make_app

# The portfolio factories (estimates, candidates).
from tests.portfolio.conftest import make_candidate, make_estimate, objective  # noqa: F401
from tests.test_migrations import empty_database_url  # noqa: F401

S = IdeaStatus


@pytest.fixture
def leader(make_user, department):
    user = make_user(Role.LEADER, name="Fiona Leader", email="fiona@x.example")
    department.leader = user
    db.session.commit()
    return user


@pytest.fixture
def leader_client(client_for, leader):
    return client_for(leader)


def _notes(user) -> list[str]:
    return list(
        db.session.scalars(sa.select(Notification.message).where(Notification.user_id == user.id))
    )


# ------------------------------------------------------------------ the page


def test_leader_signs_in_and_lands_on_their_department(client, leader, department):
    from tests.conftest import PASSWORD

    response = client.post("/auth/login", data={"email": leader.email, "password": PASSWORD})
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 302 and home.location.endswith("/leader/")
    page = client.get("/leader/").get_data(as_text=True)
    assert f'data-leader-department="{department.id}"' in page
    assert "My departments" in page[page.index("<nav") : page.index("</nav>")]


def test_leader_page_shows_pipeline_plan_value_touchpoints_questions(
    leader_client, leader, brm, employee, make_idea, request, department, make_department
):
    new_candidate = request.getfixturevalue("make_candidate")
    waiting = make_idea(employee, status=S.IN_REVIEW, title="Faster month-end close")
    waiting.assignee = brm
    unclaimed = make_idea(employee, status=S.SUBMITTED, title="Supplier portal")
    unclaimed.submitted_at = unclaimed.waiting_since = utcnow() - timedelta(days=9)
    asked = make_idea(employee, status=S.NEEDS_INFO, title="Single sign-on for the ledger")
    db.session.add(
        Comment(idea=asked, author=brm, kind=CommentKind.QUESTION, body="Which ledger exactly?")
    )
    in_delivery = new_candidate(status=S.IN_DELIVERY)
    delivered = new_candidate(impact=2, status=S.DELIVERED)
    db.session.add(
        RealizedValue(idea_id=delivered.id, value=40.0, as_of=date.today(), recorded_by_id=brm.id)
    )
    elsewhere = make_department("Sales")
    other = make_idea(employee, status=S.SUBMITTED, title="Not my department", department=elsewhere)
    db.session.commit()
    from portal.models import TouchpointKind
    from portal.review.service import log_touchpoint

    log_touchpoint(brm, department, date.today(), TouchpointKind.MEETING, "Budget review.", [])
    db.session.commit()

    page = leader_client.get("/leader/").get_data(as_text=True)
    pipeline = page[page.index("data-pipeline") : page.index("data-questions")]
    for title in ("Faster month-end close", "Supplier portal", "Single sign-on for the ledger"):
        assert title in pipeline
    assert other.title not in page
    assert "with <span data-with>Bob Brm</span>" in pipeline
    assert (
        "with <span data-with>nobody: no BRM has claimed it yet</span>"
        " · <span data-days>9 days</span>" in pipeline
    )
    assert "with <span data-with>Erin Employee</span>" in pipeline  # the answer is theirs
    questions = page[page.index("data-questions") : page.index("data-plan")]
    assert "Which ledger exactly?" in questions and "to Erin Employee" in questions
    plan = page[page.index("data-plan") : page.index("data-value")]
    assert f'data-planned="{in_delivery.id}"' in plan and f'data-planned="{delivered.id}"' in plan
    value = page[page.index('data-stat="value"') : page.index("data-pipeline")]
    assert "40" in value and "/ 50" in value  # realized 40 against estimated 25 x 2
    assert "Budget review." in page[page.index("data-touchpoints") :]


def test_leader_without_departments_is_told_so(client_for, make_user):
    page = client_for(make_user(Role.LEADER)).get("/leader/").get_data(as_text=True)
    assert "data-no-departments" in page


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.BRM, Role.PORTFOLIO_MANAGER, Role.ADMIN])
def test_only_leaders_have_a_leader_page(client_for, make_user, role):
    assert client_for(make_user(role)).get("/leader/").status_code == 403


# ------------------------------------------------------------------ endorsing


def test_leader_endorses_and_withdraws_and_brms_see_the_mark(
    leader_client, leader, brm_client, employee, make_idea
):
    idea = make_idea(employee, status=S.SUBMITTED)
    detail = leader_client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Endorse as department leader" in detail
    response = leader_client.post(f"/ideas/{idea.id}/endorse")
    assert response.status_code == 302
    db.session.refresh(idea)
    assert idea.endorsed_by_id == leader.id and idea.endorsed_at is not None
    assert any("endorsed by Fiona Leader" in n for n in _notes(employee))
    assert "Endorsed by the department leader" in brm_client.get(f"/ideas/{idea.id}").text
    assert "data-endorsed" in brm_client.get("/review/").get_data(as_text=True)
    leader_client.post(f"/ideas/{idea.id}/endorse/withdraw")
    db.session.refresh(idea)
    assert idea.endorsed_at is None and idea.endorsed_by_id is None
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.idea_id == idea.id)
    ).all()
    assert actions == ["endorsed", "endorsement_withdrawn"]


def test_endorsing_is_for_the_leader_of_the_department_and_open_ideas(
    client_for, make_user, leader_client, employee_client, employee, make_idea, make_department
):
    sales = make_department("Sales")
    other_leader = make_user(Role.LEADER, dept=sales)
    sales.leader = other_leader
    db.session.commit()
    idea = make_idea(employee, status=S.SUBMITTED)
    assert client_for(other_leader).post(f"/ideas/{idea.id}/endorse").status_code == 403
    assert employee_client.post(f"/ideas/{idea.id}/endorse").status_code == 403
    delivered = make_idea(employee, status=S.DELIVERED)
    refused = leader_client.post(f"/ideas/{delivered.id}/endorse")
    assert refused.status_code == 409
    assert "Only open ideas can be endorsed" in refused.get_data(as_text=True)
    db.session.refresh(idea)
    assert idea.endorsed_at is None


def test_queue_filters_and_sorts_on_the_endorsement(brm_client, leader, employee, make_idea):
    from portal.ideas.service import set_endorsement

    old = make_idea(employee, status=S.SUBMITTED, title="Old and not endorsed")
    old.submitted_at = old.waiting_since = utcnow() - timedelta(days=30)
    backed = make_idea(employee, status=S.SUBMITTED, title="Backed by the leader")
    set_endorsement(leader, backed, True)
    db.session.commit()
    page = brm_client.get("/review/?endorsed=y").get_data(as_text=True)
    assert backed.title in page and old.title not in page
    page = brm_client.get("/review/?sort=endorsed").get_data(as_text=True)
    assert page.index(backed.title) < page.index(old.title)
    page = brm_client.get("/review/?sort=oldest").get_data(as_text=True)
    assert page.index(old.title) < page.index(backed.title)


def test_leader_may_comment(leader_client, employee, make_idea):
    idea = make_idea(employee, status=S.SUBMITTED)
    response = leader_client.post(f"/ideas/{idea.id}/comments", data={"body": "Fully behind it."})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Comment.body).where(Comment.idea_id == idea.id))


# ------------------------------------------------------------------ notifications


def test_leader_hears_of_touchpoints_and_outcome_changes(
    brm_client, leader, brm, employee, make_idea, department
):
    response = brm_client.post(
        f"/review/departments/{department.id}",
        data={"held_on": date.today().isoformat(), "kind": "call", "notes": "Priorities."},
    )
    assert response.status_code == 302
    [note] = _notes(leader)
    assert "Bob Brm logged a touchpoint with you (call" in note and "Priorities." in note
    link = db.session.scalar(sa.select(Notification.link).where(Notification.user_id == leader.id))
    assert link.startswith("/leader/#touchpoint-")

    idea = make_idea(employee, status=S.IN_REVIEW, assignee=brm)
    response = brm_client.post(
        f"/ideas/{idea.id}/transition/reject", data={"reason": "Not a fit this year."}
    )
    assert response.status_code == 302
    assert any("Not a fit this year." in n for n in _notes(leader))
    assert any("Not a fit this year." in n for n in _notes(employee))


def test_leader_of_another_department_and_former_leaders_hear_nothing(
    brm_client, leader, brm, employee, make_idea, make_user, make_department
):
    leader.role = Role.EMPLOYEE  # linked, but no longer a leader
    db.session.commit()
    idea = make_idea(employee, status=S.IN_REVIEW, assignee=brm)
    brm_client.post(f"/ideas/{idea.id}/transition/reject", data={"reason": "No."})
    assert _notes(leader) == []


# ------------------------------------------------------------------ admin


def test_admin_makes_a_user_leader_of_departments(
    admin_client, employee, department, make_department, leader
):
    sales = make_department("Sales")
    form = admin_client.get(f"/admin/users/{employee.id}").get_data(as_text=True)
    assert "Leads departments" in form and 'value="leader"' in form
    response = admin_client.post(
        f"/admin/users/{employee.id}",
        data={
            "name": "Erin Employee",
            "role": "leader",
            "department": department.id,
            "leads": [department.id, sales.id],
            "active": "y",
        },
    )
    assert response.status_code == 302
    said = admin_client.get("/admin/users").text  # the admin is told whose place was taken
    assert f"Finance was led by {leader.name}; Erin Employee leads it now." in said
    db.session.expire_all()
    assert employee.role == Role.LEADER
    assert [d.name for d in employee.led_departments] == ["Finance", "Sales"]
    assert leader.led_departments == []  # Finance has one leader account: it moved
    assert sales.leader_email == employee.email and sales.leader_label == "Erin Employee"
    departments = admin_client.get("/admin/departments").get_data(as_text=True)
    assert "data-leader-account" in departments

    refused = admin_client.post(
        f"/admin/users/{employee.id}",
        data={"name": "Erin", "role": "employee", "department": department.id,
              "leads": [sales.id], "active": "y"},
    )  # fmt: skip
    assert refused.status_code in (400, 409)
    assert "Only department leaders lead departments" in refused.get_data(as_text=True)


# ------------------------------------------------------------------ migration


def test_migration_links_leaders_by_email_and_keeps_names(empty_database_url, tmp_path):  # noqa: F811
    from alembic.script import ScriptDirectory

    app = make_app(empty_database_url, tmp_path)
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        revision = "2b6ee9513a0a"
        before = ScriptDirectory.from_config(config).get_revision(revision).down_revision
        flask_migrate.upgrade(revision=before)
        now = utcnow()
        with db.engine.begin() as conn:
            for id_, name, email in [
                (1, "Finance", "Fiona@X.example"),
                (2, "Sales", "nobody@x.example"),
                (3, "Legal", None),
            ]:
                conn.execute(
                    sa.text(
                        "INSERT INTO departments (id, name, leader_name, leader_email, created_at)"
                        " VALUES (:id, :name, :leader, :email, :now)"
                    ),
                    {"id": id_, "name": name, "leader": f"{name} Boss", "email": email, "now": now},
                )
            conn.execute(
                sa.text(
                    "INSERT INTO users (id, email, name, password_hash, role, department_id,"
                    " active, email_confirmed, created_at, session_key)"
                    " VALUES (7, 'fiona@x.example', 'Fiona', 'x', 'employee', 1, true, true,"
                    " :now, '')"
                ),
                {"now": now},
            )
        flask_migrate.upgrade(revision=revision)
        with db.engine.connect() as conn:
            links = conn.execute(sa.select(department_leaders)).all()
            kept = conn.execute(
                sa.text("SELECT name, leader_name, leader_email FROM departments ORDER BY id")
            ).all()
        assert [tuple(row) for row in links] == [(1, 7)]
        assert [tuple(row) for row in kept] == [
            ("Finance", "Finance Boss", "Fiona@X.example"),
            ("Sales", "Sales Boss", "nobody@x.example"),
            ("Legal", "Legal Boss", None),
        ]
        flask_migrate.downgrade(revision="base")
        db.engine.dispose()


def test_department_model_link(app, department, make_user):
    user = make_user(Role.LEADER, name="Lee")
    department.leader = user
    db.session.commit()
    assert db.session.get(Department, department.id).leader_label == "Lee"
    assert user.leads(department.id)


# ------------------------------------------------------------------ how long ideas wait


def _moved(idea, actor, transition, days_ago, monkeypatch, reason=None):
    """`transition` made through the workflow as if `days_ago` days ago."""
    monkeypatch.setattr(workflow, "utcnow", lambda: utcnow() - timedelta(days=days_ago))
    workflow.apply(idea, transition, actor, reason, notify_people=False)


def test_the_queue_and_the_leader_page_count_a_wait_alike(
    leader_client, client_for, leader, brm, employee, make_idea, department, monkeypatch
):
    """One rule (Idea.waiting_since, stamped by workflow.apply): a wait starts when the idea
    came to wait for what it waits for now. A claim does not restart the wait for review;
    the submitter's answer does (the time with the submitter is not the reviewer's)."""
    import re

    brm.covered_departments = [department]
    answered = make_idea(employee, status=S.DRAFT, title="Answered question")
    _moved(answered, employee, "submit", 16, monkeypatch)
    _moved(answered, brm, "start_review", 15, monkeypatch)
    _moved(answered, brm, "ask_info", 14, monkeypatch, "Which team?")
    _moved(answered, employee, "answer", 0, monkeypatch, "Accounts payable.")
    claimed = make_idea(employee, status=S.DRAFT, title="Claimed long ago")
    _moved(claimed, employee, "submit", 20, monkeypatch)
    _moved(claimed, brm, "start_review", 10, monkeypatch)
    asked = make_idea(employee, status=S.DRAFT, title="Asked a week ago")
    _moved(asked, employee, "submit", 30, monkeypatch)
    _moved(asked, brm, "start_review", 29, monkeypatch)
    _moved(asked, brm, "ask_info", 7, monkeypatch, "What does it cost now?")
    for idea in (answered, claimed, asked):
        idea.assignee = brm
    db.session.commit()

    leader_page = leader_client.get("/leader/").get_data(as_text=True)

    def on_leader_page(idea):
        row = leader_page[leader_page.index(idea.reference + " · waiting") :]
        return re.search(r"<span data-days>([^<]*)</span>", row).group(1)

    queue = client_for(brm).get("/review/?view=all").get_data(as_text=True)

    def in_queue(idea):
        row = queue[queue.index(f'data-idea="{idea.id}"') :]
        row = row[: row.index("</tr>")]
        age = re.search(r"(\d+ days?)\s", row).group(1)
        return age, "data-overdue" in row

    assert answered.status == S.IN_REVIEW and asked.status == S.NEEDS_INFO
    assert on_leader_page(answered) == "0 days" and in_queue(answered) == ("0 days", False)
    assert on_leader_page(claimed) == "20 days" and in_queue(claimed) == ("20 days", True)
    assert on_leader_page(asked) == "7 days" and in_queue(asked) == ("7 days", False)
    # The overdue filter keeps the same rule.
    overdue = client_for(brm).get("/review/?view=all&overdue=y").get_data(as_text=True)
    assert re.findall(r'<tr data-idea="(\d+)"', overdue) == [str(claimed.id)]
