"""Who may use each route: every route of the portal, as every role (a route × role table).

`WHO_MAY` names, for each method and rule, the roles that get past the door (anything but
401, 403 or the sign-in redirect); everyone else must be refused. A route missing from the
table fails the test, so a new route is added here with the roles it lets in. The calls go
to real rows: an idea of the leader's department under review, an estimated one, one in
delivery, a scenario with a run, an objective, a pool, a link, a token per user.
"""

from datetime import date, timedelta

import pytest

from portal.account.service import create_token
from portal.extensions import db
from portal.models import (
    Campaign,
    IdeaLink,
    IdeaStatus,
    LinkKind,
    Role,
    Run,
    RunStatus,
    Touchpoint,
    TouchpointKind,
    utcnow,
)

# The portfolio factories (pools, estimates, candidates, scenarios).
from tests.conftest import login
from tests.portfolio.conftest import (  # noqa: F401
    make_candidate,
    make_estimate,
    make_pool,
    make_scenario,
    objective,
)

S = IdeaStatus
ROLES = ["anonymous", "employee", "brm", "portfolio_manager", "admin", "leader"]
_LETTER = {
    "A": "anonymous",
    "E": "employee",
    "B": "brm",
    "P": "portfolio_manager",
    "D": "admin",
    "L": "leader",
}
EVERYONE = "AEBPDL"
SIGNED_IN = "EBPDL"
REVIEWERS = "BP"

