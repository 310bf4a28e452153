"""No input earns a 500: every route, as every role, fed hostile values (hypothesis).

Routes come from `app.url_map`; the fields they may read come from the WTForms classes,
the templates' `name="..."` attributes, the names the routes read from `request` directly,
and the pages themselves (dynamic forms such as the estimate's per-objective fields). Each
route is called with its path ids pointing at real rows (so the request reaches the form)
and out of range, with every field set to one hostile value at a time (a deterministic
sweep), and then with hypothesis-drawn mixes of a few fields. Nothing may answer 5xx; an
unexpected exception propagates (PROPAGATE_UNEXPECTED) and is collected with its route.
"""

import inspect
import re
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
import wtforms
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter, UnicodeConverter

from portal.extensions import db
from portal.models import (
    Campaign,
    IdeaLink,
    IdeaStatus,
    LinkKind,
    Role,
    Touchpoint,
    TouchpointKind,
    utcnow,
)
from tests.conftest import PROVIDER_WARNINGS, login, sso_config

# The portfolio factories (pools, estimates, candidates, scenarios).
from tests.portfolio.conftest import (  # noqa: F401
    make_candidate,
    make_estimate,
    make_pool,
    make_scenario,
    objective,
)

ROOT = Path(__file__).resolve().parent.parent
HUGE = "99999999999999999999999"
LONG = "%_" * 30_000 + "x"  # past SQLite's LIKE pattern limit (50,000)
# One hostile value per request for every field at once: what broke the portal before.
SWEEP = [HUGE, f"IDEA-{HUGE}", "2147483648", "1e309", "", "a\x00b", "²%$x$ $$ é∑😀\u202e"]
HOSTILE = [
    *SWEEP,
    "-" + HUGE,
    "9223372036854775808",
    "0",
    "-1",
    "nan",
    "  ",
    "%",
    "-inf",
    "IDEA-0",
    "2027: " + HUGE,
    "Engineering 2027: 1e400",
    LONG,
]
# Names the routes read from `request` themselves, not through a form.
READ_DIRECTLY = [
    "q", "role", "page", "per_page", "next", "idea_ids", "text", "exclude", "run", "base",
    "accept_excess",
]  # fmt: skip
# What an OpenID provider sends back to /auth/sso/callback (Authlib reads them).
READ_DIRECTLY += ["code", "state", "error", "error_description"]
# Ending the session would sign the role's client out for the rest of the sweep.
SIGNS_OUT = {"auth.logout"}
SKIP_RULES = ("/static/", "/bootstrap/static/", "/api/v1/docs")
EXAMPLES_PER_ROUTE = 1
ROW_FIELDS = ("key", "min", "max", "period", "capacity")
# Routes that solve or draw on every call read no form: one sweep value is enough.
HEAVY = {
    "portfolio.run_scenario",
    "portfolio.retry",
    "portfolio.chart_png",
    "portfolio.roadmap_png",
    "portfolio.plan_roadmap_png",
}


@pytest.fixture
def app_config(oidc_provider):
    # Single sign-on on, through a real provider on loopback: its routes are fuzzed too.
    return {
        **sso_config(oidc_provider),
        "PROPAGATE_UNEXPECTED": True,
        "RUNS_INLINE": True,
        "PORTFOLIO_FRONTIER_POINTS": 2,
        "PORTFOLIO_ROBUSTNESS_SAMPLES": 2,
        "PORTFOLIO_EXPLAIN_SECONDS": 5,
    }


def _form_classes():
    """Every WTForms form class the portal has defined (the app imported them all)."""
    seen, todo = set(), [wtforms.Form]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return [c for c in seen if c.__module__.startswith("portal.")]


def _field_names() -> set[str]:
    names = set(READ_DIRECTLY)
    for cls in _form_classes():
        for name, value in inspect.getmembers(cls):
            if isinstance(value, wtforms.fields.core.UnboundField):
                names.add(name)
                if value.field_class is wtforms.FieldList:  # rows: shares-0-min
                    names.update(f"{name}-{r}-{sub}" for r in (0, 1) for sub in ROW_FIELDS)
    for template in (ROOT / "templates").rglob("*.html"):
        names.update(re.findall(r'name="([A-Za-z_][\w-]*)"', template.read_text()))
    names.discard("csrf_token")
    return names


def _names_on(html: str) -> set[str]:
    return set(re.findall(r'name="([A-Za-z_][\w-]*)"', html)) - {"csrf_token"}


