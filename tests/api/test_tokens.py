"""API tokens: created on the profile page (shown once, stored hashed), used, revoked."""

import hashlib
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import ApiToken, AuditEvent, Comment, Idea, IdeaStatus, utcnow
from tests.api.conftest import error_of


def _create(client, name="report script"):
    response = client.post("/account/tokens", data={"name": name})
    assert response.status_code == 200
    match = re.search(rb'value="(cvg_[A-Za-z0-9_\-]+)"', response.data)
    assert match, response.data
    return response, match.group(1).decode()


def test_profile_page_shows_details_and_menu_link(employee_client, employee):
    page = employee_client.get("/account/")
    assert page.status_code == 200
    assert employee.email.encode() in page.data
    assert b"You have no API tokens." in page.data
    assert b'href="/account/"' in employee_client.get("/ideas/").data


def test_profile_needs_sign_in(client):
    response = client.get("/account/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_token_is_shown_once_and_stored_hashed(employee_client, employee):
    response, secret = _create(employee_client)
    assert response.headers["Cache-Control"] == "no-store"
    token = db.session.scalar(sa.select(ApiToken))
    assert token.user_id == employee.id and token.name == "report script"
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(token.prefix) and len(secret) > 40
    listing = employee_client.get("/account/")
    assert secret.encode() not in listing.data
    assert token.prefix.encode() in listing.data
    assert db.session.scalar(sa.select(AuditEvent.action)) == "api_token_created"


def test_token_needs_a_name(employee_client):
    response = employee_client.post("/account/tokens", data={"name": "  "})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_token_authenticates_and_records_use(app, employee_client, employee):
    _, secret = _create(employee_client)
    api = app.test_client()
    response = api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.get_json()["email"] == employee.email
    response.close()  # the use is noted once the response is done (portal.api.auth)
    db.session.rollback()  # see what that other connection committed
    assert db.session.scalar(sa.select(ApiToken.last_used_at)) is not None
    assert "Set-Cookie" not in response.headers


def test_revoked_token_is_refused(app, employee_client):
    _, secret = _create(employee_client)
    token = db.session.scalar(sa.select(ApiToken))
    response = employee_client.post(f"/account/tokens/{token.id}/revoke")
    assert response.status_code == 302
    db.session.rollback()  # see what other connections committed
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    assert b"You have no API tokens." in employee_client.get("/account/").data
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_cannot_revoke_someone_elses_token(client_for, employee, brm, token_for):
    token_for(brm)
    token = db.session.scalar(sa.select(ApiToken))
    response = client_for(employee).post(f"/account/tokens/{token.id}/revoke")
    assert response.status_code == 404
    db.session.rollback()  # see what other connections committed
    assert db.session.get(ApiToken, token.id).revoked_at is None


def test_deactivated_users_token_is_refused(app, employee, token_for):
    secret = token_for(employee)
    employee.active = False
    db.session.commit()
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401


def test_missing_or_malformed_credentials_are_401(app, employee, token_for):
    secret = token_for(employee)
    client = app.test_client()
    for headers in (
        {},
        {"Authorization": secret},
        {"Authorization": f"Basic {secret}"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer cvg_not-a-real-token"},
        {"Authorization": f"Bearer {secret}x"},
    ):
        response = client.get("/api/v1/ideas", headers=headers)
        assert response.status_code == 401, headers
        assert response.is_json and error_of(response)["code"] == "unauthorized"


def test_session_cookie_does_not_authenticate_the_api(employee_client):
    assert employee_client.get("/ideas/").status_code == 200  # signed in on the web
    response = employee_client.get("/api/v1/me")
    assert response.status_code == 401
    response = employee_client.post("/api/v1/ideas", json={"title": "Through the cookie"})
    assert response.status_code == 401


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_csrf_guards_the_profile_but_not_token_calls(app, client_for, employee):
    web = client_for(employee)
    response = web.post("/account/tokens", data={"name": "no csrf token"})
    assert response.status_code == 400
    page = web.get("/account/").data.decode()
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = web.post("/account/tokens", data={"name": "with token", "csrf_token": csrf})
    assert response.status_code == 200
    secret = re.search(r'value="(cvg_[^"]+)"', response.data.decode()).group(1)
    response = app.test_client().post(
        "/api/v1/ideas",
        json={"title": "From a script", "problem": "p", "proposal": "q", "expected_benefit": "r"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 201, response.get_json()


def test_token_expires_after_the_chosen_lifetime(app, employee_client, employee):
    response = employee_client.post("/account/tokens", data={"name": "cron", "lifetime": "30"})
    secret = re.search(rb'value="(cvg_[A-Za-z0-9_\-]+)"', response.data).group(1).decode()
    token = db.session.scalar(sa.select(ApiToken))
    assert (token.expires_at - token.created_at).days == 30 and not token.read_only
    api = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/me", headers=headers).status_code == 200

    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = api.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert "expired" in error_of(response)["message"]
    page = employee_client.get("/account/").get_data(as_text=True)
    assert "expired" in page and "read and write" in page


def test_token_lifetime_defaults_to_90_days_and_must_be_offered(employee_client):
    _create(employee_client)
    token = db.session.scalar(sa.select(ApiToken))
    assert (token.expires_at - token.created_at).days == 90
    response = employee_client.post("/account/tokens", data={"name": "forever", "lifetime": "9999"})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 1


def test_read_only_token_reads_but_cannot_write(app, employee_client, employee, make_idea):
    response = employee_client.post("/account/tokens", data={"name": "dashboard", "read_only": "y"})
    secret = re.search(rb'value="(cvg_[A-Za-z0-9_\-]+)"', response.data).group(1).decode()
    assert db.session.scalar(sa.select(ApiToken.read_only)) is True
    assert "read only" in employee_client.get("/account/").get_data(as_text=True)
    idea = make_idea(employee)
    api = app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    assert api.get("/api/v1/me").status_code == 200
    assert api.get("/api/v1/ideas").status_code == 200
    for response in (
        api.post("/api/v1/ideas", json={"title": "x"}),
        api.put(f"/api/v1/ideas/{idea.id}/vote"),
        api.delete(f"/api/v1/ideas/{idea.id}/vote"),
        api.post(f"/api/v1/ideas/{idea.id}/comments", json={"body": "hi"}),
    ):
        assert response.status_code == 403, response.request.method
        assert "read-only" in error_of(response)["message"]
    assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Idea.id))) == 1


def test_read_write_token_still_writes(app, employee_api, employee, make_idea):
    idea = make_idea(employee, status=IdeaStatus.SUBMITTED)
    assert employee_api.put(f"/api/v1/ideas/{idea.id}/vote").status_code in (200, 201, 204)
