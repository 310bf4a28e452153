"""Writing, submitting, browsing, voting on, commenting on and following ideas."""

import re
import threading

import pytest
import sqlalchemy as sa

from portal import workflow
from portal.auth.sessions import session_values
from portal.extensions import db
from portal.models import (
    AuditEvent,
    Comment,
    Follow,
    Idea,
    IdeaStatus,
    Notification,
    User,
    Vote,
    utcnow,
)


@pytest.fixture
def idea_form(department, make_objective):
    objective = make_objective("Reduce operating cost", weight=2)
    return {
        "title": "Automate invoice matching",
        "problem": "Clerks match invoices by hand.",
        "proposal": "Match them automatically.",
        "expected_benefit": "Two days saved each month.",
        "department": department.id,
        "objectives": [objective.id],
    }


def _only_idea() -> Idea:
    return db.session.scalars(sa.select(Idea)).one()


def test_new_idea_page(employee_client):
    response = employee_client.get("/ideas/new")
    assert response.status_code == 200
    assert b"Share an idea" in response.data


def test_save_draft(employee_client, employee, idea_form):
    response = employee_client.post("/ideas/new", data={**idea_form, "save": "y"})
    assert response.status_code == 302
    idea = _only_idea()
    assert idea.status == IdeaStatus.DRAFT
    assert idea.submitter_id == employee.id
    assert [o.name for o in idea.objectives] == ["Reduce operating cost"]
    assert db.session.get(Follow, (idea.id, employee.id)) is not None


def test_submit_directly(employee_client, idea_form):
    employee_client.post("/ideas/new", data={**idea_form, "submit_idea": "y"})
    idea = _only_idea()
    assert idea.status == IdeaStatus.SUBMITTED
    assert idea.submitted_at is not None
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.idea_id == idea.id))
    assert list(actions) == ["idea_created", "status_change"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": ""}, b"Title is required."),
        ({"title": "abc"}, b"Field must be between 5 and 200 characters long."),
        ({"title": "x" * 201}, b"At most 200 characters; this text has 201."),
        ({"problem": "x" * 5001}, b"At most 5,000 characters; this text has 5,001."),
        ({"department": "424242"}, b"Not a valid choice"),
        ({"objectives": ["424242"]}, b"not a valid choice"),
    ],
)
def test_bad_idea_input(employee_client, idea_form, change, message):
    response = employee_client.post("/ideas/new", data={**idea_form, **change, "save": "y"})
    assert response.status_code == 400
    assert message in response.data
    assert db.session.scalar(sa.select(sa.func.count(Idea.id))) == 0


def test_edit_own_draft_then_submit(employee_client, employee, make_idea, idea_form):
    idea = make_idea(employee, status=IdeaStatus.DRAFT)
    page = employee_client.get(f"/ideas/{idea.id}/edit")
    assert page.status_code == 200
    response = employee_client.post(
        f"/ideas/{idea.id}/edit", data={**idea_form, "title": "Better title", "submit_idea": "y"}
    )
    assert response.status_code == 302
    db.session.refresh(idea)
    assert idea.title == "Better title"
    assert idea.status == IdeaStatus.SUBMITTED


def test_cannot_edit_someone_elses_draft(client_for, make_user, employee, make_idea, idea_form):
    idea = make_idea(employee, status=IdeaStatus.DRAFT)
    other = client_for(make_user())
    assert other.get(f"/ideas/{idea.id}/edit").status_code == 404
    response = other.post(f"/ideas/{idea.id}/edit", data={**idea_form, "title": "Hijacked"})
    assert response.status_code == 404
    db.session.refresh(idea)
    assert idea.title != "Hijacked"


def test_cannot_submit_someone_elses_draft(client_for, make_user, employee, make_idea):
    idea = make_idea(employee, status=IdeaStatus.DRAFT)
    other = client_for(make_user())
    assert other.post(f"/ideas/{idea.id}/transition/submit").status_code == 404
    db.session.refresh(idea)
    assert idea.status == IdeaStatus.DRAFT