# "METHOD /rule": the roles let in (A anonymous, E employee, B brm, P portfolio manager,
# D admin, L department leader). The leader reads and comments like an employee, has their
# page and endorses; never estimates, decides, runs scenarios, records delivery or administers.
WHO_MAY = {
    "GET /": EVERYONE,
    "GET /account/": SIGNED_IN,
    "POST /account/password": SIGNED_IN,
    "POST /account/notices": SIGNED_IN,
    "POST /account/sessions/end": SIGNED_IN,
    "POST /account/tokens": SIGNED_IN,
    "POST /account/tokens/<id:token_id>/revoke": SIGNED_IN,
    "GET /admin/departments": "D",
    "GET /admin/departments/<id:department_id>/edit": "D",
    "POST /admin/departments/<id:department_id>/edit": "D",
    "GET /admin/departments/new": "D",
    "POST /admin/departments/new": "D",
    "GET /admin/users": "D",
    "GET /admin/users/<id:user_id>": "D",
    "GET /admin/users/new": "D",
    "POST /admin/users/new": "D",
    "POST /admin/users/<id:user_id>": "D",
    "POST /admin/users/<id:user_id>/invitation": "D",
    "GET /api/v1/docs": EVERYONE,
    "GET /api/v1/campaigns": SIGNED_IN,
    "POST /api/v1/campaigns": "PDL",  # sponsors
    "GET /api/v1/campaigns/<id:campaign_id>": SIGNED_IN,
    "GET /api/v1/campaigns/<id:campaign_id>/ideas": SIGNED_IN,
    "GET /api/v1/docs-assets/<path:filename>": EVERYONE,
    "GET /api/v1/ideas": SIGNED_IN,
    "POST /api/v1/ideas": SIGNED_IN,
    "GET /api/v1/ideas/<id:idea_id>": SIGNED_IN,
    "GET /api/v1/ideas/<id:idea_id>/comments": SIGNED_IN,
    "POST /api/v1/ideas/<id:idea_id>/comments": SIGNED_IN,
    "GET /api/v1/ideas/<id:idea_id>/estimates": REVIEWERS,
    "POST /api/v1/ideas/<id:idea_id>/estimates": REVIEWERS,
    "GET /api/v1/ideas/<id:idea_id>/estimates/current": REVIEWERS,
    "PUT /api/v1/ideas/<id:idea_id>/vote": SIGNED_IN,
    "DELETE /api/v1/ideas/<id:idea_id>/vote": SIGNED_IN,
    "GET /api/v1/me": SIGNED_IN,
    "GET /api/v1/openapi.json": EVERYONE,
    "GET /api/v1/runs/<id:run_id>": REVIEWERS,
    "POST /api/v1/runs/<id:run_id>/retry": "P",
    "GET /api/v1/scenarios": REVIEWERS,
    "POST /api/v1/scenarios": "P",
    "GET /api/v1/scenarios/<id:scenario_id>": REVIEWERS,
    "PUT /api/v1/scenarios/<id:scenario_id>": "P",
    "POST /api/v1/scenarios/<id:scenario_id>/clone": "P",
    "GET /api/v1/scenarios/<id:scenario_id>/runs": REVIEWERS,
    "POST /api/v1/scenarios/<id:scenario_id>/runs": "P",
    "GET /auth/forgot": EVERYONE,
    "POST /auth/forgot": EVERYONE,
    "GET /auth/login": EVERYONE,
    "POST /auth/login": EVERYONE,
    "POST /auth/logout": SIGNED_IN,
    "GET /auth/reset/<token>": EVERYONE,
    "POST /auth/reset/<token>": EVERYONE,
    "GET /auth/signup": EVERYONE,
    "GET /auth/sso": EVERYONE,  # 404 unless single sign-on is configured
    "GET /auth/sso/callback": EVERYONE,
    "POST /auth/signup": EVERYONE,
    "GET /auth/signup/<token>": EVERYONE,
    "POST /auth/signup/<token>": EVERYONE,
    "GET /bootstrap/static/<path:filename>": EVERYONE,
    "GET /campaigns/": SIGNED_IN,
    "GET /campaigns/<id:campaign_id>": SIGNED_IN,  # open, asking everyone
    "GET /campaigns/<id:campaign_id>/edit": "PD",  # its sponsor (the PM) or an admin
    "POST /campaigns/<id:campaign_id>/edit": "PD",
    "GET /campaigns/<id:campaign_id>/report": "BPD",
    "GET /campaigns/<id:campaign_id>/report.csv": "BPD",
    "POST /campaigns/<id:campaign_id>/state/<action>": "PD",
    "POST /campaigns/<id:campaign_id>/updates": "PD",
    "GET /campaigns/new": "PDL",
    "POST /campaigns/new": "PDL",
    "GET /delivery/": REVIEWERS,
    "GET /delivery/ideas/<id:idea_id>": REVIEWERS,
    "POST /delivery/ideas/<id:idea_id>/costs": REVIEWERS,
    "POST /delivery/ideas/<id:idea_id>/step/<name>": REVIEWERS,
    "POST /delivery/ideas/<id:idea_id>/value": REVIEWERS,
    "GET /healthz": EVERYONE,
    "GET /readyz": EVERYONE,
    "GET /ideas/": SIGNED_IN,
    "GET /ideas/<id:idea_id>": SIGNED_IN,
    "POST /ideas/<id:idea_id>/comments": SIGNED_IN,
    "GET /ideas/<id:idea_id>/edit": "E",  # only its submitter edits a draft
    "POST /ideas/<id:idea_id>/edit": "E",
    "POST /ideas/<id:idea_id>/endorse": "L",
    "POST /ideas/<id:idea_id>/endorse/withdraw": "L",
    "POST /ideas/<id:idea_id>/follow": SIGNED_IN,
    "POST /ideas/<id:idea_id>/transition/<name>": REVIEWERS,  # approve
    "POST /ideas/<id:idea_id>/vote": SIGNED_IN,
    "GET /ideas/mine": SIGNED_IN,
    "GET /ideas/new": SIGNED_IN,
    "POST /ideas/new": SIGNED_IN,
    "GET /leader/": "L",
    "GET /notifications": SIGNED_IN,
    "POST /notifications/read": SIGNED_IN,
    "POST /notifications/seen": SIGNED_IN,
    "GET /portfolio/": REVIEWERS,
    "GET /portfolio/compare": REVIEWERS,
    "GET /portfolio/plan": SIGNED_IN,
    "GET /portfolio/plan/roadmap": SIGNED_IN,
    "GET /portfolio/plan/roadmap.png": SIGNED_IN,
    "GET /portfolio/runs/<id:run_id>": REVIEWERS,
    "GET /portfolio/runs/<id:run_id>/adopt": "P",
    "POST /portfolio/runs/<id:run_id>/adopt": "P",
    "GET /portfolio/runs/<id:run_id>/charts/<name>.png": REVIEWERS,
    "POST /portfolio/runs/<id:run_id>/explain": "P",
    "GET /portfolio/runs/<id:run_id>/not-selected": REVIEWERS,
    "GET /portfolio/runs/<id:run_id>/problem.json": REVIEWERS,
    "GET /portfolio/runs/<id:run_id>/problem.mps": REVIEWERS,
    "GET /portfolio/runs/<id:run_id>/roadmap": REVIEWERS,
    "GET /portfolio/runs/<id:run_id>/roadmap.png": REVIEWERS,
    "POST /portfolio/runs/<id:run_id>/retry": "P",
    "GET /portfolio/runs/<id:run_id>/selection.csv": REVIEWERS,
    "GET /portfolio/runs/<id:run_id>/selection.xlsx": REVIEWERS,
    "GET /portfolio/runs/<id:run_id>/status.json": REVIEWERS,
    "GET /portfolio/scenarios/<id:scenario_id>": REVIEWERS,
    "POST /portfolio/scenarios/<id:scenario_id>/clone": "P",
    "GET /portfolio/scenarios/<id:scenario_id>/edit": "P",
    "POST /portfolio/scenarios/<id:scenario_id>/edit": "P",
    "POST /portfolio/scenarios/<id:scenario_id>/run": "P",
    "GET /portfolio/scenarios/new": "P",
    "POST /portfolio/scenarios/new": "P",
    "GET /reports/": "BPD",
    "GET /reports/<name>.csv": "BPD",
    "GET /reports/calibration": "BPD",
    "GET /reports/flow": "BPD",
    "GET /reports/me": SIGNED_IN,
    "GET /reports/pipeline": "BPD",
    "GET /reports/portfolio": "BPD",
    "GET /reports/value": "BPD",
    "GET /reports/workload": "BPD",
    "GET /review/": REVIEWERS,
    "POST /review/assign": "P",
    "GET /review/departments": REVIEWERS,
    "GET /review/departments/<id:department_id>": REVIEWERS,
    "POST /review/departments/<id:department_id>": "B",  # BRMs log touchpoints
    "POST /review/ideas/<id:idea_id>/claim": REVIEWERS,
    "GET /review/ideas/<id:idea_id>/estimate": REVIEWERS,
    "POST /review/ideas/<id:idea_id>/estimate": REVIEWERS,
    "POST /review/ideas/<id:idea_id>/links": REVIEWERS,
    "POST /review/ideas/<id:idea_id>/merge": REVIEWERS,
    "POST /review/ideas/<id:idea_id>/release": REVIEWERS,
    "POST /review/links/<id:link_id>/delete": REVIEWERS,
    "GET /review/touchpoints/<id:touchpoint_id>": "B",  # the BRM who logged it
    "POST /review/touchpoints/<id:touchpoint_id>": "B",
    "POST /review/touchpoints/<id:touchpoint_id>/delete": "B",
    "GET /review/objectives": "P",
    "POST /review/objectives": "P",
    "GET /review/objectives/<id:objective_id>/edit": "P",
    "POST /review/objectives/<id:objective_id>/edit": "P",
    "POST /review/objectives/<id:objective_id>/reinstate": "P",
    "POST /review/objectives/<id:objective_id>/retire": "P",
    "GET /review/objectives/ahp": "P",
    "POST /review/objectives/ahp": "P",
    "GET /review/objectives/new": "P",
    "POST /review/objectives/new": "P",
    "GET /review/pools": "P",
    "GET /review/pools/<id:pool_id>/edit": "P",
    "POST /review/pools/<id:pool_id>/edit": "P",
    "GET /review/pools/new": "P",
    "POST /review/pools/new": "P",
    "GET /review/similar": SIGNED_IN,  # the idea form's similar-ideas lookup
    "GET /static/<path:filename>": EVERYONE,
    "GET /transfer/": "BPD",
    "GET /transfer/export/<kind>.csv": "BPD",
    "POST /transfer/import": "PD",
    "GET /transfer/import/<token>": "PD",
    "POST /transfer/import/<token>": "PD",
    "POST /transfer/import/<token>/discard": "PD",
}
# Routes that read their input before asking the role: a valid one, so the role decides.
BODIES = {
    "POST /api/v1/campaigns": {
        "json": {
            "title": "Faster close",
            "question": "How?",
            "opens_on": "2027-01-04",
            "closes_on": "2027-02-01",
        }
    },
    "POST /api/v1/ideas/<id:idea_id>/estimates": {"json": {"base_version": 0}},
    "POST /api/v1/scenarios": {"json": {"name": "Minimal", "periods": ["2027"]}},
    "PUT /api/v1/scenarios/<id:scenario_id>": {"json": {"name": "Minimal", "periods": ["2027"]}},
    "POST /review/departments/<id:department_id>": {
        "data": {"held_on": "2026-01-05", "kind": "call", "notes": "Priorities."}
    },
}
# Ending the session would sign the role out for the rest of its calls: made last.
LAST = {"POST /auth/logout", "POST /account/sessions/end"}
METHODS = ("GET", "POST", "PUT", "DELETE")


