"""Reloading the page a POST rendered must not create anything twice."""

import re

from portal.extensions import db
from portal.models import ApiToken, Comment


def test_reloading_the_new_token_page_does_not_make_a_second_token(employee_client):
    page = employee_client.get("/account/").get_data(as_text=True)
    once = re.search(r'name="once" type="hidden" value="([^"]+)"', page).group(1)
    first = employee_client.post("/account/tokens", data={"name": "script", "once": once})
    assert first.status_code == 200 and "cvg_" in first.get_data(as_text=True)
    again = employee_client.post("/account/tokens", data={"name": "script", "once": once})
    assert again.status_code == 409
    text = again.get_data(as_text=True)
    assert "already created" in text and 'name="once"' in text  # the form works from there
    assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 1
    fresh = re.search(r'name="once" type="hidden" value="([^"]+)"', text).group(1)
    assert fresh != once
    assert (
        employee_client.post("/account/tokens", data={"name": "other", "once": fresh}).status_code
        == 200
    )
    assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 2


def test_a_posted_comment_redirects_so_a_reload_does_not_repost(
    employee_client, employee, make_idea
):
    from portal.models import IdeaStatus

    idea = make_idea(employee, status=IdeaStatus.SUBMITTED)
    response = employee_client.post(f"/ideas/{idea.id}/comments", data={"body": "Nice one"})
    assert response.status_code == 302  # the browser lands on a GET page
    assert db.session.scalar(db.select(db.func.count(Comment.id))) == 1