def test_someone_elses_submitted_idea_cannot_be_submitted_or_withdrawn(
    client_for, make_user, employee, make_idea
):
    idea = make_idea(employee, status=IdeaStatus.SUBMITTED)
    other = client_for(make_user())
    assert other.post(f"/ideas/{idea.id}/transition/withdraw").status_code == 403
    db.session.refresh(idea)
    assert idea.status == IdeaStatus.SUBMITTED


def test_submitted_idea_is_not_editable(employee_client, employee, make_idea, idea_form):
    idea = make_idea(employee, status=IdeaStatus.SUBMITTED)
    response = employee_client.post(f"/ideas/{idea.id}/edit", data={**idea_form, "save": "y"})
    assert response.status_code == 302
    db.session.refresh(idea)
    assert idea.title != idea_form["title"]


def test_withdraw_own_idea(employee_client, employee, make_idea):
    idea = make_idea(employee, status=IdeaStatus.IN_REVIEW)
    response = employee_client.post(f"/ideas/{idea.id}/transition/withdraw")
    assert response.status_code == 302
    db.session.refresh(idea)
    assert idea.status == IdeaStatus.WITHDRAWN


def test_submit_twice_is_a_conflict(employee_client, employee, make_idea):
    idea = make_idea(employee, status=IdeaStatus.SUBMITTED)
    response = employee_client.post(f"/ideas/{idea.id}/transition/submit")
    assert response.status_code == 409
    assert b"not possible while the idea is submitted" in response.data


def test_unknown_transition(employee_client, employee, make_idea):
    idea = make_idea(employee)
    assert employee_client.post(f"/ideas/{idea.id}/transition/explode").status_code == 409


def test_drafts_are_private(client_for, make_user, employee, make_idea):
    draft = make_idea(employee, status=IdeaStatus.DRAFT, title="Secret draft idea")
    other = client_for(make_user())
    assert other.get(f"/ideas/{draft.id}").status_code == 404
    assert b"Secret draft idea" not in other.get("/ideas/").data
    owner = client_for(employee)
    assert b"Secret draft idea" in owner.get("/ideas/").data


def test_missing_idea_is_404(employee_client):
    response = employee_client.get("/ideas/999999")
    assert response.status_code == 404
    assert b"There is nothing here." in response.data