@pytest.fixture
def world(
    app,
    client_for,
    department,
    make_department,
    make_user,
    employee,
    brm,
    pm,
    admin,
    make_idea,
    request,
):
    """A small portfolio: ideas in several states, a link, a run, a pool, a token."""
    new_candidate, new_scenario, new_pool, served = (
        request.getfixturevalue(name)
        for name in ("make_candidate", "make_scenario", "make_pool", "objective")
    )
    from portal.account.service import create_token

    other = make_department("Operations")
    submitted = make_idea(employee, status=IdeaStatus.SUBMITTED, objectives=[served])
    in_review = make_idea(employee, status=IdeaStatus.IN_REVIEW, assignee=brm)
    make_idea(employee, status=IdeaStatus.DRAFT)
    candidate = new_candidate(3, 100.0)
    link = IdeaLink(source=in_review, target=submitted, kind=LinkKind.REQUIRES, created_by=brm)
    touchpoint = Touchpoint(
        brm=brm, department=department, held_on=date.today(), kind=TouchpointKind.CALL,
        notes="Priorities.",
    )  # fmt: skip
    db.session.add_all([link, touchpoint])
    pool = new_pool("Engineering", {"2027": 10.0})
    token = create_token(employee, "fuzz")
    scenario = new_scenario(time_limit=5)
    db.session.commit()
    response = client_for(pm).post(f"/portfolio/scenarios/{scenario.id}/run")
    assert response.status_code in (200, 302), response.status_code
    run = scenario.runs[0]
    victim = make_user(Role.EMPLOYEE, dept=other)  # the user admins edit, not a signed-in one
    campaign = Campaign(
        title="Faster payments", question="How?", sponsor=pm, opens_on=date.today(),
        closes_on=date.today() + timedelta(days=9), published_at=utcnow(),
        fields=[{"key": "count", "label": "Count", "kind": "number", "choices": [],
                 "required": True}],
    )  # fmt: skip
    db.session.add(campaign)
    leader = make_user(Role.LEADER, name="Lena Leader")  # leads the ideas' department
    department.leader = leader
    db.session.commit()
    return {
        "leader": [leader],
        "campaign_id": [campaign.id],
        "action": ["publish", "close", "decide"],
        "idea_id": [in_review.id, submitted.id, candidate.id],
        "link_id": [link.id],
        "touchpoint_id": [touchpoint.id],
        "department_id": [other.id, department.id],
        "user_id": [victim.id],
        "token_id": [token.token.id],
        "scenario_id": [scenario.id],
        "run_id": [run.id],
        "objective_id": [served.id],
        "pool_id": [pool.id],
        "name": ["submit", "approve", "value", "summary", "frontier", "pipeline", "ideas"],
        "kind": ["ideas", "estimates", "touchpoints"],
        "token": ["nosuchimport"],
        "filename": ["swagger-ui.css"],
    }


def _rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.rule.startswith(SKIP_RULES) or rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            yield rule, method


def _path_strategy(rule, world) -> st.SearchStrategy:
    parts = {}
    for name, converter in rule._converters.items():
        real = world.get(name, [])
        if isinstance(converter, IntegerConverter):
            out_of_range = [0, 2**31, 2**63, int(HUGE)]
            parts[name] = st.sampled_from(real + out_of_range) if real else st.just(int(HUGE))
        elif isinstance(converter, UnicodeConverter):
            parts[name] = st.sampled_from(real + ["x", HUGE, "%", "é", "$$"])
        else:
            parts[name] = st.sampled_from(real or ["x"])
    return st.fixed_dictionaries(parts)


