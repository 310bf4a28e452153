"""Sessions you can end: sign-out ends this device's session and remember-me cookie (and
every copy of them); sign out everywhere, password change and deactivation end every
session and remember-me cookie of the person at once. Remember-me secrets are random per
sign-in, stored hashed and replaced each time they are used; a replaced one shown again
after the grace ends its sign-in."""

import hashlib
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from portal.auth.sessions import COOKIE, LEGACY_COOKIE, REUSE_GRACE
from portal.extensions import db
from portal.models import AuditEvent, Notification, Role, SignIn, User
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


def _remember_cookie(client):
    return client.get_cookie(COOKIE, domain="converge.example")


def test_remember_me_cookie_is_random_hashed_lax_and_30_days(app, employee):
    client = _sign_in(app, employee, remember=True)
    cookie = _remember_cookie(client)
    assert cookie is not None
    assert cookie.same_site == "Lax" and cookie.http_only
    days = (cookie.expires - datetime.now(UTC)).days
    assert 29 <= days <= 30
    number, _, secret = cookie.value.partition(".")
    assert len(secret) >= 40 and employee.session_key not in cookie.value
    row = db.session.get(SignIn, int(number))
    assert row.user_id == employee.id
    assert row.remember_hash == hashlib.sha256(secret.encode()).hexdigest()  # only the hash
    assert secret not in row.remember_hash

    again = _sign_in(app, employee, remember=True)
    assert _remember_cookie(again).value.partition(".")[2] != secret  # new on every sign-in

    only_remembered = _copy(app, client, COOKIE)
    assert _signed_in(only_remembered)  # the cookie works on its own


def _sign_in_row(cookie_value: str) -> SignIn | None:
    db.session.expire_all()
    return db.session.get(SignIn, int(cookie_value.partition(".")[0]))


def _replaced_a_while_ago(cookie_value: str) -> None:
    """Move the last rotation of the cookie's sign-in back past the grace."""
    row = _sign_in_row(cookie_value)
    row.rotated_at -= REUSE_GRACE + timedelta(seconds=1)
    db.session.commit()


def _browser_with(app, cookie_value: str):
    browser = app.test_client()
    browser.set_cookie(COOKIE, cookie_value, domain="converge.example")
    return browser


def test_remember_me_secret_is_replaced_on_use(app, employee):
    client = _sign_in(app, employee, remember=True)
    first = _remember_cookie(client).value
    browser = _copy(app, client, COOKIE)  # the browser reopened: only the cookie is left
    assert _signed_in(browser)
    rotated = _remember_cookie(browser).value
    assert rotated != first and rotated.partition(".")[0] == first.partition(".")[0]
    row = _sign_in_row(rotated)
    assert row.remember_hash == hashlib.sha256(rotated.partition(".")[2].encode()).hexdigest()
    assert row.previous_hash == hashlib.sha256(first.partition(".")[2].encode()).hexdigest()
    assert abs((row.expires_at - row.rotated_at) - timedelta(days=30)) < timedelta(seconds=1)
    assert _signed_in(browser)  # and it stays signed in on its session
    assert _remember_cookie(browser).value == rotated  # no rotation while the session lasts

    again = _browser_with(app, rotated)  # reopened once more: replaced once more
    assert _signed_in(again) and _remember_cookie(again).value not in (first, rotated)


def test_a_replaced_secret_shown_later_ends_that_sign_in(app, employee):
    """The owner came back (the secret was replaced); a copy of the old cookie shown later
    is refused, and the sign-in it belonged to ends for everyone holding it."""
    laptop = _sign_in(app, employee, remember=True)
    stolen = _remember_cookie(laptop).value
    owner = _copy(app, laptop, COOKIE)
    assert _signed_in(owner)
    other_device = _sign_in(app, employee, remember=True)
    _replaced_a_while_ago(stolen)

    thief = _browser_with(app, stolen)
    assert not _signed_in(thief)
    assert _remember_cookie(thief) is None  # deleted from that browser
    assert _sign_in_row(stolen) is None
    assert not _signed_in(owner)  # its session and current cookie end with it
    assert not _signed_in(_copy(app, owner, COOKIE))
    assert _signed_in(other_device)  # the person's other sign-ins stay
    [event] = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "remember_me_reused")
    ).all()
    assert (event.object_type, event.object_id) == ("users", employee.id)
    assert event.after["sign_in"] == int(stolen.partition(".")[0])
    [note] = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == employee.id)
    ).all()
    assert "shown again after it had been replaced" in note.message
    assert note.link == "/account/"


def test_a_thief_who_came_first_is_ended_when_the_owner_comes_back(app, employee):
    client = _sign_in(app, employee, remember=True)
    original = _remember_cookie(client).value
    thief = _browser_with(app, original)
    assert _signed_in(thief)  # the copy was used first: it got the new secret
    _replaced_a_while_ago(original)
    owner = _browser_with(app, original)
    assert not _signed_in(owner)
    assert not _signed_in(thief)  # the thief's session and remember-me cookie end
    assert not _signed_in(_copy(app, thief, COOKIE))


def test_requests_sent_together_with_one_cookie_all_get_in(app, employee):
    """Tabs reopened at once send the same cookie before the first answer replaces it: the
    secret just replaced is still let in, without replacing it again."""
    client = _sign_in(app, employee, remember=True)
    shared = _remember_cookie(client).value
    first, second = _browser_with(app, shared), _browser_with(app, shared)
    assert _signed_in(first)
    newest = _remember_cookie(first).value
    response = second.get("/account/")
    assert response.status_code == 200
    assert COOKIE not in response.headers.get("Set-Cookie", "")  # the browser keeps newest
    assert _sign_in_row(newest) is not None
    assert _signed_in(_browser_with(app, newest))
    assert not db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "remember_me_reused")
    ).all()