class TestBrowse:
    @pytest.fixture
    def ideas(self, employee, make_user, make_department, make_idea, make_objective):
        sales = make_department("Sales")
        seller = make_user(dept=sales)
        cost = make_objective("Cost")
        a = make_idea(employee, title="Invoice robot", vote_count=1, objectives=[cost])
        b = make_idea(seller, title="CRM clean-up", vote_count=5)
        c = make_idea(seller, title="Quote templates", status=IdeaStatus.REJECTED)
        return {"a": a, "b": b, "c": c, "sales": sales, "cost": cost}

    def test_lists_all(self, employee_client, ideas):
        page = employee_client.get("/ideas/").get_data(as_text=True)
        assert "3 ideas" in page
        assert page.index("Quote templates") < page.index("Invoice robot")  # newest first

    def test_text_search(self, employee_client, ideas):
        page = employee_client.get("/ideas/?q=robot").get_data(as_text=True)
        assert "Invoice robot" in page and "CRM clean-up" not in page

    def test_filters(self, employee_client, ideas):
        sales = ideas["sales"].id
        page = employee_client.get(f"/ideas/?department={sales}&status=rejected").text
        assert "Quote templates" in page and "CRM clean-up" not in page
        page = employee_client.get(f"/ideas/?objective={ideas['cost'].id}").text
        assert "Invoice robot" in page and "CRM clean-up" not in page

    def test_sort_by_votes(self, employee_client, ideas):
        page = employee_client.get("/ideas/?sort=votes").get_data(as_text=True)
        assert page.index("CRM clean-up") < page.index("Invoice robot")

    def test_bad_filters_are_ignored_with_a_message(self, employee_client, ideas):
        response = employee_client.get("/ideas/?status=bogus&department=abc&sort=worst")
        assert response.status_code == 200
        assert "were not understood" in response.get_data(as_text=True)

    def test_too_long_search_is_a_field_error_and_other_filters_stay(self, employee_client, ideas):
        page = employee_client.get(f"/ideas/?q={'x' * 201}&objective={ideas['cost'].id}").text
        assert "Search for at most 200 characters; this search was not run." in page
        assert "is-invalid" in page and "were not understood" not in page
        assert "Invoice robot" in page and "CRM clean-up" not in page  # objective still applies

    def test_pagination(self, employee_client, employee, make_idea):
        for i in range(25):
            make_idea(employee, title=f"Numbered idea {i:02d}")
        first = employee_client.get("/ideas/").get_data(as_text=True)
        second = employee_client.get("/ideas/?page=2").get_data(as_text=True)
        assert "Numbered idea 24" in first and "Numbered idea 04" not in first
        assert "Numbered idea 04" in second
        assert employee_client.get("/ideas/?page=99").status_code == 200

    def test_the_pager_keeps_the_filters_and_marks_the_page(
        self, employee_client, employee, make_idea
    ):
        for i in range(45):  # three pages of 20
            make_idea(employee, title=f"Numbered idea {i:02d}")
        make_idea(employee, title="Zebra crossing")

        def pager(path):
            page = employee_client.get(path).text
            nav = re.search(r'<nav aria-label="Pages">(.*?)</nav>', page, re.S)
            return nav and nav.group(1)

        second = pager("/ideas/?q=Numbered&page=2")
        links = re.findall(r'<a class="page-link" href="([^"]+)"[^>]*>([^<]+)</a>', second)
        assert [label for _, label in links] == ["«", "1", "3", "»"]
        assert all("q=Numbered" in url for url, _ in links)
        assert [url.split("page=")[1].split("&")[0] for url, _ in links] == ["1", "1", "3", "3"]
        assert re.search(r'active" aria-current="page"><span class="page-link">2</span>', second)

        first = pager("/ideas/?q=Numbered")
        assert '<span class="page-link" aria-label="Previous">«</span>' in first
        assert 'aria-label="Next">»</a>' in first
        # Past the end, "previous" leads to the last page, not to the page before this one.
        past = pager("/ideas/?q=Numbered&page=9")
        assert re.search(r'href="[^"]*page=3[^"]*" aria-label="Previous"', past)
        assert '<span class="page-link" aria-label="Next">»</span>' in past
        assert pager("/ideas/?q=Zebra") is None  # one page: no pager

        # Every value of a repeated argument is kept; names that mean something to url_for
        # are a visitor's text like any other, never url_for's own arguments.
        odd = pager("/ideas/?q=Numbered&tag=a&tag=b&key=x&endpoint=y&_external=1&_anchor=z")
        assert "tag=a&amp;tag=b" in odd and "key=x" in odd and "_external=1" in odd
        assert 'href="/ideas/?page=2&amp;q=Numbered' in odd and "#" not in odd
        # Past the end of an empty list, "previous" still leads back to the first page.
        empty = pager("/ideas/?q=nothing+like+this&page=3")
        assert re.search(r'href="/ideas/\?page=1[^"]*" aria-label="Previous"', empty)

    @pytest.mark.parametrize("page", [1, 2, 3])
    def test_every_page_tells_the_same_total(self, employee_client, employee, make_idea, page):
        # Page 2 is the last, part full (its rows give the total); page 3 is past the end.
        for i in range(25):
            make_idea(employee, title=f"Numbered idea {i:02d}")
        assert "25 ideas" in employee_client.get(f"/ideas/?page={page}").text
        assert "1 idea<" in employee_client.get("/ideas/?q=idea 07").text

    @pytest.mark.parametrize("page", [1, 2, 3])
    def test_the_total_counts_my_drafts_and_not_others(
        self, client_for, employee, make_user, make_idea, page
    ):
        # The total is counted in parts (not drafts, my drafts): each is counted once.
        for i in range(22):
            make_idea(employee, title=f"Numbered idea {i:02d}")
        for i in range(3):
            make_idea(employee, status=IdeaStatus.DRAFT, title=f"My draft {i}")
        make_idea(make_user(), status=IdeaStatus.DRAFT, title="Someone else's draft")
        assert "25 ideas" in client_for(employee).get(f"/ideas/?page={page}").text
        assert "22 ideas" in client_for(make_user()).get(f"/ideas/?page={page}").text

    def test_a_line_names_its_objectives_by_name(
        self, employee_client, employee, make_idea, make_objective
    ):
        serves = [make_objective(name) for name in ("Zeal", "Agility", "Cost", "Balance")]
        make_idea(employee, title="Many aims", objectives=serves)
        make_idea(employee, title="No aim")
        page = employee_client.get("/ideas/").text
        assert re.findall(r'border me-1">([^<]+)</span>', page) == [
            "Agility",
            "Balance",
            "Cost",
            "Zeal",
        ]


