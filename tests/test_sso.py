"""Single sign-on against a real OpenID provider on loopback (tests/sso_provider.py): the
flow, accounts made and kept from the claims, every refusal, password sign-in turned off."""

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from portal.auth.sso import parse_role_map
from portal.config import ConfigError
from portal.extensions import db
from portal.models import ROLE_AUTHORITY, AuditEvent, Department, Role, User
from tests.conftest import PASSWORD, PROVIDER_WARNINGS, make_app, sso_config

pytestmark = PROVIDER_WARNINGS


@pytest.fixture
def app_config(oidc_provider):
    return sso_config(oidc_provider)


@pytest.fixture
def departments(make_department, department):
    """Finance (the `department` fixture), Sales and Operations."""
    return {
        "Finance": department,
        "Sales": make_department("Sales"),
        "Operations": make_department("Operations"),
    }


def person(provider, sub="alice", **claims):
    """Put a person at the provider: verified e-mail, a name, Finance, no groups."""
    defaults = {
        "email": f"{sub}@acme.example",
        "email_verified": True,
        "name": f"{sub.title()} Example",
        "department": "Finance",
        "groups": [],
    }
    provider.put_user(sub, **{**defaults, **claims})


def start(client, **query):
    response = client.get("/auth/sso", query_string=query)
    assert response.status_code == 302, response.status_code
    return response.location


def sign_in(client, provider, sub="alice", **query):
    """The whole flow in a browser: start, sign in at the provider, come back."""
    return client.get(provider.authorize(start(client, **query), sub))


def signed_in_user_id(client) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")


