"""Sessions you can end: sign-out, sign out everywhere, password change and deactivation end
every copy of the session cookie and every remember-me cookie at once."""

from datetime import UTC, datetime

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Role, User
from tests.conftest import PASSWORD

NEW_PASSWORD = "quay lantern orbit 42"


def _sign_in(app, user: User, *, remember: bool = False):
    client = app.test_client()
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/auth/login", data=data).status_code == 302
    return client


def _copy(app, source, *names):
    """A second browser holding copies of `source`'s cookies (all, or only `names`)."""
    thief = app.test_client()
    for cookie in source._cookies.values():
        if not names or cookie.key in names:
            thief.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    return thief


def _signed_in(client) -> bool:
    return client.get("/account/").status_code == 200


def test_sign_out_ends_copies_of_the_session_cookie(app, employee):
    client = _sign_in(app, employee)
    copy = _copy(app, client)
    assert _signed_in(copy)
    client.post("/auth/logout")
    assert not _signed_in(client)
    assert not _signed_in(copy)  # before: the copied cookie still worked for 31 days


def test_a_session_cookie_of_a_bare_user_id_is_refused(app, employee):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(employee.id)  # what cookies held before session keys
    assert not _signed_in(client)


def test_remember_me_cookie_is_lax_30_days_and_not_the_bare_id(app, employee):
    client = _sign_in(app, employee, remember=True)
    cookie = client.get_cookie("remember_token", domain="converge.example")
    assert cookie is not None
    assert cookie.same_site == "Lax" and cookie.http_only
    days = (cookie.expires - datetime.now(UTC)).days
    assert 29 <= days <= 30
    assert not cookie.value.startswith(f"{employee.id}|")
    assert cookie.value.startswith(f"{employee.id}:{employee.session_key}|")

    only_remembered = _copy(app, client, "remember_token")
    assert _signed_in(only_remembered)  # the cookie works on its own


def test_sign_out_everywhere_ends_every_session_and_remember_me_cookie(app, employee):
    laptop = _sign_in(app, employee, remember=True)
    phone = _sign_in(app, employee)
    remembered = _copy(app, laptop, "remember_token")
    page = phone.get("/account/").get_data(as_text=True)
    assert "Sign out everywhere" in page

    response = phone.post("/account/sessions/end")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    for client in (laptop, phone, remembered):
        assert not _signed_in(client)
    assert _signed_in(_sign_in(app, employee))  # signing in again works


def test_sign_out_here_ends_the_remember_me_cookie_too(app, employee):
    client = _sign_in(app, employee, remember=True)
    remembered = _copy(app, client, "remember_token")
    client.post("/auth/logout")
    assert not _signed_in(remembered)


def test_password_change_needs_the_current_password_and_a_strong_new_one(app, employee):
    client = _sign_in(app, employee)
    cases = [
        ({"current": "wrong one", "password": NEW_PASSWORD}, "The current password is wrong."),
        ({"current": PASSWORD, "password": "password12"}, "Choose a harder password"),
    ]
    for data, message in cases:
        data["confirm"] = data["password"]
        response = client.post("/account/password", data=data)
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    db.session.refresh(employee)
    assert employee.check_password(PASSWORD)


def test_password_change_ends_the_other_sessions_and_keeps_this_one(app, employee):
    here = _sign_in(app, employee)
    elsewhere = _sign_in(app, employee, remember=True)
    remembered = _copy(app, elsewhere, "remember_token")
    response = here.post(
        "/account/password",
        data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert _signed_in(here)
    assert not _signed_in(elsewhere)
    assert not _signed_in(remembered)
    db.session.refresh(employee)
    assert employee.check_password(NEW_PASSWORD)


def test_deactivation_ends_sessions_even_after_reactivation(app, admin, employee):
    client = _sign_in(app, employee, remember=True)
    remembered = _copy(app, client, "remember_token")
    admin_client = _sign_in(app, admin)

    def save(active: bool):
        data = {
            "name": employee.name,
            "role": Role.EMPLOYEE.value,
            "department": employee.department_id,
        }
        if active:
            data["active"] = "y"
        response = admin_client.post(f"/admin/users/{employee.id}", data=data)
        assert response.status_code == 302

    save(active=False)
    assert not _signed_in(client)
    save(active=True)
    assert not _signed_in(client)
    assert not _signed_in(remembered)
    assert db.session.scalar(sa.select(User.active).where(User.id == employee.id))