@pytest.fixture
def app_config():
    return {
        "RUNS_INLINE": True,
        "PORTFOLIO_FRONTIER_POINTS": 2,
        "PORTFOLIO_ROBUSTNESS_SAMPLES": 2,
        "PORTFOLIO_EXPLAIN_SECONDS": 5,
    }


def _routes(app) -> dict[str, object]:
    routes = {}
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & set(METHODS)):
            routes[f"{method} {rule.rule}"] = rule
    return routes


def test_every_route_is_in_the_table(app):
    assert sorted(set(_routes(app)) - set(WHO_MAY)) == []
    assert sorted(set(WHO_MAY) - set(_routes(app))) == []
    assert all(set(roles) <= set(_LETTER) for roles in WHO_MAY.values())


@pytest.fixture
def world(
    app, request, department, make_department, make_user, make_idea, employee, brm, pm, admin
):
    """A department led by the leader, its ideas in several states, a run, a token each."""
    new_candidate, new_scenario, new_pool, served = (
        request.getfixturevalue(name)
        for name in ("make_candidate", "make_scenario", "make_pool", "objective")
    )
    leader = make_user(Role.LEADER, name="Lena Leader")
    department.leader = leader
    in_review = make_idea(employee, status=S.IN_REVIEW, assignee=brm)
    submitted = make_idea(employee, status=S.SUBMITTED, objectives=[served])
    draft = make_idea(employee, status=S.DRAFT)
    estimated = new_candidate(2, 50.0, status=S.ESTIMATED, submitter=employee)
    selected = new_candidate(2, 50.0, status=S.SELECTED, submitter=employee)
    link = IdeaLink(source=in_review, target=submitted, kind=LinkKind.RELATED, created_by=brm)
    pool = new_pool("Engineering", {"2027": 10.0})
    scenario = new_scenario()
    run = Run(scenario=scenario, status=RunStatus.FAILED, problem={}, created_by_id=pm.id)
    campaign = Campaign(
        title="Faster payments", question="How?", sponsor=pm, opens_on=date.today(),
        closes_on=date.today() + timedelta(days=9), published_at=utcnow(), fields=[],
    )  # fmt: skip
    touchpoint = Touchpoint(
        brm=brm, department=department, held_on=date.today(), kind=TouchpointKind.CALL,
        notes="Priorities.",
    )  # fmt: skip
    db.session.add_all([link, run, campaign, touchpoint])
    users = {"employee": employee, "brm": brm, "portfolio_manager": pm, "admin": admin}
    users["leader"] = leader
    tokens = {role: create_token(user, "roles") for role, user in users.items()}
    spare = {role: create_token(user, "to revoke") for role, user in users.items()}
    db.session.commit()
    victim = make_user(Role.EMPLOYEE, dept=make_department("Elsewhere"))
    return {
        "users": users,
        "tokens": {role: t.secret for role, t in tokens.items()},
        "token_ids": {role: t.token.id for role, t in spare.items()},
        "idea_id": {
            "POST /ideas/<id:idea_id>/transition/<name>": estimated.id,
            "GET /ideas/<id:idea_id>/edit": draft.id,
            "POST /ideas/<id:idea_id>/edit": draft.id,
            "delivery": selected.id,
            None: submitted.id,
        },
        "link_id": link.id,
        "touchpoint_id": touchpoint.id,
        "campaign_id": campaign.id,
        "action": "close",
        "department_id": department.id,
        "user_id": victim.id,
        "scenario_id": scenario.id,
        "run_id": run.id,
        "objective_id": served.id,
        "pool_id": pool.id,
        "name": {
            "/delivery/": "start_delivery",
            "/ideas/": "approve",
            "/reports/": "pipeline",
            "/charts/": "frontier",
        },
        "kind": "ideas",
        "token": "no-such-token",
        "filename": "converge.css",
    }


