"""The busiest pages issue a bounded number of SQL queries, however many rows they show.

A list that loads each row's department or submitter on its own (the N+1 pattern) costs a
query per row: 44 queries for a page of 20 ideas, which made the idea list the slowest page
under load (bench/web.py). These tests count the queries of each page with few and with
many rows behind it; the counts must be equal and stay under a small ceiling.
"""

from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditEvent, Comment, IdeaStatus, Notification, Role

# Ceilings with some room: signing in, the navigation bar and the page's own queries.
CEILING = {"idea list": 12, "idea page": 17, "review queue": 14, "home": 11}


@contextmanager
def counting():
    """Count the statements sent to the database inside the block."""
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def queries(client, path: str) -> int:
    """Queries of one GET of `path` (after a first one that warms the caches)."""
    assert client.get(path).status_code == 200
    db.session.remove()
    with counting() as seen:
        assert client.get(path).status_code == 200
    return len(seen)


@pytest.fixture
def crowd(make_department, make_user, make_objective, make_idea):
    """`crowd(n)`: n ideas in review, each from its own person in its own department, with
    an objective, a comment by yet another person and a recorded change; returns one."""

    def make(n: int):
        objectives = [make_objective() for _ in range(3)]
        ideas = []
        for i in range(n):
            department = make_department()
            author = make_user(dept=department)
            idea = make_idea(author, IdeaStatus.SUBMITTED, department=department)
            idea.objectives = [objectives[i % 3]]
            commenter = make_user(dept=department)
            db.session.add(Comment(idea=idea, author=commenter, body=f"Comment {i}"))
            db.session.add(
                AuditEvent(
                    actor=commenter,
                    action="commented",
                    object_type="idea",
                    object_id=idea.id,
                    idea_id=idea.id,
                )
            )
            ideas.append(idea)
        db.session.commit()
        return ideas

    return make


def _idea_with_discussion(make_user, make_idea, department, n: int):
    """One idea with n comments and n recorded changes, each by a different person."""
    idea = make_idea(make_user(dept=department), IdeaStatus.SUBMITTED, department=department)
    for i in range(n):
        person = make_user(dept=department)
        db.session.add(Comment(idea=idea, author=person, body=f"Comment {i}"))
        db.session.add(
            AuditEvent(
                actor=person,
                action="commented",
                object_type="idea",
                object_id=idea.id,
                idea_id=idea.id,
            )
        )
    db.session.commit()
    return idea.id


@pytest.mark.parametrize("path", ["/ideas/", "/ideas/?sort=votes", "/ideas/?status=submitted"])
def test_idea_list_queries_do_not_grow_with_the_ideas(app, crowd, make_user, client_for, path):
    viewer = client_for(make_user())
    crowd(3)
    few = queries(viewer, path)
    crowd(37)  # 40 ideas: two pages of 20
    many = queries(viewer, path)
    assert many == few  # the count comes with the rows (RowPage)
    assert many <= CEILING["idea list"]


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.BRM, Role.PORTFOLIO_MANAGER])
def test_idea_page_queries_do_not_grow_with_the_discussion(
    app, make_user, make_idea, department, client_for, role
):
    viewer = make_user(role)
    if role == Role.BRM:
        viewer.covered_departments = [department]
        db.session.commit()
    client = client_for(viewer)
    quiet = _idea_with_discussion(make_user, make_idea, department, 1)
    busy = _idea_with_discussion(make_user, make_idea, department, 25)
    few = queries(client, f"/ideas/{quiet}")
    many = queries(client, f"/ideas/{busy}")
    assert many == few
    assert many <= CEILING["idea page"]


