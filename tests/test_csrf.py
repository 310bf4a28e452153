"""Every form-posting route refuses a request without a valid CSRF token."""

import pytest
from werkzeug.routing import BuildError

from tests.conftest import login, make_app

# Token-authenticated JSON API calls carry no cookies, so CSRF does not apply to them.
EXEMPT_PREFIXES = ("/api/",)


def _post_urls(app):
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith(EXEMPT_PREFIXES):
            continue
        values = {arg: 1 for arg in rule.arguments}
        if "name" in rule.arguments:
            values["name"] = "submit"
        try:
            with app.test_request_context():
                from flask import url_for

                urls.append(url_for(rule.endpoint, **values))
        except BuildError:
            continue
    return sorted(set(urls))


def test_every_post_route_needs_a_token(database_url, tmp_path, admin):
    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True, SERVER_NAME=None)
    client = app.test_client()
    login(client, admin)
    urls = _post_urls(app)
    assert "/auth/login" in urls and "/ideas/new" in urls
    refused = {url: client.post(url, data={}).status_code for url in urls}
    assert {url: code for url, code in refused.items() if code != 400} == {}


@pytest.mark.parametrize("path", ["/ideas/new", "/auth/signup", "/auth/login"])
def test_forms_render_a_token(database_url, tmp_path, employee, path):
    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True, SERVER_NAME=None)
    client = app.test_client()
    if path == "/ideas/new":
        login(client, employee)
    assert 'name="csrf_token"' in client.get(path).get_data(as_text=True)