def _path_values(key: str, rule, world: dict, role: str) -> dict:
    values = {}
    for argument in rule.arguments - set(rule.defaults or {}):
        if argument == "token_id":
            values[argument] = world["token_ids"].get(role, world["token_ids"]["employee"])
        elif argument == "idea_id":
            ids = world["idea_id"]
            values[argument] = ids.get(key, ids["delivery"] if "/delivery/" in key else ids[None])
        elif argument == "name":
            values[argument] = next(v for k, v in world["name"].items() if k in key)
        elif argument == "filename":
            values[argument] = "swagger-ui.css" if "docs-assets" in key else "converge.css"
            if "/bootstrap/" in key:
                values[argument] = "css/bootstrap.min.css"
        else:
            values[argument] = world[argument]
    return values


# A draft is hidden from everyone but its submitter: its edit page answers 404 to them.
HIDDEN_FROM_OTHERS = {"GET /ideas/<id:idea_id>/edit", "POST /ideas/<id:idea_id>/edit"}


def _refused(key: str, response) -> bool:
    """401, 403, or sent to sign in first (a `next` back here; signing out also ends on
    the sign-in page, without one)."""
    if response.status_code in (401, 403):
        return True
    if response.status_code == 404 and key in HIDDEN_FROM_OTHERS:
        return True
    location = response.location or ""
    return response.status_code in (302, 303) and "/auth/login?next=" in location


