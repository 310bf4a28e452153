"""Security headers, scripts only from files, cookies, fresh sessions and the sign-in audit."""

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.account.service import create_token
from portal.extensions import db
from portal.models import AuditEvent
from tests.conftest import PASSWORD, make_app

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
# An inline event handler: onclick="…", and the same passed to a WTForms field call.
HANDLER = re.compile(r"(?<![\w-])on[a-z]+\s*=\s*[\"']", re.IGNORECASE)


def _templates():
    return sorted(TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_load_scripts_only_from_files(path):
    text = path.read_text()
    scripts = SCRIPT.findall(text)
    assert len(scripts) == len(re.findall(r"<script\b", text, re.IGNORECASE))
    for attributes, body in scripts:
        assert "src=" in attributes, f"inline <script> in {path.name}"
        assert not body.strip(), f"<script src> with a body in {path.name}"
    assert not HANDLER.search(text), f"inline event handler in {path.name}"


def test_content_security_policy_allows_no_inline_script(client):
    headers = client.get("/auth/login").headers
    policy = dict(
        part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "unsafe-inline" not in policy["default-src"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]


def test_development_neither_forces_https_nor_sends_hsts(client):
    assert client.get("/auth/login").status_code == 200
    secure = client.get("/auth/login", base_url="https://converge.example")
    assert "Strict-Transport-Security" not in secure.headers


@pytest.fixture
def production_app(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "production-secret")
    # With CSRF on, the sign-in page starts a session (its token), so a cookie is set.
    return make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)


def test_health_checks_answer_over_plain_http_in_production(production_app):
    client = production_app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/auth/login").status_code == 302  # other pages still go to HTTPS


def test_production_sends_hsts_and_redirects_to_https(production_app):
    client = production_app.test_client()
    plain = client.get("/auth/login")
    assert plain.status_code == 302
    assert plain.headers["Location"].startswith("https://")
    secure = client.get("/auth/login", base_url="https://converge.example")
    assert secure.status_code == 200
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_production_session_cookie_is_secure_httponly_lax(production_app):
    response = production_app.test_client().get("/auth/login", base_url="https://converge.example")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_signed_in_pages_are_not_stored(client, employee_client):
    assert employee_client.get("/").headers["Cache-Control"] == "no-store"
    assert employee_client.get("/ideas/").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/auth/login").headers.get("Cache-Control", "")
    static = employee_client.get("/static/converge.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


def test_api_answers_are_not_stored(client, employee):
    secret = create_token(employee, "script").secret
    db.session.commit()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_swagger_docs_page_has_no_inline_script(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    scripts = SCRIPT.findall(page)
    assert len(scripts) == 3
    assert all("src=" in attributes and not body.strip() for attributes, body in scripts)
    assert "js/swagger-docs.js" in page


def test_sign_in_starts_a_fresh_session_and_keeps_next(client, employee):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    response = client.post(
        "/auth/login?next=/ideas/", data={"email": employee.email, "password": PASSWORD}
    )
    assert response.headers["Location"].endswith("/ideas/")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == employee.get_id()


def test_sign_out_clears_the_session(client, employee):
    client.post("/auth/login", data={"email": employee.email, "password": PASSWORD})
    with client.session_transaction() as session:
        session["left_over"] = "draft"
    client.post("/auth/logout")
    with client.session_transaction() as session:
        assert "left_over" not in session
        assert "_user_id" not in session


def _events(action):
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


def test_sign_in_success_and_failure_are_audited(client, employee):
    client.post("/auth/login", data={"email": employee.email, "password": "wrong password"})
    client.post("/auth/login", data={"email": "ghost@x.example", "password": "wrong password"})
    [failed] = _events("sign_in_failed")
    assert (failed.object_type, failed.object_id, failed.actor_id) == ("users", employee.id, None)
    assert failed.after["address"] == "127.0.0.1"
    client.post("/auth/login", data={"email": employee.email, "password": PASSWORD})
    [signed_in] = _events("signed_in")
    assert (signed_in.actor_id, signed_in.object_id) == (employee.id, employee.id)