def test_my_ideas_shows_status_and_reason(employee_client, employee, make_idea):
    make_idea(employee, status=IdeaStatus.REJECTED, title="Rejected one", status_reason="Too big")
    page = employee_client.get("/ideas/mine").get_data(as_text=True)
    assert "Rejected one" in page and "Too big" in page
    assert IdeaStatus.REJECTED.explanation in page


def test_detail_shows_history(employee_client, employee, idea_form):
    employee_client.post("/ideas/new", data={**idea_form, "submit_idea": "y"})
    idea = _only_idea()
    page = employee_client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Draft → <strong>Submitted</strong>" in page


class TestVotes:
    def test_toggle(self, client_for, make_user, employee, make_idea):
        idea = make_idea(employee)
        voter = client_for(make_user())
        voter.post(f"/ideas/{idea.id}/vote")
        db.session.refresh(idea)
        assert idea.vote_count == 1
        voter.post(f"/ideas/{idea.id}/vote")
        db.session.refresh(idea)
        assert idea.vote_count == 0

    def test_vote_keeps_updated_at(self, employee_client, employee, make_idea):
        idea = make_idea(employee)
        before = idea.updated_at
        employee_client.post(f"/ideas/{idea.id}/vote")
        db.session.refresh(idea)
        assert idea.vote_count == 1 and idea.updated_at == before

    def test_one_vote_per_user(self, employee_client, employee, make_idea):
        idea = make_idea(employee)
        employee_client.post(f"/ideas/{idea.id}/vote")
        assert db.session.scalar(sa.select(sa.func.count(Vote.id))) == 1

    @pytest.mark.parametrize("status", [IdeaStatus.DRAFT, IdeaStatus.REJECTED])
    def test_votes_closed(self, employee_client, employee, make_idea, status):
        idea = make_idea(employee, status=status)
        response = employee_client.post(f"/ideas/{idea.id}/vote")
        assert response.status_code == 409
        assert db.session.scalar(sa.select(sa.func.count(Vote.id))) == 0

    @pytest.mark.parametrize("status", sorted(workflow.CLOSED, key=lambda s: s.value))
    def test_a_closed_idea_shows_its_votes_without_the_button(
        self, employee_client, employee, make_idea, status
    ):
        idea = make_idea(employee, status=status)
        page = employee_client.get(f"/ideas/{idea.id}").get_data(as_text=True)
        assert "voting has closed" in page and "▲ 0 votes" in page
        assert f'action="/ideas/{idea.id}/vote"' not in page
        submitted = make_idea(employee, status=IdeaStatus.SUBMITTED)
        page = employee_client.get(f"/ideas/{submitted.id}").get_data(as_text=True)
        assert f'action="/ideas/{submitted.id}/vote"' in page and "voting has closed" not in page

    def test_race_counts_one_vote(self, app, make_user, employee, make_idea):
        """Two simultaneous first votes by one user leave exactly one vote."""
        idea_id = make_idea(employee).id
        voter_session = session_values(make_user())
        db.session.commit()
        barrier = threading.Barrier(2)
        results = []

        def vote():
            with app.app_context():
                client = app.test_client()
                with client.session_transaction() as session:
                    session.update(voter_session)
                barrier.wait()
                results.append(client.post(f"/ideas/{idea_id}/vote").status_code)

        threads = [threading.Thread(target=vote) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert len(results) == 2 and all(code < 500 for code in results)
        db.session.rollback()  # see what other connections committed
        votes = db.session.scalar(sa.select(sa.func.count(Vote.id)).where(Vote.idea_id == idea_id))
        assert votes in (0, 1)
        assert db.session.get(Idea, idea_id).vote_count == votes


class TestComments:
    def test_post(self, employee_client, employee, make_idea):
        idea = make_idea(employee)
        response = employee_client.post(f"/ideas/{idea.id}/comments", data={"body": "Great!"})
        assert response.status_code == 302
        assert db.session.scalars(sa.select(Comment.body)).all() == ["Great!"]

    @pytest.mark.parametrize("body", ["", "   ", "x" * 5001])
    def test_bad_comment(self, employee_client, employee, make_idea, body):
        idea = make_idea(employee)
        response = employee_client.post(f"/ideas/{idea.id}/comments", data={"body": body})
        assert response.status_code == 400
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0

    def test_the_comment_box_is_empty_then_keeps_a_refused_text(
        self, employee_client, employee, make_idea
    ):
        idea = make_idea(employee)
        page = employee_client.get(f"/ideas/{idea.id}").get_data(as_text=True)
        assert (
            '<textarea class="form-control" data-limit="5000" id="body" name="body" '
            'placeholder="Add a comment" required rows="3">\r\n</textarea>'
        ) in page
        response = employee_client.post(f"/ideas/{idea.id}/comments", data={"body": "x" * 5001})
        page = response.get_data(as_text=True)
        assert 'class="form-control is-invalid"' in page and "x" * 5001 in page

    def test_cannot_comment_on_others_draft(self, client_for, make_user, employee, make_idea):
        idea = make_idea(employee, status=IdeaStatus.DRAFT)
        response = client_for(make_user()).post(f"/ideas/{idea.id}/comments", data={"body": "x"})
        assert response.status_code == 404


def test_follow_and_get_notified(client_for, make_user, employee, make_idea):
    idea = make_idea(employee, status=IdeaStatus.DRAFT)
    follower = make_user()
    owner = client_for(employee)
    owner.post(f"/ideas/{idea.id}/transition/submit")  # drafts are private: submit first
    client = client_for(follower)
    client.post(f"/ideas/{idea.id}/follow")
    assert db.session.get(Follow, (idea.id, follower.id)) is not None
    owner.post(f"/ideas/{idea.id}/transition/withdraw")
    messages = db.session.scalars(
        sa.select(Notification.message).where(Notification.user_id == follower.id)
    ).all()
    assert any("withdrawn" in m for m in messages)
    inbox = client.get("/notifications").get_data(as_text=True)
    assert "withdrawn" in inbox
    client.post("/notifications/read")
    unread = db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.user_id == follower.id, Notification.read_at.is_(None)
        )
    )
    assert unread == 0
    client.post(f"/ideas/{idea.id}/follow")
    assert db.session.get(Follow, (idea.id, follower.id)) is None