def _mixed(call, role, rule, method, paths, fields):
    """A hypothesis test calling the route with drawn path values and a few drawn fields."""

    @settings(
        max_examples=EXAMPLES_PER_ROUTE,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(path=paths, fields=fields)
    def examples(path, fields):
        call(role, rule, method, path, fields)

    return examples


def _refused(response) -> bool:
    """The role may not use the route: signed out to the login page, 401 or 403."""
    if response.status_code in (401, 403):
        return True
    return response.status_code == 302 and "/auth/login" in response.location


def _url(rule, values: dict) -> str:
    return rule.build(values, append_unknown=False)[1]


@PROVIDER_WARNINGS
def test_no_input_gets_a_server_error(app, world, client_for, employee, brm, pm, admin):
    leader = world.pop("leader")[0]
    clients = {
        "anonymous": app.test_client(),
        "employee": client_for(employee),
        "brm": client_for(brm),
        "portfolio_manager": client_for(pm),
        "admin": client_for(admin),
        "leader": client_for(leader),
    }
    users = {
        "employee": employee,
        "brm": brm,
        "portfolio_manager": pm,
        "admin": admin,
        "leader": leader,
    }
    names = _field_names()
    failures: dict[tuple, str] = {}
    calls = [0]
    timings = {}
    started = time.monotonic()

    def call(role, rule, method, path: dict, fields: dict):
        client = clients[role]
        if role in users:
            login(client, users[role])  # an earlier answer may have ended the session
        url = _url(rule, path)
        calls[0] += 1
        try:
            if method == "GET":
                response = client.get(url, query_string=fields)
            else:
                response = client.post(url, data=fields, query_string={"page": fields.get("page")})
        except Exception as exc:  # noqa: BLE001  (collect them all, then report)
            key = (method, rule.rule, type(exc).__name__)
            failures.setdefault(key, f"as {role} {url} {fields!r:.150}: {exc!s:.300}")
            db.session.rollback()
            return None
        response.get_data()  # a streamed export holds its request context until read
        response.close()
        if response.status_code >= 500:
            key = (method, rule.rule, response.status_code)
            failures.setdefault(key, f"as {role} {url} {fields!r:.150}")
        return response

    # Discover the names each page's forms carry (the estimate form's per-objective fields).
    for rule, method in _rules(app):
        if method == "GET":
            admin_pages = rule.rule.startswith(("/admin", "/transfer"))
            for role in ("admin",) if admin_pages else ("brm", "portfolio_manager"):
                path = {n: (world.get(n) or ["x"])[0] for n in rule.arguments}
                response = call(role, rule, "GET", path, {})
                if response is not None and response.mimetype == "text/html":
                    names |= _names_on(response.get_data(as_text=True))
    names = sorted(names)

    fields_strategy = st.dictionaries(
        st.sampled_from(names),
        st.one_of(
            st.sampled_from(HOSTILE),
            st.lists(st.sampled_from(HOSTILE), min_size=2, max_size=3),
            st.text(max_size=20),
        ),
        min_size=1,
        max_size=4,
    )

    for rule, method in _rules(app):
        roles = ["anonymous"] if rule.endpoint in SIGNS_OUT else list(clients)
        real = {n: (world.get(n) or ["x"])[0] for n in rule.arguments}
        for role in roles:
            rule_started = time.monotonic()
            # Out-of-range ids alone, then every field set to each hostile value at once.
            if any(isinstance(c, IntegerConverter) for c in rule._converters.values()):
                for bad in (0, int(HUGE)):
                    path = {
                        n: bad if isinstance(c, IntegerConverter) else real[n]
                        for n, c in rule._converters.items()
                    }
                    call(role, rule, method, path, {})
            probe = call(role, rule, method, real, {})
            if probe is None or _refused(probe):
                continue  # the role may not use the route: it reads none of its fields
            for value in SWEEP[:1] if rule.endpoint in HEAVY else SWEEP:
                call(role, rule, method, real, dict.fromkeys(names, value))
            if rule.endpoint in HEAVY:
                continue

            _mixed(call, role, rule, method, _path_strategy(rule, world), fields_strategy)()
            timings[(method, rule.rule, role)] = time.monotonic() - rule_started

    # Every signed-in role stayed signed in: the sweep reached the pages, not the login form.
    for role, client in clients.items():
        if role != "anonymous":
            assert client.get("/account/").status_code == 200, role
    for key, seconds in sorted(timings.items(), key=lambda kv: -kv[1])[:15]:
        print(f"{seconds:6.2f} s {key}")
    print(f"{calls[0]} requests in {time.monotonic() - started:.1f} s")
    assert calls[0] > 1000
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(
        f"{k[0]} {k[1]} ({k[2]}) {v}" for k, v in sorted(failures.items(), key=str)
    )


# ------------------------------------------------------ the edge, case by case


@pytest.mark.parametrize("number", ["0", "2147483648", HUGE])
def test_a_path_id_out_of_range_is_404(employee_client, number):
    response = employee_client.get(f"/ideas/{number}")
    assert response.status_code == 404
    assert b"There is nothing here" in response.data


def test_a_path_id_in_range_still_reaches_the_page(employee_client, make_idea, employee):
    idea = make_idea(employee)
    assert employee_client.get(f"/ideas/{idea.id}").status_code == 200
    assert employee_client.get("/ideas/2147483647").status_code == 404  # in range, not there


def test_api_documents_the_id_range(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    parameter = spec["paths"]["/api/v1/ideas/{idea_id}"]["parameters"][0]
    assert parameter["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


@pytest.mark.parametrize("path", ["/ideas/", "/notifications", "/review/", "/admin/users"])
@pytest.mark.parametrize("page", [HUGE, "0", "-1", "x", "²"])
def test_a_page_number_out_of_range_shows_the_first_page(
    client_for, path, page, pm, admin, employee, make_idea
):
    idea = make_idea(employee)
    user = {"/review/": pm, "/admin/users": admin}.get(path, employee)
    response = client_for(user).get(path, query_string={"page": page})
    assert response.status_code == 200
    shown = {"/admin/users": employee.name, "/notifications": "Notifications"}.get(path, idea.title)
    assert shown in response.get_data(as_text=True)


def test_a_search_longer_than_the_limit_is_refused(admin_client):
    response = admin_client.get("/admin/users", query_string={"q": "%" * 100_000})
    assert response.status_code == 400
    assert b"Search for at most 200 characters" in response.data
    assert admin_client.get("/admin/users", query_string={"q": "a" * 200}).status_code == 200


def test_an_uncoercible_brm_choice_is_a_form_error(admin_client, department, brm):
    response = admin_client.post(
        f"/admin/departments/{department.id}/edit", data={"name": "Finance", "brms": ""}
    )
    assert response.status_code == 400
    assert b"Invalid choice" in response.data
    db.session.refresh(department)
    assert department.brms == [brm]  # unchanged


def test_no_brm_ticked_still_clears_the_coverage(admin_client, department, brm):
    response = admin_client.post(f"/admin/departments/{department.id}/edit", data={"name": "X"})
    assert response.status_code == 302
    db.session.refresh(department)
    assert department.brms == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("count_min", HUGE), ("count_max", "2147483648"), ("time_limit", HUGE)],
)
def test_scenario_numbers_are_bounded(pm_client, field, value):
    data = {"name": "Plan", "periods": "2027", "states": "approved", "time_limit": "60"}
    response = pm_client.post("/portfolio/scenarios/new", data={**data, field: value})
    assert response.status_code == 400
    assert b"Number must be between" in response.data


@pytest.mark.parametrize("refs", [f"IDEA-{HUGE}", "IDEA-2147483648", "IDEA-0"])
def test_a_reference_beyond_any_id_is_not_an_idea(pm_client, refs):
    data = {"name": "Plan", "periods": "2027", "states": "approved", "time_limit": "60"}
    response = pm_client.post("/portfolio/scenarios/new", data={**data, "force_in": refs})
    assert response.status_code == 400
    assert b"is not an idea reference" in response.data


def test_merge_into_a_reference_beyond_any_id(brm_client, make_idea, employee):
    idea = make_idea(employee, status=IdeaStatus.SUBMITTED)
    response = brm_client.post(f"/review/ideas/{idea.id}/merge", data={"target": f"IDEA-{HUGE}"})
    assert response.status_code == 400
    assert f"There is no idea “IDEA-{HUGE}”".encode() in response.data


def test_assign_ignores_ids_beyond_any_idea(pm_client, brm, make_idea, employee):
    idea = make_idea(employee, status=IdeaStatus.SUBMITTED)
    response = pm_client.post(
        "/review/assign", data={"assignee": brm.id, "idea_ids": [HUGE, "²", str(idea.id)]}
    )
    assert response.status_code == 302
    db.session.refresh(idea)
    assert idea.assignee_id == brm.id


def test_queue_ignores_a_department_beyond_any_id(pm_client):
    response = pm_client.get("/review/", query_string={"department": HUGE})
    assert response.status_code == 200
    assert b"Some filters were not understood" in response.data


def test_compare_ignores_run_numbers_beyond_any_id(pm_client):
    assert pm_client.get("/portfolio/compare", query_string={"run": [HUGE, "1"]}).status_code < 500


@pytest.mark.parametrize("base", [HUGE, "-1", "x", "", "1e3"])
def test_a_hostile_baseline_is_never_a_server_error(pm_client, base):
    answer = pm_client.get("/portfolio/compare", query_string={"run": ["1", "2"], "base": base})
    assert answer.status_code < 500


@pytest.mark.parametrize("value", [HUGE, "", "a\x00b", "immediate\n"])
def test_a_hostile_notice_preference_is_a_form_error(employee_client, value):
    answer = employee_client.post(
        "/account/notices", data={"my_ideas": value, "following": "off", "queue": "off"}
    )
    assert answer.status_code == 400


@pytest.mark.parametrize(
    ("method", "path", "fields"),
    [
        ("post", "/ideas/{idea}/comments", {"body": "a\x00b"}),
        ("get", "/ideas/", {"q": "\x00"}),
        ("post", "/ideas/{idea}/comments", {"body\x00": "hello"}),
    ],
)
def test_nul_characters_are_refused(employee_client, employee, make_idea, method, path, fields):
    idea = make_idea(employee)
    call = getattr(employee_client, method)
    url = path.format(idea=idea.id)
    response = call(url, **{"data" if method == "post" else "query_string": fields})
    assert response.status_code == 400
    assert b"must not contain NUL characters" in response.data
    assert idea.comments == []


@pytest.mark.parametrize("weight", ["1e309", "-1e309", "nan", "inf"])
def test_an_infinite_weight_is_a_form_error(pm_client, weight):
    response = pm_client.post("/review/objectives/new", data={"name": "Grow", "weight": weight})
    assert response.status_code == 400
    assert b"Not a valid float value" in response.data
