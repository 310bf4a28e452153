"""The ideas API: browse with filters and pages, read, create, vote, comment; every error."""

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Comment, Idea, IdeaStatus, Vote
from tests.api.conftest import error_of

NEW_IDEA = {
    "title": "Self-service travel expenses",
    "problem": "Paper forms take a week.",
    "proposal": "A web form with receipts upload.",
    "expected_benefit": "Two days saved per claim.",
}


def test_list_is_paginated_newest_first(employee_api, employee, make_idea):
    ideas = [make_idea(employee) for _ in range(5)]
    response = employee_api.get("/api/v1/ideas?per_page=2&page=2")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (2, 2, 5, 3)
    assert body["total_exact"] is True
    assert [i["id"] for i in body["items"]] == [ideas[2].id, ideas[1].id]
    item = body["items"][0]
    assert item["reference"] == f"IDEA-{ideas[2].id}"
    assert item["department"]["name"] == "Finance" and item["submitter"]["id"] == employee.id
    assert item["created_at"].endswith("+00:00")


def test_total_is_counted_up_to_the_limit(employee_api, employee, make_idea, monkeypatch):
    from portal.ideas import service

    ideas = [make_idea(employee) for _ in range(5)]
    monkeypatch.setattr(service, "COUNT_LIMIT", 3)
    body = employee_api.get("/api/v1/ideas?per_page=2").get_json()
    assert (body["total"], body["total_exact"], body["pages"]) == (3, False, 2)
    # Pages past the counted ones still answer (oldest last).
    last = employee_api.get("/api/v1/ideas?per_page=2&page=3").get_json()
    assert [i["id"] for i in last["items"]] == [ideas[0].id]
    exact = employee_api.get("/api/v1/ideas?per_page=2&q=no+such+words").get_json()
    assert (exact["total"], exact["total_exact"], exact["items"]) == (0, True, [])
    monkeypatch.setattr(service, "COUNT_LIMIT", 10)
    past = employee_api.get("/api/v1/ideas?per_page=2&page=4").get_json()
    assert (past["total"], past["total_exact"], past["items"]) == (5, True, [])


def test_the_total_counts_my_drafts_and_not_others(
    employee_api, employee, make_user, make_idea, monkeypatch
):
    from portal.ideas import service

    for _ in range(3):
        make_idea(employee)
    make_idea(employee, IdeaStatus.DRAFT)
    make_idea(make_user(), IdeaStatus.DRAFT)
    body = employee_api.get("/api/v1/ideas?per_page=2").get_json()
    assert (body["total"], body["total_exact"], body["pages"]) == (4, True, 2)
    # Counted in parts (not drafts, my drafts), each up to the limit: still "more than".
    monkeypatch.setattr(service, "COUNT_LIMIT", 3)
    body = employee_api.get("/api/v1/ideas?per_page=2").get_json()
    assert (body["total"], body["total_exact"]) == (3, False)


def test_list_filters(
    employee_api, employee, make_idea, make_department, make_user, make_objective
):
    it = make_department("IT")
    colleague = make_user(dept=it)
    growth = make_objective("Growth")
    wanted = make_idea(colleague, status=IdeaStatus.APPROVED, objectives=[growth])
    wanted.title = "Chatbot for the service desk"
    make_idea(colleague, status=IdeaStatus.APPROVED)
    make_idea(employee, status=IdeaStatus.APPROVED, objectives=[growth])
    make_idea(colleague, status=IdeaStatus.SUBMITTED, objectives=[growth])
    db.session.commit()
    query = f"department_id={it.id}&status=approved&objective_id={growth.id}"
    body = employee_api.get(f"/api/v1/ideas?{query}").get_json()
    assert [i["id"] for i in body["items"]] == [wanted.id]
    assert body["items"][0]["objectives"] == [{"id": growth.id, "name": "Growth"}]
    body = employee_api.get("/api/v1/ideas?q=CHATBOT").get_json()
    assert [i["id"] for i in body["items"]] == [wanted.id]


def test_list_sorted_by_votes(employee_api, employee, make_idea):
    low, high = make_idea(employee), make_idea(employee)
    high.vote_count = 3
    db.session.commit()
    body = employee_api.get("/api/v1/ideas?sort=votes").get_json()
    assert [i["id"] for i in body["items"]] == [high.id, low.id]