def test_opening_the_inbox_clears_the_badge_by_a_post(client_for, make_user, employee, make_idea):
    idea = make_idea(employee, status=IdeaStatus.DRAFT)
    follower = make_user()
    owner, client = client_for(employee), client_for(follower)
    owner.post(f"/ideas/{idea.id}/transition/submit")
    client.post(f"/ideas/{idea.id}/follow")
    owner.post(f"/ideas/{idea.id}/transition/withdraw")
    home = client.get("/").text
    assert 'data-unread="1"' in home
    assert "data-unread-folded" in home  # beside a phone's folded menu too
    inbox = client.get("/notifications").text
    assert "js/inbox-seen.js" in inbox and "Mark all as read" in inbox
    db.session.rollback()
    assert db.session.get(User, follower.id).inbox_seen_at is None  # opening it wrote nothing
    assert 'data-unread="1"' in client.get("/").text
    assert client.post("/notifications/seen").status_code == 204  # what the inbox's script does
    assert "data-unread" not in client.get("/").text  # neither badge
    # Still unread in the inbox itself, until marked so.
    assert "list-group-item-primary" in client.get("/notifications").text
    db.session.add(Notification(user_id=follower.id, message="Something new", created_at=utcnow()))
    db.session.commit()
    assert 'data-unread="1"' in client.get("/").text  # only what came after the visit counts


