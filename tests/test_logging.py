"""Request logging: one line per request with its id, method, path, status, duration and user;
JSON lines when asked; the request id goes back to the client."""

import json
import logging
import logging.config
import re
import sys

import pytest

from portal.account.service import create_token
from portal.extensions import db
from portal.logs import (
    ACCESS_LOGGER,
    JsonLinesFormatter,
    RequestIdFilter,
    logging_config,
    request_id_from,
)
from tests.conftest import make_app


def request_lines(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == ACCESS_LOGGER]


def test_one_line_per_request_with_its_fields(employee_client, employee, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    response = employee_client.get("/ideas/?q=secret")
    assert response.status_code == 200

    [line] = request_lines(caplog)
    assert line.method == "GET"
    assert line.path == "/ideas/"  # never the query string: searches stay out of the log
    assert line.status == 200
    assert isinstance(line.duration_ms, float) and line.duration_ms >= 0
    assert line.user_id == employee.id
    assert line.request_id == response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", line.request_id)
    assert f"GET /ideas/ 200 {line.duration_ms}ms user={employee.id}" == line.getMessage()


def test_anonymous_and_error_requests_are_logged(client, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    client.get("/no-such-page")
    client.get("/ideas/")
    missing, redirected = request_lines(caplog)
    assert (missing.path, missing.status, missing.user_id) == ("/no-such-page", 404, None)
    assert redirected.status == 302 and redirected.message.endswith("user=-")
    assert missing.request_id != redirected.request_id


def test_api_requests_carry_the_token_user(app, employee, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    secret = create_token(employee, "script").secret
    db.session.commit()
    response = app.test_client().get("/api/v1/ideas", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    [line] = request_lines(caplog)
    assert (line.path, line.user_id) == ("/api/v1/ideas", employee.id)


def test_incoming_request_id_is_kept_and_echoed(client, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    response = client.get("/auth/login", headers={"X-Request-ID": "lb-7f3a.42"})
    assert response.headers["X-Request-ID"] == "lb-7f3a.42"
    assert request_lines(caplog)[0].request_id == "lb-7f3a.42"


@pytest.mark.parametrize(
    "given",
    [None, "", "x" * 129, "two words", "line\nbreak", "<script>", "-starts-with-dash", "é"],
)
def test_unusable_request_ids_are_replaced(given):
    made = request_id_from(given)
    assert made != given and re.fullmatch(r"[0-9a-f]{32}", made)


@pytest.mark.parametrize("given", ["f" * 32, "3b8e7c1a-0d2f-4e5b-9a6c-7d8e9f0a1b2c", "Root=1-5f"])
def test_usable_request_ids_are_kept(given):
    assert request_id_from(given) == given


def test_request_id_is_on_every_line_written_during_the_request(app, client, caplog):
    caplog.set_level(logging.INFO, logger="portal")

    @app.get("/log-something")
    def log_something():
        app.logger.info("inside")
        return "ok"

    response = client.get("/log-something")
    inside = next(r for r in caplog.records if r.getMessage() == "inside")
    assert inside.request_id == response.headers["X-Request-ID"]


def test_json_lines(app, app_json, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    response = app_json.test_client().get("/auth/login", headers={"X-Request-ID": "abc-123"})
    handler = logging.getLogger("portal").handlers[0]
    assert isinstance(handler.formatter, JsonLinesFormatter)

    [record] = request_lines(caplog)
    line = json.loads(handler.format(record))
    assert "\n" not in handler.format(record)
    assert line["request_id"] == "abc-123" == response.headers["X-Request-ID"]
    assert (line["method"], line["path"], line["status"]) == ("GET", "/auth/login", 200)
    assert line["duration_ms"] >= 0 and line["user_id"] is None
    assert line["level"] == "INFO" and line["logger"] == ACCESS_LOGGER


def test_plain_text_by_default(app, client, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    client.get("/auth/login", headers={"X-Request-ID": "abc-123"})
    handler = logging.getLogger("portal").handlers[0]
    text = handler.format(request_lines(caplog)[0])
    assert re.search(
        r" INFO portal\.requests \[abc-123\] GET /auth/login 200 [\d.]+ms user=-$", text
    )


def test_json_lines_carry_exceptions():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("portal", logging.ERROR, __file__, 1, "failed", (), None)
        record.exc_info = sys.exc_info()
    RequestIdFilter().filter(record)
    line = json.loads(JsonLinesFormatter().format(record))
    assert line["message"] == "failed" and "ValueError: boom" in line["exception"]
    assert "request_id" not in line  # outside a request


def test_config_leaves_other_loggers_alone():
    config = logging_config(json_lines=True)
    assert set(config["loggers"]) == {"portal"} and "root" not in config
    assert config["disable_existing_loggers"] is False
    assert config["handlers"]["portal"]["formatter"] == "json"


@pytest.fixture
def app_json(app_config, database_url, tmp_path, monkeypatch):
    """An app built with PORTAL_LOG_JSON=1 in the environment."""
    monkeypatch.setenv("PORTAL_LOG_JSON", "1")
    yield make_app(database_url, tmp_path, **app_config)
    logging.config.dictConfig(logging_config(json_lines=False))  # plain text for later tests