def test_a_rotation_that_lost_the_race_keeps_the_winners_secret(app, employee, monkeypatch):
    """Two requests with the current secret at once: the one that rotates second finds the
    secret already replaced (its conditional update changes nothing), signs the person in
    and leaves the browser the winner's cookie."""
    from portal.auth import sessions

    client = _sign_in(app, employee, remember=True)
    cookie = _remember_cookie(client).value
    winner = "w" * 64
    real = sessions.secrets.token_urlsafe

    def the_other_request_rotates_first(n):
        if not rotations:  # just before this request's own rotation (not later on the page)
            db.session.execute(
                sa.update(SignIn)
                .where(SignIn.id == int(cookie.partition(".")[0]))
                .values(remember_hash=winner)
            )
        rotations.append(n)
        return real(n)

    rotations = []

    monkeypatch.setattr(sessions.secrets, "token_urlsafe", the_other_request_rotates_first)
    browser = _browser_with(app, cookie)
    response = browser.get("/account/")
    monkeypatch.undo()
    assert response.status_code == 200
    assert COOKIE not in response.headers.get("Set-Cookie", "")
    assert _sign_in_row(cookie).remember_hash == winner


def test_a_forged_secret_is_refused_without_ending_the_sign_in(app, employee):
    """Sign-in numbers are guessable: a made-up secret must not end the sign-in (or anyone
    could sign others out)."""
    client = _sign_in(app, employee, remember=True)
    cookie = _remember_cookie(client).value
    number = cookie.partition(".")[0]
    for value in (f"{number}.not-the-secret", f"{number}.{'x' * 500}", f"{number}.", "x.y"):
        forged = _browser_with(app, value)
        assert not _signed_in(forged)
    assert _sign_in_row(cookie) is not None
    assert _signed_in(_copy(app, client, COOKIE))


def test_an_old_flask_login_cookie_neither_blocks_nor_stays(app, employee):
    """Before sign-ins had rows, Flask-Login's own cookie (`remember_token`, a year) was the
    remember-me: one still in a browser is deleted and does not hide the new cookie."""
    client = _sign_in(app, employee, remember=True)
    browser = _copy(app, client, COOKIE)
    browser.set_cookie(LEGACY_COOKIE, f"{employee.id}|deadbeef", domain="converge.example")
    response = browser.get("/account/")
    assert response.status_code == 200
    assert browser.get_cookie(LEGACY_COOKIE, domain="converge.example") is None
    legacy_only = app.test_client()
    legacy_only.set_cookie(LEGACY_COOKIE, f"{employee.id}|deadbeef", domain="converge.example")
    assert not _signed_in(legacy_only)


def test_remember_me_cookie_of_an_expired_sign_in_fails(app, employee):
    client = _sign_in(app, employee, remember=True)
    number = int(_remember_cookie(client).value.partition(".")[0])
    db.session.get(SignIn, number).expires_at = datetime(2020, 1, 1)
    db.session.commit()
    assert not _signed_in(_copy(app, client, COOKIE))
    assert not _signed_in(client)  # the session of an expired sign-in ends too


def test_sign_out_everywhere_ends_every_session_and_remember_me_cookie(app, employee):
    laptop = _sign_in(app, employee, remember=True)
    phone = _sign_in(app, employee)
    remembered = _copy(app, laptop, COOKIE)
    page = phone.get("/account/").get_data(as_text=True)
    assert "Sign out everywhere" in page

    response = phone.post("/account/sessions/end")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    for client in (laptop, phone, remembered):
        assert not _signed_in(client)
    assert _signed_in(_sign_in(app, employee))  # signing in again works


def test_sign_out_here_ends_the_remember_me_cookie_too_and_only_this_device(app, employee):
    client = _sign_in(app, employee, remember=True)
    remembered = _copy(app, client, COOKIE)
    other_device = _sign_in(app, employee, remember=True)
    response = client.post("/auth/logout")
    assert COOKIE in response.headers.get("Set-Cookie", "")  # deleted from this browser
    assert _remember_cookie(client) is None
    assert not _signed_in(remembered)
    assert _signed_in(other_device)
    assert _signed_in(_copy(app, other_device, COOKIE))


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
    remembered = _copy(app, elsewhere, COOKIE)
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
    remembered = _copy(app, client, COOKIE)
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


def test_a_refused_rotation_still_signs_in_and_keeps_the_old_secret(app, employee, monkeypatch):
    """Bringing a session back writes the new secret; when the database refuses that write
    (locked, read-only) the person is signed in all the same and the old secret stays."""
    client = _sign_in(app, employee, remember=True)
    kept = _remember_cookie(client).value
    db.session.add(Notification(user_id=employee.id, message="news"))
    db.session.commit()

    def refuse():
        raise sa.exc.OperationalError("UPDATE sign_ins", {}, Exception("database is locked"))

    monkeypatch.setattr(db.session, "commit", refuse)
    browser = _copy(app, client, COOKIE)
    page = browser.get("/account/")
    assert page.status_code == 200
    assert 'data-unread="1"' in page.get_data(as_text=True)  # the badge counts on this page too
    assert _remember_cookie(browser).value == kept
    monkeypatch.undo()
    assert _signed_in(_copy(app, client, COOKIE))  # the old secret still works