def test_anonymous_cannot_record_an_inbox_visit(client):
    response = client.post("/notifications/seen")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_percent_and_underscore_in_search_are_literal(employee_client, employee, make_idea):
    make_idea(employee, title="Cut paper use by 50% in offices")
    make_idea(employee, title="Rename files_with_underscores automatically")
    make_idea(employee, title="Plain idea with no signs")
    page = employee_client.get("/ideas/?q=%25").text
    assert "50%" in page and "Plain idea" not in page and "underscores" not in page
    page = employee_client.get("/ideas/?q=_").text
    assert "files_with" in page and "Plain idea" not in page and "50%" not in page


def test_long_text_fields_show_their_limit_and_never_cut(employee_client):
    page = employee_client.get("/ideas/new").text
    assert "maxlength" not in page  # the browser would cut pasted text silently
    assert page.count('data-limit="5000"') == 3 and 'data-limit="200"' in page
    assert "js/text-limits.js" in page


def test_a_draft_saves_with_only_a_title(employee_client, employee):
    response = employee_client.post(
        "/ideas/new",
        data={"title": "Park this thought", "department": employee.department_id, "save": "y"},
    )
    assert response.status_code == 302
    idea = db.session.scalar(sa.select(Idea).where(Idea.title == "Park this thought"))
    assert idea.status == IdeaStatus.DRAFT and idea.problem == "" and idea.proposal == ""
    # Its page offers "Submit" disabled, and says what is missing.
    page = employee_client.get(f"/ideas/{idea.id}").text
    assert 'disabled aria-describedby="not-yet-submit">Submit</button>' in page
    assert "Before submitting: Problem is required." in page.split('data-not-yet="submit"')[1]
    # Submitting it checks the rest, from the same rules, and names every missing field.
    response = employee_client.post(f"/ideas/{idea.id}/transition/submit")
    assert response.status_code == 409
    assert (
        "Before submitting: Problem is required. Proposal is required. "
        "Expected benefit is required."
    ) in response.text
    db.session.rollback()
    assert db.session.get(Idea, idea.id).status == IdeaStatus.DRAFT


def test_submitting_from_the_form_names_every_missing_field(employee_client, employee):
    response = employee_client.post(
        "/ideas/new",
        data={
            "title": "Half written idea",
            "problem": "Too slow.",
            "department": employee.department_id,
            "submit_idea": "y",
        },
    )
    assert response.status_code == 400
    page = response.text
    assert "Proposal is required." in page and "Expected benefit is required." in page
    assert "Problem is required." not in page and "expected_benefit" not in page.split("<form")[0]
    # Each message is under its own field.
    benefit = page[page.index('name="expected_benefit"') :]
    assert benefit.index("Expected benefit is required.") < benefit.index('name="department"')
    assert db.session.scalar(sa.select(sa.func.count(Idea.id))) == 0


def test_a_draft_text_may_not_be_too_long(employee_client, employee):
    response = employee_client.post(
        "/ideas/new",
        data={
            "title": "Long draft",
            "problem": "x" * 5001,
            "department": employee.department_id,
            "save": "y",
        },
    )
    assert response.status_code == 400 and "At most 5,000 characters" in response.text


def test_fields_needed_to_submit_are_marked_before_submitting(employee_client):
    page = employee_client.get("/ideas/new").text
    assert page.count('aria-required="true"') == 4
    assert page.count("data-required-to-submit") == 4
    assert "a draft can be saved with only its title" in page


def test_a_search_is_built_once_per_shape_and_takes_its_values_as_parameters(
    app, employee, make_user
):
    from portal.ideas.service import IdeaFilters, search

    mine = search(employee, IdeaFilters(q="invoice", sort="votes"))
    theirs = search(make_user(), IdeaFilters(q="travel", sort="votes"))
    assert mine.query is theirs.query and mine.parts is theirs.parts
    assert (mine.params["like_0"], theirs.params["like_0"]) == ("%invoice%", "%travel%")
    assert mine.params["viewer_id"] != theirs.params["viewer_id"]
    assert search(employee, IdeaFilters(q="invoice")).query is not mine.query  # another order