def test_similar_ideas_on_the_idea_page_load_with_the_page(
    app, crowd, make_user, client_for, department
):
    """A reviewer's idea page lists similar ideas, each with its department: loaded with
    them, not one query per similar idea."""
    brm = make_user(Role.BRM)
    brm.covered_departments = [department]
    db.session.commit()
    client = client_for(brm)
    first = crowd(2)[0].id  # every crowd idea says the same: one similar idea
    few = queries(client, f"/ideas/{first}")
    crowd(10)  # five similar ideas shown, each from its own department
    many = queries(client, f"/ideas/{first}")
    assert many == few
    assert many <= CEILING["idea page"]


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.BRM])
def test_idea_page_reads_no_estimate_links_or_plan_outcome_the_idea_lacks(
    app, make_user, make_idea, department, client_for, role
):
    """Most ideas have no estimate, no link and no plan outcome: the idea's own query says
    so, and the page asks nothing more about them."""
    viewer = make_user(role)
    if role == Role.BRM:
        viewer.covered_departments = [department]
        db.session.commit()
    client = client_for(viewer)
    idea = make_idea(make_user(dept=department), IdeaStatus.SUBMITTED, department=department)
    path = f"/ideas/{idea.id}"
    assert client.get(path).status_code == 200
    db.session.remove()
    with counting() as seen:
        assert client.get(path).status_code == 200
    asked = [s.split()[1] for s in seen if s.startswith("SELECT")]
    tables = ("estimates.", "estimate_", "idea_links.", "plan_outcomes.")
    assert not [column for column in asked if column.startswith(tables)]


@pytest.mark.parametrize("path", ["/review/", "/review/?sort=votes", "/review/?view=all"])
def test_review_queue_queries_do_not_grow_with_the_queue(app, crowd, pm, client_for, path):
    client = client_for(pm)
    crowd(3)
    few = queries(client, path)
    crowd(30)  # 33 ideas: two pages of 25
    many = queries(client, path)
    assert many == few  # the count comes with the rows (RowPage)
    assert many <= CEILING["review queue"]


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.BRM, Role.PORTFOLIO_MANAGER])
def test_home_page_queries_do_not_grow_with_the_ideas(app, crowd, make_user, client_for, role):
    """The home page's trending and department lists load their rows' department,
    submitter and objectives with them (25 queries before, one per row)."""
    client = client_for(make_user(role))
    crowd(2)
    few = queries(client, "/")
    crowd(12)  # six trending ideas, each from its own person and department
    many = queries(client, "/")
    assert many == few
    assert many <= CEILING["home"]


def test_the_navigation_bar_costs_no_query_of_its_own(app, make_user, client_for):
    """The signed-in user, their department and their unread count (the bar's badge) come
    in the one query that loads the session's user: a page costs the same with unread
    notifications as without, and one statement reads notifications."""
    person = make_user()
    person_id = person.id
    client = client_for(person)
    quiet = queries(client, "/ideas/mine")
    for n in range(3):
        db.session.add(Notification(user_id=person_id, message=f"news {n}"))
    db.session.commit()
    assert 'data-unread="3"' in client.get("/ideas/mine").get_data(as_text=True)
    db.session.remove()
    with counting() as seen:
        assert client.get("/ideas/mine").status_code == 200
    assert len(seen) == quiet
    assert sum("notifications" in statement for statement in seen) == 1
    assert sum("FROM users" in statement for statement in seen) == 1
    assert not any(statement.startswith("SELECT departments") for statement in seen)


def test_departments_page_queries_do_not_grow_with_the_departments(app, crowd, pm, client_for):
    """Each card's counts, BRMs, leader and last touchpoint come in a few statements for all
    the departments (48 for a BRM's four departments before: one per status and card)."""
    client = client_for(pm)
    crowd(2)
    few = queries(client, "/review/departments")
    crowd(8)  # eight more departments, each with an idea
    many = queries(client, "/review/departments")
    assert many == few
    assert many <= 8


def test_a_department_page_reads_its_ideas_of_every_status_at_once(
    app, pm, client_for, make_user, make_idea, make_department
):
    quiet, busy = make_department(), make_department()
    make_idea(make_user(dept=quiet), IdeaStatus.SUBMITTED, department=quiet)
    author = make_user(dept=busy)
    for status in (IdeaStatus.SUBMITTED, IdeaStatus.IN_REVIEW, IdeaStatus.APPROVED):
        make_idea(author, status, department=busy)
    quiet_id, busy_id = quiet.id, busy.id
    client = client_for(pm)
    assert queries(client, f"/review/departments/{busy_id}") == queries(
        client, f"/review/departments/{quiet_id}"
    )