def user(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


# ------------------------------------------------------------------ the flow


def test_sign_in_page_offers_the_provider(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert "Sign in with Acme ID" in page
    assert 'href="/auth/sso"' in page
    assert 'name="password"' in page  # passwords still work unless turned off


def test_start_sends_state_nonce_and_a_pkce_challenge(client, oidc_provider):
    location = start(client)
    assert location.startswith(f"{oidc_provider.issuer}/oauth2/authorize?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == "converge"
    assert query["scope"] == "openid email profile"
    assert query["redirect_uri"] == "http://127.0.0.1:5000/auth/sso/callback"
    assert query["code_challenge_method"] == "S256"
    assert len(query["state"]) >= 20 and len(query["nonce"]) >= 20
    assert len(query["code_challenge"]) == 43  # base64url of a SHA-256


def test_first_sign_in_makes_the_account_from_the_claims(client, oidc_provider, departments):
    person(oidc_provider, "alice", groups=["converge-pm"], department="fInAnCe")
    location = start(client, next="/ideas/mine")
    challenge = parse_qs(urlsplit(location).query)["code_challenge"][0]
    response = client.get(oidc_provider.authorize(location, "alice"))

    assert response.status_code == 302
    assert response.location.endswith("/ideas/mine")
    alice = user("alice@acme.example")
    assert alice.name == "Alice Example"
    assert alice.role == Role.PORTFOLIO_MANAGER
    assert alice.department == departments["Finance"]  # matched ignoring case
    assert (alice.sso_issuer, alice.sso_subject) == (oidc_provider.issuer, "alice")
    assert alice.password_hash == "" and not alice.check_password("")
    assert signed_in_user_id(client) == alice.get_id()
    assert client.get("/ideas/mine").status_code == 200
    # PKCE: the provider received the verifier whose hash the challenge was.
    verifier = oidc_provider.token_requests[-1]["code_verifier"]
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    assert digest.rstrip(b"=").decode() == challenge
    assert [e.object_id for e in events("user_provisioned")] == [alice.id]
    assert [e.after["via"] for e in events("signed_in")] == ["sso"]


def test_a_repeat_sign_in_uses_the_same_account(app, client_for, oidc_provider, departments):
    person(oidc_provider, "bob")
    for _ in range(2):
        client = app.test_client()
        assert sign_in(client, oidc_provider, "bob").status_code == 302
        assert signed_in_user_id(client) is not None
    count = db.session.scalar(sa.select(sa.func.count(User.id)))
    assert count == 1
    assert len(events("user_provisioned")) == 1
    assert len(events("signed_in")) == 2


def test_an_existing_account_with_the_e_mail_is_linked_not_duplicated(
    client, oidc_provider, employee
):
    person(oidc_provider, "erin-at-idp", email="ERIN@converge.example", name="Erin E.")
    assert sign_in(client, oidc_provider, "erin-at-idp").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1
    erin = user("erin@converge.example")
    assert erin.sso_subject == "erin-at-idp"
    assert erin.name == "Erin E."  # the provider manages the profile from now on
    assert erin.check_password(PASSWORD)  # the password is left as it was
    assert signed_in_user_id(client) == erin.get_id()


@pytest.mark.parametrize(
    ("groups", "role"),
    [
        ([], Role.EMPLOYEE),
        (["unmapped"], Role.EMPLOYEE),
        (["converge-brm"], Role.BRM),
        (["converge-brm", "converge-admins", "converge-pm"], Role.ADMIN),  # highest wins
        (["converge-pm", "converge-brm"], Role.PORTFOLIO_MANAGER),
        ("converge-pm", Role.PORTFOLIO_MANAGER),  # a single group as a string
    ],
)
def test_groups_map_to_the_highest_role(client, oidc_provider, departments, groups, role):
    person(oidc_provider, "carol", groups=groups)
    assert sign_in(client, oidc_provider, "carol").status_code == 302
    assert user("carol@acme.example").role == role


def test_a_brm_covers_the_departments_of_the_covers_claim(client, oidc_provider, departments):
    person(oidc_provider, "dan", groups=["converge-brm"], covers=["sales", "Operations", "Nowhere"])
    assert sign_in(client, oidc_provider, "dan").status_code == 302
    dan = user("dan@acme.example")
    assert [d.name for d in dan.covered_departments] == ["Operations", "Sales"]


def test_a_brm_without_covers_claim_covers_their_department(client, oidc_provider, departments):
    person(oidc_provider, "dana", groups=["converge-brm"], department="Sales")
    assert sign_in(client, oidc_provider, "dana").status_code == 302
    assert [d.name for d in user("dana@acme.example").covered_departments] == ["Sales"]


def test_a_change_at_the_provider_takes_effect_at_the_next_sign_in(app, oidc_provider, departments):
    person(oidc_provider, "eve", groups=["converge-brm"], covers=["Sales"])
    assert sign_in(app.test_client(), oidc_provider, "eve").status_code == 302
    assert user("eve@acme.example").role == Role.BRM

    person(oidc_provider, "eve", name="Eve Renamed", groups=["converge-pm"], department="Sales")
    assert sign_in(app.test_client(), oidc_provider, "eve").status_code == 302
    eve = user("eve@acme.example")
    assert (eve.name, eve.role, eve.department.name) == (
        "Eve Renamed",
        Role.PORTFOLIO_MANAGER,
        "Sales",
    )
    assert eve.covered_departments == []

    person(oidc_provider, "eve", groups=[], department="Sales")
    assert sign_in(app.test_client(), oidc_provider, "eve").status_code == 302
    assert user("eve@acme.example").role == Role.EMPLOYEE
    changes = events("user_updated_by_idp")
    assert [(e.before["role"], e.after["role"]) for e in changes] == [
        ("brm", "portfolio_manager"),
        ("portfolio_manager", "employee"),
    ]


def test_when_the_portal_manages_roles_later_sign_ins_keep_them(
    database_url, tmp_path, oidc_provider, departments
):
    app = make_app(database_url, tmp_path, **sso_config(oidc_provider, OIDC_MANAGE_ROLES=False))
    person(oidc_provider, "finn", groups=["converge-brm"])
    assert sign_in(app.test_client(), oidc_provider, "finn").status_code == 302
    finn = user("finn@acme.example")
    assert finn.role == Role.BRM  # the first sign-in still takes the claims
    finn.role = Role.ADMIN  # an administrator changes it in the portal
    db.session.commit()
    person(oidc_provider, "finn", name="Other Name", groups=[], department="Sales")
    assert sign_in(app.test_client(), oidc_provider, "finn").status_code == 302
    finn = user("finn@acme.example")
    assert (finn.role, finn.name, finn.department.name) == (Role.ADMIN, "Finn Example", "Finance")


# ------------------------------------------------------------------ leaders


def led(email: str) -> list[str]:
    return [d.name for d in user(email).led_departments]


def test_a_leader_named_on_a_department_finds_it_at_first_sign_in(
    client, oidc_provider, departments, make_user
):
    """Finance names fiona@x.example as its leader (no account yet); Sales is led by another
    account; Operations names someone else."""
    sales_leader = make_user(Role.LEADER, email="sam@acme.example")
    departments["Sales"].leader = sales_leader
    departments["Sales"].leader_email = "fiona@x.example"
    departments["Operations"].leader_email = "otto@acme.example"
    db.session.commit()
    person(oidc_provider, "fiona", email="Fiona@X.example", groups=["converge-leaders"])
    response = sign_in(client, oidc_provider, "fiona")
    assert response.status_code == 302
    home = client.get(response.location)
    assert home.status_code == 302 and home.location.endswith("/leader/")
    page = client.get("/leader/").get_data(as_text=True)
    assert f'data-leader-department="{departments["Finance"].id}"' in page
    assert f'data-leader-department="{departments["Sales"].id}"' not in page
    fiona = user("fiona@x.example")
    assert fiona.role == Role.LEADER and led(fiona.email) == ["Finance"]
    assert [d.email for d in [departments["Sales"].leader]] == ["sam@acme.example"]
    assert events("user_provisioned")[-1].after["leads"] == ["Finance"]
    # Leaders cannot estimate, approve, run scenarios or administer.
    for path in ("/portfolio/scenarios/new", "/admin/users", "/review/"):
        assert client.get(path).status_code == 403, path


def test_leading_follows_the_leader_role_at_the_provider(app, oidc_provider, departments):
    person(oidc_provider, "fiona", email="fiona@x.example", groups=["converge-leaders"])
    assert sign_in(app.test_client(), oidc_provider, "fiona").status_code == 302
    assert led("fiona@x.example") == ["Finance"]

    person(oidc_provider, "fiona", email="fiona@x.example", groups=[])
    assert sign_in(app.test_client(), oidc_provider, "fiona").status_code == 302
    assert user("fiona@x.example").role == Role.EMPLOYEE
    assert led("fiona@x.example") == []  # only leaders lead departments
    finance = db.session.get(Department, departments["Finance"].id)
    assert (finance.leader_label, finance.leader_email) == ("Fiona Example", "fiona@x.example")
    change = events("user_updated_by_idp")[-1]
    assert (change.before["leads"], change.after["leads"]) == (["Finance"], [])

    person(oidc_provider, "fiona", email="fiona@x.example", groups=["converge-leaders"])
    client = app.test_client()
    assert sign_in(client, oidc_provider, "fiona").status_code == 302
    assert led("fiona@x.example") == ["Finance"]  # the e-mail on file links her again
    assert client.get("/leader/").status_code == 200


def test_departments_an_admin_gave_a_leader_stay_theirs(
    client, oidc_provider, departments, make_user
):
    lee = make_user(Role.LEADER, email="lee@acme.example", name="Lee")
    departments["Operations"].leader = lee  # set by an administrator; not on file by e-mail
    db.session.commit()
    person(oidc_provider, "lee", email="lee@acme.example", groups=["converge-leaders"])
    assert sign_in(client, oidc_provider, "lee").status_code == 302
    assert led("lee@acme.example") == ["Operations"]


# ------------------------------------------------------ the environment's names


OIDC_ENVIRONMENT = (
    "OIDC_ISSUER",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "OIDC_SCOPES",
    "OIDC_ROLE_CLAIM",
    "OIDC_ROLE_MAP",
    "OIDC_DEPARTMENT_CLAIM",
    "OIDC_COVERS_CLAIM",
    "OIDC_MANAGE_ROLES",
    "OIDC_PROVIDER_NAME",
    "PORTAL_PASSWORD_LOGIN",
    "PORTAL_BREAK_GLASS_EMAIL",
)


def test_the_defaults_the_issue_names(monkeypatch, tmp_path):
    from portal.config import from_environment

    for name in OIDC_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    config = from_environment(str(tmp_path))
    assert config["OIDC_ISSUER"] is None  # no single sign-on
    assert config["OIDC_SCOPES"] == "openid email profile"
    assert config["OIDC_ROLE_CLAIM"] == "groups"
    assert config["OIDC_ROLE_MAP"] == ""  # everyone is an employee
    assert config["OIDC_DEPARTMENT_CLAIM"] == "department"
    assert config["OIDC_COVERS_CLAIM"] == "covers"
    assert config["OIDC_MANAGE_ROLES"] is True
    assert config["PASSWORD_LOGIN"] is True
    assert config["BREAK_GLASS_EMAIL"] is None
    monkeypatch.setenv("OIDC_MANAGE_ROLES", "0")
    monkeypatch.setenv("PORTAL_PASSWORD_LOGIN", "0")
    config = from_environment(str(tmp_path))
    assert config["OIDC_MANAGE_ROLES"] is False and config["PASSWORD_LOGIN"] is False


def test_configured_only_by_the_environment_variables(
    monkeypatch, database_url, tmp_path, oidc_provider, departments, admin, employee
):
    """Every setting from its variable, exactly as the issue names it: other claim names, a
    public role map, roles kept by the portal, passwords off but for the break-glass admin."""
    environment = {
        "OIDC_ISSUER": oidc_provider.issuer + "/",
        "OIDC_CLIENT_ID": "converge",
        "OIDC_CLIENT_SECRET": "converge-secret",
        "OIDC_SCOPES": "openid profile email",
        "OIDC_ROLE_CLAIM": "app_roles",
        "OIDC_ROLE_MAP": "Converge.BRM=brm, Converge.Leaders=leader",
        "OIDC_DEPARTMENT_CLAIM": "org_unit",
        "OIDC_COVERS_CLAIM": "brm_for",
        "OIDC_MANAGE_ROLES": "0",
        "OIDC_PROVIDER_NAME": "Contoso",
        "PORTAL_PASSWORD_LOGIN": "0",
        "PORTAL_BREAK_GLASS_EMAIL": " ADA@converge.example ",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    client = make_app(database_url, tmp_path).test_client()  # no configuration but these

    page = client.get("/auth/login").get_data(as_text=True)
    assert "Sign in with Contoso" in page and "Emergency administrator sign-in" in page
    query = parse_qs(urlsplit(start(client)).query)
    assert query["scope"] == ["openid profile email"]
    person(
        oidc_provider,
        "kim",
        app_roles=["Converge.BRM"],
        groups=["converge-admins"],  # the default claim is not read
        org_unit="sales",
        department="Finance",
        brm_for=["Operations", "finance"],
    )
    assert client.get(oidc_provider.authorize(start(client), "kim")).status_code == 302
    kim = user("kim@acme.example")
    assert (kim.role, kim.department.name) == (Role.BRM, "Sales")
    assert [d.name for d in kim.covered_departments] == ["Finance", "Operations"]

    person(oidc_provider, "kim", app_roles=["Converge.Leaders"], org_unit="Operations")
    again = make_app(database_url, tmp_path).test_client()
    assert again.get(oidc_provider.authorize(start(again), "kim")).status_code == 302
    assert user("kim@acme.example").role == Role.BRM  # OIDC_MANAGE_ROLES=0: the portal's

    stranger = make_app(database_url, tmp_path).test_client()
    refused = stranger.post("/auth/login", data={"email": employee.email, "password": PASSWORD})
    assert refused.status_code == 403 and signed_in_user_id(stranger) is None
    breaking_glass = make_app(database_url, tmp_path).test_client()
    ok = breaking_glass.post("/auth/login", data={"email": admin.email, "password": PASSWORD})
    assert ok.status_code == 302 and signed_in_user_id(breaking_glass) == admin.get_id()


# ----------------------------------------------------------------- refusals


def assert_refused(client, response, status: int, message: str, reason: str):
    """The sign-in page, the status, the message, an audit event, and no session."""
    page = response.get_data(as_text=True)
    assert response.status_code == status, page[:2000]
    assert "Sign in to Converge" in page
    assert message in page
    assert signed_in_user_id(client) is None
    assert client.get("/ideas/mine").status_code == 302  # still signed out
    failures = events("sso_sign_in_failed")
    assert failures and reason in failures[-1].after["reason"], [e.after for e in failures]


def test_a_forged_callback_gets_400_and_no_session(client, oidc_provider, departments):
    response = client.get("/auth/sso/callback", query_string={"code": "stolen", "state": "guess"})
    assert_refused(client, response, 400, "was not started in this browser", "state")
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
    assert oidc_provider.token_requests == []  # the code never reached the provider


def test_a_wrong_state_is_refused(client, oidc_provider, departments):
    person(oidc_provider)
    callback = oidc_provider.authorize(start(client), "alice")
    state = parse_qs(urlsplit(callback).query)["state"][0]
    response = client.get(callback.replace(state, "x" + state[1:]))
    assert_refused(client, response, 400, "was not started in this browser", "state")
    assert user("alice@acme.example") is None


def test_a_reused_state_is_refused(client, oidc_provider, departments):
    person(oidc_provider)
    callback = oidc_provider.authorize(start(client), "alice")
    assert client.get(callback).status_code == 302
    client.post("/auth/logout")
    assert_refused(client, client.get(callback), 400, "already used", "state")


def test_a_callback_from_another_browser_is_refused(app, client, oidc_provider, departments):
    person(oidc_provider)
    callback = oidc_provider.authorize(start(client), "alice")
    other = app.test_client()  # the attacker's browser, with the victim's callback
    assert_refused(other, other.get(callback), 400, "was not started in this browser", "state")


def test_an_expired_code_is_refused(client, oidc_provider, departments):
    person(oidc_provider)
    callback = oidc_provider.authorize(start(client), "alice")
    oidc_provider.misbehave.add("expire_code")
    response = client.get(callback)
    assert_refused(client, response, 401, "expired or was already used", "invalid_grant")


@pytest.mark.parametrize(
    ("switch", "message", "reason"),
    [
        ("bad_signature", "its signature does not match", "BadSignatureError"),
        ("wrong_audience", "issued to another application", "ID token refused"),
        ("wrong_issuer", "comes from another issuer", "'iss'"),
        ("wrong_nonce", "was not made for this sign-in", "'nonce'"),
        ("expired_token", "it has expired", "expired"),
    ],
)
def test_an_id_token_that_fails_verification_is_refused(
    client, oidc_provider, departments, switch, message, reason
):
    person(oidc_provider)
    oidc_provider.misbehave.add(switch)
    response = sign_in(client, oidc_provider, "alice")
    assert_refused(client, response, 401, message, reason)
    assert user("alice@acme.example") is None
    assert user("mallory@evil.example") is None


@pytest.mark.parametrize("verified", [False, "false", None])
def test_an_unverified_e_mail_is_refused(client, oidc_provider, departments, verified):
    person(oidc_provider, email_verified=verified)
    response = sign_in(client, oidc_provider, "alice")
    assert_refused(client, response, 401, "has not verified the e-mail address", "not verified")
    assert user("alice@acme.example") is None
    assert events("sso_sign_in_failed")[-1].after["email"] == "alice@acme.example"


def test_an_unverified_e_mail_of_an_existing_account_is_audited_on_it(
    client, oidc_provider, employee
):
    person(oidc_provider, "erin", email=employee.email, email_verified=False)
    response = sign_in(client, oidc_provider, "erin")
    assert_refused(client, response, 401, "has not verified", "not verified")
    event = events("sso_sign_in_failed")[-1]
    assert (event.object_type, event.object_id) == ("users", employee.id)
    assert user(employee.email).sso_subject is None  # not linked


def test_the_provider_down_when_starting(client, oidc_provider):
    oidc_provider.misbehave.add("down")
    response = client.get("/auth/sso")
    assert_refused(client, response, 401, "Acme ID cannot be reached right now", "503")


def test_the_provider_unreachable_when_starting(app, database_url, tmp_path, oidc_provider):
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    unreachable = make_app(
        database_url,
        tmp_path,
        **sso_config(oidc_provider, OIDC_ISSUER=f"http://127.0.0.1:{closed}"),
    )
    client = unreachable.test_client()
    response = client.get("/auth/sso")
    assert_refused(client, response, 401, "cannot be reached right now", "ConnectionError")


def test_the_provider_down_at_the_callback(client, oidc_provider, departments):
    person(oidc_provider)
    callback = oidc_provider.authorize(start(client), "alice")
    oidc_provider.misbehave.add("down")
    response = client.get(callback)
    assert_refused(client, response, 401, "cannot be reached right now", "503")


def test_refusing_at_the_provider(client, oidc_provider):
    callback = oidc_provider.authorize(start(client), deny=True)
    response = client.get(callback)
    assert_refused(client, response, 401, "did not sign you in", "access_denied")


def test_an_unknown_department_makes_no_account(client, oidc_provider, departments):
    person(oidc_provider, department="Research")
    response = sign_in(client, oidc_provider, "alice")
    assert_refused(client, response, 403, "did not name a department Converge knows", "Research")
    assert user("alice@acme.example") is None


def test_an_e_mail_linked_to_another_subject_is_not_taken_over(app, oidc_provider, departments):
    person(oidc_provider, "alice")
    assert sign_in(app.test_client(), oidc_provider, "alice").status_code == 302
    person(oidc_provider, "impostor", email="alice@acme.example")
    client = app.test_client()
    response = sign_in(client, oidc_provider, "impostor")
    assert_refused(client, response, 409, "linked to another identity", "another subject")
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_a_deactivated_account_cannot_sign_in(client, oidc_provider, employee):
    employee.active = False
    db.session.commit()
    person(oidc_provider, "erin", email=employee.email)
    response = sign_in(client, oidc_provider, "erin")
    assert_refused(client, response, 403, "deactivated", "deactivated")


HOSTILE = ["", "x" * 5000, "a\u202e😀", "%00", "' OR 1=1 --", "../../etc", "99999999999999999999"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_callback_values_get_a_4xx_never_a_session(client, oidc_provider, value):
    start(client)  # a real state waits in the session: hostile values must not match it
    for query in (
        {"code": value, "state": value},
        {"error": value, "error_description": value, "state": value},
        {"code": value},
        {},
    ):
        response = client.get("/auth/sso/callback", query_string=query)
        assert 400 <= response.status_code < 500, (query, response.status_code)
        assert signed_in_user_id(client) is None
    response = client.get("/auth/sso", query_string={"next": value})
    assert response.status_code == 302 and response.location.startswith(oidc_provider.issuer)


# ----------------------------------------------------------- who may, sign-out


@pytest.mark.parametrize("role", list(Role))
def test_signed_in_people_are_sent_home_and_a_forged_callback_changes_nothing(
    client_for, make_user, oidc_provider, role
):
    someone = make_user(role)
    client = client_for(someone)
    assert client.get("/auth/sso").location.endswith("/")
    response = client.get("/auth/sso/callback", query_string={"code": "c", "state": "s"})
    assert response.status_code == 400
    assert signed_in_user_id(client) == someone.get_id()  # still themselves, nobody else


def test_sign_out_offers_to_end_the_provider_session(client, oidc_provider, departments):
    person(oidc_provider)
    sign_in(client, oidc_provider, "alice")
    response = client.post("/auth/logout")
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "Sign out of Acme ID too" in page
    link = page.split("data-idp-logout")[0].rsplit('href="', 1)[1].split('"')[0]
    link = link.replace("&amp;", "&")
    assert link.startswith(f"{oidc_provider.issuer}/oauth2/end_session?")
    query = parse_qs(urlsplit(link).query)
    assert query["post_logout_redirect_uri"] == ["http://127.0.0.1:5000/auth/login"]
    assert query["client_id"] == ["converge"]
    assert query["id_token_hint"][0].count(".") == 2
    assert signed_in_user_id(client) is None
    # Offered once: the next visit to the sign-in page no longer shows it.
    assert "Sign out of Acme ID" not in client.get("/auth/login").get_data(as_text=True)


def test_without_an_end_session_endpoint_sign_out_offers_nothing_more(
    database_url, tmp_path, oidc_provider, departments
):
    oidc_provider.misbehave.add("no_logout")
    client = make_app(database_url, tmp_path, **sso_config(oidc_provider)).test_client()
    person(oidc_provider)
    assert sign_in(client, oidc_provider, "alice").status_code == 302
    response = client.post("/auth/logout")
    page = client.get(response.location).get_data(as_text=True)
    assert "You are signed out." in page and "data-idp-logout" not in page
    assert signed_in_user_id(client) is None


def test_password_sign_out_offers_nothing_more(client, employee):
    client.post("/auth/login", data={"email": employee.email, "password": PASSWORD})
    response = client.post("/auth/logout")
    assert "Sign out of Acme ID" not in client.get(response.location).get_data(as_text=True)


# ------------------------------------------------------ password sign-in off


@pytest.fixture
def no_passwords(database_url, tmp_path, oidc_provider):
    """The portal with PORTAL_PASSWORD_LOGIN=0 and a break-glass admin."""
    return make_app(
        database_url,
        tmp_path,
        **sso_config(oidc_provider, PASSWORD_LOGIN=False, BREAK_GLASS_EMAIL="ada@converge.example"),
    )


def test_password_sign_in_off_hides_the_forms(no_passwords):
    page = no_passwords.test_client().get("/auth/login").get_data(as_text=True)
    assert "Sign in with Acme ID" in page
    assert "Emergency administrator sign-in" in page
    assert "Create an account" not in page and ">Sign up<" not in page
    assert "Forgot your password?" not in page


def test_password_sign_in_off_refuses_everyone_else(no_passwords, employee, department):
    client = no_passwords.test_client()
    response = client.post("/auth/login", data={"email": employee.email, "password": PASSWORD})
    assert response.status_code == 403
    assert b"Password sign-in is turned off: sign in with Acme ID." in response.data
    assert signed_in_user_id(client) is None
    signup = {
        "name": "New Person",
        "email": "new@converge.example",
        "department": department.id,
        "password": "a long password here",
        "confirm": "a long password here",
    }
    for method in (client.get, client.post):
        response = method("/auth/signup", data=signup)
        assert response.status_code == 403
        assert b"Accounts come from Acme ID" in response.data
    assert user("new@converge.example") is None


def test_the_break_glass_admin_still_signs_in_with_a_password(no_passwords, admin):
    client = no_passwords.test_client()
    response = client.post(
        "/auth/login", data={"email": "ADA@converge.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert signed_in_user_id(client) == admin.get_id()


def test_the_break_glass_e_mail_must_be_an_admin(no_passwords, make_user):
    make_user(Role.EMPLOYEE, email="ada@converge.example")
    client = no_passwords.test_client()
    response = client.post(
        "/auth/login", data={"email": "ada@converge.example", "password": PASSWORD}
    )
    assert response.status_code == 403
    assert signed_in_user_id(client) is None


def test_password_sign_in_off_resets_only_the_break_glass_password(
    database_url, tmp_path, oidc_provider, monkeypatch, admin, employee
):
    from portal import mail

    letters = []
    monkeypatch.setattr(mail, "deliver", letters.extend)
    app = make_app(
        database_url,
        tmp_path,
        **sso_config(oidc_provider, PASSWORD_LOGIN=False, BREAK_GLASS_EMAIL=admin.email),
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=9,
    )
    client = app.test_client()
    for email in (employee.email, admin.email):
        response = client.post("/auth/forgot", data={"email": email})
        assert response.status_code == 302  # the same answer for both
    assert [letter.to for letter in letters] == [admin.email]


def test_sso_still_works_with_passwords_off(no_passwords, oidc_provider, departments):
    person(oidc_provider, "gus")
    client = no_passwords.test_client()
    assert sign_in(client, oidc_provider, "gus").status_code == 302
    assert signed_in_user_id(client) == user("gus@acme.example").get_id()


# ------------------------------------------------------------ configuration


def test_without_a_provider_there_is_no_single_sign_on(database_url, tmp_path):
    app = make_app(database_url, tmp_path)
    client = app.test_client()
    assert "Sign in with" not in client.get("/auth/login").get_data(as_text=True)
    assert client.get("/auth/sso").status_code == 404
    assert client.get("/auth/sso/callback?code=a&state=b").status_code == 404


def test_the_default_button_names_the_provider_host(database_url, tmp_path, oidc_provider):
    app = make_app(database_url, tmp_path, **sso_config(oidc_provider, OIDC_PROVIDER_NAME=None))
    host = oidc_provider.issuer.removeprefix("http://")
    assert f"Sign in with {host}" in app.test_client().get("/auth/login").get_data(as_text=True)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"OIDC_ROLE_MAP": "staff=superuser"}, "'superuser' (for group 'staff') is not a role"),
        ({"OIDC_ROLE_MAP": "admins"}, "'admins' is not group=role"),
        ({"OIDC_CLIENT_ID": None}, "OIDC_CLIENT_ID must be set"),
        ({"OIDC_SCOPES": "email profile"}, "must include openid"),
        ({"OIDC_ISSUER": None, "PASSWORD_LOGIN": False}, "needs single sign-on"),
        ({"OIDC_ISSUER": "login.example"}, "must be the provider's URL"),
    ],
)
def test_settings_that_cannot_work_stop_the_app(
    database_url, tmp_path, oidc_provider, settings, message
):
    with pytest.raises(ConfigError, match=re.escape(message)):
        make_app(database_url, tmp_path, **sso_config(oidc_provider, **settings))


def test_every_role_the_model_defines_can_be_mapped_and_is_ranked():
    # A role added to the model (such as `leader`) works in OIDC_ROLE_MAP at once, and
    # must have its place in the one authority order.
    for role in Role:
        assert parse_role_map(f"group-{role.value}={role.value}") == {f"group-{role.value}": role}
        assert role.value in ROLE_AUTHORITY
    assert ROLE_AUTHORITY[0] == "employee" and ROLE_AUTHORITY[-1] == "admin"
    mapping = parse_role_map(" a = brm , b=admin,,c=employee ")
    assert mapping == {"a": Role.BRM, "b": Role.ADMIN, "c": Role.EMPLOYEE}


def test_departments_are_matched_whatever_the_case(client, oidc_provider, make_department):
    make_department("Légal & Compliance")
    person(oidc_provider, "hana", department="LÉGAL & COMPLIANCE")
    assert sign_in(client, oidc_provider, "hana").status_code == 302
    assert user("hana@acme.example").department.name == "Légal & Compliance"
    assert db.session.scalar(sa.select(sa.func.count(Department.id))) == 1


def test_refused_callbacks_count_against_the_address_limit(
    app, database_url, tmp_path, oidc_provider, departments
):
    limited = make_app(
        database_url,
        tmp_path,
        **sso_config(oidc_provider),
        RATELIMIT_ENABLED=True,
        LOGIN_LIMIT_PER_ADDRESS="3 per minute",
    )
    person(oidc_provider, "ivy")
    for _ in range(4):  # successful sign-ins do not count
        assert sign_in(limited.test_client(), oidc_provider, "ivy").status_code == 302
    client = limited.test_client()
    forged = {"code": "c", "state": "s"}
    codes = [client.get("/auth/sso/callback", query_string=forged).status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]