def test_a_page_key_answers_only_for_the_query_it_was_built_from(app, employee, make_idea):
    import sqlalchemy as sa

    from portal.ideas.service import row_page
    from portal.models import Idea

    for title in ("Keyed alpha", "Keyed beta"):
        make_idea(employee, title=title)

    def titles(title: str) -> list[str]:
        query = sa.select(Idea).where(Idea.title == title).order_by(Idea.id)
        return [row.title for row in row_page(query, 1, 20, params={}, key=("test",)).items]

    assert titles("Keyed alpha") == ["Keyed alpha"]
    assert titles("Keyed beta") == ["Keyed beta"]  # the same key, another query: built anew


class TestSearchWords:
    """Several words: every one in the title, problem or proposal, in any order."""

    @pytest.fixture
    def ideas(self, employee, make_idea):
        made = {
            "both": make_idea(
                employee,
                title="Automated dunning",
                problem="Customers forget to pay; nobody sends a reminder.",
                proposal="Email each invoice's reminder on the due date.",
            ),
            "apart": make_idea(
                employee,
                title="Reminder for expense claims",
                problem="Claims come late.",
                proposal="Nudge people weekly.",
            ),
            "invoice_only": make_idea(employee, title="Invoice scanning", problem="Typed by hand."),
            "accessories": make_idea(employee, title="Catalogue buying for IT accessories"),
            "sso": make_idea(employee, title="SSO for the reporting tools"),
        }
        return {name: idea.title for name, idea in made.items()}

    def _found(self, client, q: str) -> set[str]:
        page = client.get("/ideas/", query_string={"q": q}).text
        return {name for name, title in self.titles.items() if title in page}

    @pytest.mark.parametrize(
        ("q", "found"),
        [
            ("invoice reminder", {"both"}),  # the words in another order, in two texts
            ("REMINDER invoice", {"both"}),
            ("reminder", {"both", "apart"}),
            ("invoice", {"both", "invoice_only"}),  # "invoice's" counts
            ("remind", {"both", "apart"}),
            ("invoice  invoice", {"both", "invoice_only"}),  # a word twice is once
        ],
    )
    def test_every_word_in_any_order(self, employee_client, ideas, q, found):
        self.titles = ideas
        assert self._found(employee_client, q) == found

    def test_too_many_words_are_a_field_error_and_other_filters_stay(self, employee_client, ideas):
        self.titles = ideas
        q = " ".join(f"w{n}" for n in range(11))
        page = employee_client.get("/ideas/", query_string={"q": q}).text
        assert "Search for at most 10 words; this search has 11." in page
        assert self._found(employee_client, q) == set(ideas)  # the search was not run


def test_a_word_search_can_use_the_trigram_indexes_on_postgresql(app, employee):
    """The words' conditions alone, with only bitmap index scans allowed besides a full
    scan: the plan reads the pg_trgm indexes for each word's ILIKE."""
    from portal.ideas.service import IdeaFilters, search

    if db.engine.dialect.name != "postgresql":
        pytest.skip("the pg_trgm indexes exist on PostgreSQL only")
    found = search(employee, IdeaFilters(q="SSO invoice"))
    _visible, *words = found.query.whereclause.clauses
    likes = [c for c in words if "ILIKE" in str(c.compile(dialect=db.engine.dialect))]
    assert len(likes) == 2
    compiled = sa.select(Idea.id).where(*likes).compile(dialect=db.engine.dialect)
    connection = db.session.connection()
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    connection.exec_driver_sql("SET LOCAL enable_indexscan = off")
    explained = connection.exec_driver_sql(
        "EXPLAIN " + str(compiled), compiled.construct_params(found.params)
    )
    plan = "\n".join(row[0] for row in explained)
    db.session.rollback()
    for column in ("title", "problem", "proposal"):
        assert f"Bitmap Index Scan on ix_ideas_{column}_trgm" in plan, plan