def test_others_drafts_are_invisible(employee_api, employee, brm, make_idea):
    own = make_idea(employee, status=IdeaStatus.DRAFT)
    other = make_idea(brm, status=IdeaStatus.DRAFT)
    ids = [i["id"] for i in employee_api.get("/api/v1/ideas").get_json()["items"]]
    assert ids == [own.id]
    assert employee_api.get(f"/api/v1/ideas/{own.id}").status_code == 200
    response = employee_api.get(f"/api/v1/ideas/{other.id}")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    assert employee_api.put(f"/api/v1/ideas/{other.id}/vote").status_code == 404
    response = employee_api.post(f"/api/v1/ideas/{other.id}/comments", json={"body": "hi"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "query, field",
    [
        ("status=sleeping", "status"),
        ("page=0", "page"),
        ("per_page=101", "per_page"),
        ("sort=random", "sort"),
        ("department_id=abc", "department_id"),
        ("department_id=99999999999", "department_id"),
        ("q=" + "x" * 201, "q"),
        ("q=%00", "q"),
    ],
)
def test_bad_filters_are_422_with_the_field(employee_api, query, field):
    response = employee_api.get(f"/api/v1/ideas?{query}")
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "unprocessable_entity"
    assert field in error["fields"]


def test_read_idea(employee_api, employee, make_idea):
    idea = make_idea(employee, status=IdeaStatus.IN_REVIEW)
    body = employee_api.get(f"/api/v1/ideas/{idea.id}").get_json()
    assert body["title"] == idea.title and body["status"] == "in_review"
    assert body["problem"] == idea.problem and body["voted"] is False
    assert body["decided_at"] is None


def test_unknown_idea_and_route_are_json_404(employee_api):
    response = employee_api.get("/api/v1/ideas/424242")
    assert response.status_code == 404 and "IDEA-424242" in error_of(response)["message"]
    assert employee_api.get("/api/v1/ideas/99999999999").status_code == 404
    response = employee_api.get("/api/v1/nothing-here")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    response = employee_api.patch("/api/v1/ideas")
    assert response.status_code == 405 and error_of(response)["code"] == "method_not_allowed"


def test_create_draft(employee_api, employee, make_objective):
    objective = make_objective("Cut cost")
    response = employee_api.post(
        "/api/v1/ideas", json={**NEW_IDEA, "objective_ids": [objective.id]}
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/ideas/{body['id']}")
    assert body["status"] == "draft" and body["submitted_at"] is None
    idea = db.session.get(Idea, body["id"])
    assert idea.submitter_id == employee.id and idea.department_id == employee.department_id
    assert [o.name for o in idea.objectives] == ["Cut cost"]


def test_create_and_submit(employee_api):
    body = employee_api.post("/api/v1/ideas", json={**NEW_IDEA, "submit": True}).get_json()
    assert body["status"] == "submitted" and body["submitted_at"] is not None


@pytest.mark.parametrize(
    "change, field",
    [
        ({"title": None}, "title"),
        ({"title": "abc"}, "title"),
        ({"title": "    ab    "}, "title"),
        ({"problem": ""}, "problem"),
        ({"proposal": "x" * 5001}, "proposal"),
        ({"proposal": ""}, "proposal"),
        ({"expected_benefit": "   "}, "expected_benefit"),
        ({"expected_benefit": "nul\x00byte"}, "expected_benefit"),
        ({"title": "Half \ud800 a character"}, "title"),
        ({"problem": "half \udfff"}, "problem"),
        ({"department_id": 987654}, "department_id"),
        ({"objective_ids": [987654]}, "objective_ids"),
        ({"objective_ids": "1"}, "objective_ids"),
        ({"submit": "maybe"}, "submit"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_create_with_bad_fields_is_422(employee_api, change, field):
    payload = {k: v for k, v in {**NEW_IDEA, **change}.items() if v is not None}
    response = employee_api.post("/api/v1/ideas", json=payload)
    assert response.status_code == 422, response.get_json()
    assert field in error_of(response)["fields"]
    assert db.session.scalar(sa.select(sa.func.count(Idea.id))) == 0


def test_create_with_broken_json_is_an_error_not_a_crash(employee_api):
    response = employee_api.post(
        "/api/v1/ideas", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422)
    error_of(response)


def test_vote_and_unvote_are_idempotent(employee_api, employee, brm, make_idea):
    idea = make_idea(brm)
    for _ in range(2):
        response = employee_api.put(f"/api/v1/ideas/{idea.id}/vote")
        assert response.status_code == 200
        assert response.get_json() == {"voted": True, "vote_count": 1}
    assert employee_api.get(f"/api/v1/ideas/{idea.id}").get_json()["voted"] is True
    for _ in range(2):
        response = employee_api.delete(f"/api/v1/ideas/{idea.id}/vote")
        assert response.get_json() == {"voted": False, "vote_count": 0}
    assert db.session.scalar(sa.select(sa.func.count(Vote.id))) == 0


@pytest.mark.parametrize("status", [IdeaStatus.DRAFT, IdeaStatus.REJECTED])
def test_vote_on_closed_idea_is_409(employee_api, employee, status, make_idea):
    idea = make_idea(employee, status=status)
    response = employee_api.put(f"/api/v1/ideas/{idea.id}/vote")
    assert response.status_code == 409
    assert "Votes are closed" in error_of(response)["message"]


def test_comment(employee_api, employee, brm, make_idea):
    idea = make_idea(brm)
    response = employee_api.post(
        f"/api/v1/ideas/{idea.id}/comments", json={"body": "  Yes please  "}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["body"] == "Yes please" and body["author"]["id"] == employee.id
    assert body["kind"] == "comment"
    listing = employee_api.get(f"/api/v1/ideas/{idea.id}/comments").get_json()
    assert [c["id"] for c in listing] == [body["id"]]


@pytest.mark.parametrize("payload", [{}, {"body": "   "}, {"body": 5}, {"body": "bad \udfff"}])
def test_bad_comment_is_422(employee_api, brm, make_idea, payload):
    idea = make_idea(brm)
    response = employee_api.post(f"/api/v1/ideas/{idea.id}/comments", json=payload)
    assert response.status_code == 422 and "body" in error_of(response)["fields"]
    assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0


def test_a_search_finds_every_word_and_refuses_too_many(employee_api, employee, make_idea):
    make_idea(employee, title="Invoice reminders by email", status=IdeaStatus.SUBMITTED)
    make_idea(employee, title="Invoice scanning", status=IdeaStatus.SUBMITTED)
    body = employee_api.get("/api/v1/ideas?q=reminder invoice").get_json()
    assert [i["title"] for i in body["items"]] == ["Invoice reminders by email"]
    many = " ".join(f"w{n}" for n in range(11))
    response = employee_api.get("/api/v1/ideas", query_string={"q": many})
    assert response.status_code == 400
    assert "at most 10 words" in error_of(response)["message"]
