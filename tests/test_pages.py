"""Pages every visitor sees: landing, home, error pages, static assets served locally."""

import re

import pytest

from portal.models import IdeaStatus


def test_landing_page_for_visitors(client):
    page = client.get("/").get_data(as_text=True)
    assert "Turn good ideas into the right IT portfolio" in page
    assert "cdn" not in page.lower()


def test_home_summarises_my_ideas(employee_client, employee, make_idea):
    make_idea(employee, status=IdeaStatus.DRAFT)
    make_idea(employee, status=IdeaStatus.IN_REVIEW, title="Reviewed idea here")
    page = employee_client.get("/").get_data(as_text=True)
    assert "Hello, Erin" in page
    assert "Reviewed idea here" in page
    # the most supported ideas say which states they are drawn from
    assert "Among the ideas not yet planned: submitted, in review, estimated, approved." in page


def test_bootstrap_is_served_locally(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert "/bootstrap/static/css/bootstrap.min.css" in page
    for asset in ("/bootstrap/static/css/bootstrap.min.css", "/static/converge.css"):
        response = client.get(asset)
        assert response.status_code == 200
        response.close()


@pytest.mark.parametrize(
    ("path", "code"),
    [("/no/such/page", 404), ("/auth/logout", 405)],
)
def test_error_pages_in_site_look(employee_client, path, code):
    response = employee_client.get(path)
    assert response.status_code == code
    assert b"Back to the start page" in response.data


def test_api_paths_get_json_errors(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_unexpected_error_is_a_friendly_500(app, employee_client, monkeypatch):
    from portal.ideas import routes

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(routes, "my_ideas", explode)
    app.testing = False  # let the error handler answer instead of raising in the test
    response = employee_client.get("/ideas/mine")
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.data


@pytest.mark.parametrize(
    ("role_client", "present", "absent"),
    [
        ("employee_client", ["My ideas", "Current plan"], ["Review queue", "Users", "Reports"]),
        ("brm_client", ["Review queue", "Scenarios", "Reports"], ["Strategic objectives", "Users"]),
        ("pm_client", ["Strategic objectives", "Scenarios", "Import &amp; export"], ["Users"]),
        ("admin_client", ["Users", "Reports", "Import &amp; export"], ["Review queue"]),
    ],
)
def test_navigation_by_role(request, role_client, present, absent):
    page = request.getfixturevalue(role_client).get("/ideas/").get_data(as_text=True)
    nav = page[page.index("<nav") : page.index("</nav>")]
    for label in present:
        assert label in nav
    for label in absent:
        assert label not in nav


def _nav(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return " ".join(page[page.index("<nav") : page.index("</nav>")].split())


def test_navigation_marks_the_page_and_its_menu_and_is_each_roles_own(brm_client, employee_client):
    """The bar is built once per role: the page's entry and its menu are still marked on
    each page, and one role's bar never shows up for another."""
    queue = _nav(brm_client, "/review/")
    assert re.search(r'dropdown-toggle active"[^>]*>Review<', queue)
    assert 'class="dropdown-item active" href="/review/">Review queue<' in queue
    assert 'class="nav-link " href="/ideas/">Ideas<' in queue
    ideas = _nav(brm_client, "/ideas/")
    assert 'class="nav-link active" href="/ideas/">Ideas<' in ideas
    assert "dropdown-toggle active" not in ideas
    mine = _nav(employee_client, "/ideas/")
    assert "Review queue" not in mine and 'href="/portfolio/plan">Current plan<' in mine


def test_the_kept_layout_is_bounded_and_follows_the_root(app, client, monkeypatch):
    """Each application root gets its own links; past the limit nothing more is kept (the
    root can come from a visitor, through a proxy that forwards it), and pages still work."""
    from portal import templating

    monkeypatch.setattr(templating, "KEPT_LIMIT", 3)
    for n in range(6):
        page = client.get("/auth/login", base_url=f"http://converge.example/root{n}/").text
        assert f'href="/root{n}/static/converge.css"' in page
    assert len(app.extensions["converge_chrome"]) == 3


class _Row:
    title = "an attribute"

    def __getitem__(self, key):
        return "an item"


class _Dict(dict):
    @property
    def title(self):
        return "a subclass's attribute"


@pytest.mark.parametrize(
    "expression",
    [
        "d.title",  # a key
        "d.items",  # a method, though a key has its name
        "d.items()|list|length",
        "d.get('title')",
        "d.missing is undefined",
        "d['items']",
        "sub.title",  # a dict subclass keeps its attributes first
        "sub.other",
        "row.title",
        "row.other",
        "nested.a.b",
    ],
)
def test_the_environment_reads_a_dict_as_jinja_does(app, expression):
    """PortalEnvironment reads `dict.name` from the dict at once: what it finds must be what
    Jinja's own environment finds."""
    import jinja2

    values = {
        "d": {"title": "<a key>", "items": "a key named items"},
        "sub": _Dict(title="a key", other="another key"),
        "row": _Row(),
        "nested": {"a": {"b": 1}},
    }
    source = "{{ (" + expression + ")|string }}"
    plain = jinja2.Environment(autoescape=True).from_string(source).render(values)
    assert app.jinja_env.from_string(source).render(values) == plain