@pytest.mark.parametrize("role", ROLES)
def test_who_may_use_each_route(app, world, role):
    routes = _routes(app)
    client = app.test_client()
    user = world["users"].get(role)
    wrong = {}
    for key in sorted(routes, key=lambda k: (k in LAST, k)):
        rule = routes[key]
        method = key.split()[0]
        url = rule.build(_path_values(key, rule, world, role), append_unknown=False)[1]
        headers = {}
        if user is not None:
            db.session.refresh(user)  # an earlier call may have given it a new session key
            login(client, user)
            if rule.rule.startswith("/api/v1/"):
                headers["Authorization"] = f"Bearer {world['tokens'][role]}"
        body = BODIES.get(key, {"data": {}})
        response = client.open(url, method=method, headers=headers, **body)
        response.close()
        db.session.rollback()
        allowed = _LETTER_OF[role] in WHO_MAY[key]
        if _refused(key, response) == allowed:
            wrong[key] = f"{response.status_code} ({'let in' if not allowed else 'refused'})"
    assert wrong == {}


_LETTER_OF = {role: letter for letter, role in _LETTER.items()}


def test_the_leader_may_not_estimate_approve_run_or_administer():
    """The table itself keeps what the issue says of leaders."""
    leader_may = {key for key, roles in WHO_MAY.items() if "L" in roles}
    for forbidden in ("/estimate", "/transition/", "/portfolio/", "/admin/", "/delivery/"):
        everyones = {k for k in leader_may if k.startswith("GET /portfolio/plan")}
        assert not any(forbidden in key for key in leader_may - everyones)
    assert "POST /ideas/<id:idea_id>/endorse" in leader_may
