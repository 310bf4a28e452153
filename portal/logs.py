"""Logging: the portal's log set-up and one line per request, each with its request id.

`configure_logging(app)` applies a `logging.config.dictConfig` to the `portal` logger (the
app's own logger and every `portal.*` module logger): plain text lines, or JSON lines when
`LOG_JSON` is on (`PORTAL_LOG_JSON=1`). Every line written while a request is served carries
the request's id; the id comes from a sane incoming `X-Request-ID` header or is made here, and
goes back in the response's `X-Request-ID` header so a user's report can be matched to the log.
"""

import json
import logging
import logging.config
import re
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
ACCESS_LOGGER = "portal.requests"

# Ids from proxies and load balancers (UUIDs, hex, trace ids); anything else is replaced, so a
# client cannot write arbitrary text into the log.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+/=-]{0,127}")

# The fields a request line carries, as JSON keys and as `record` attributes.
REQUEST_FIELDS = ("request_id", "method", "path", "status", "duration_ms", "user_id")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request being served ('-' outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the request fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in REQUEST_FIELDS:
            if hasattr(record, field) and getattr(record, field) != "-":
                line[field] = getattr(record, field)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def logging_config(json_lines: bool, level: str = "INFO") -> dict:
    """The dictConfig for the `portal` loggers; other libraries' loggers are left alone."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {
            "text": {"format": TEXT_FORMAT},
            "json": {"()": JsonLinesFormatter},
        },
        "handlers": {
            "portal": {
                "class": "logging.StreamHandler",
                # Flask's stream: the server's error stream in a request, stderr otherwise.
                "stream": "ext://flask.logging.wsgi_errors_stream",
                "formatter": "json" if json_lines else "text",
                "filters": ["request_id"],
            }
        },
        "loggers": {"portal": {"level": level, "handlers": ["portal"]}},
    }


def request_id_from(header: str | None) -> str:
    """The incoming id when it looks like one, otherwise a new random one."""
    if header and SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def _current_user_id() -> int | None:
    """The signed-in user (session or API token), if this request has already loaded one.

    Only a user the request already loaded counts: looking one up here would cost a query on
    every static file and could run after the request's transaction failed.
    """
    api_user = g.get("api_user")
    if api_user is not None:
        return api_user.id
    user = g.get("_login_user")  # where Flask-Login keeps the user it loaded for the request
    if user is None or not user.is_authenticated:
        return None
    return user.id


def _start_request() -> None:
    """`before_request`: name the request and start its clock."""
    g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    g.request_started = time.perf_counter()


def _log_request(response: Response) -> Response:
    """`after_request` (error responses too): write the request's line, echo its id."""
    request_id = g.get("request_id") or request_id_from(None)
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
    fields = {
        "request_id": request_id,
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "duration_ms": duration_ms,
        "user_id": _current_user_id(),
    }
    logging.getLogger(ACCESS_LOGGER).info(
        "%s %s %s %sms user=%s",
        fields["method"],
        fields["path"],
        fields["status"],
        fields["duration_ms"],
        fields["user_id"] if fields["user_id"] is not None else "-",
        extra=fields,
    )
    response.headers[REQUEST_ID_HEADER] = request_id
    return response


def configure_logging(app: Flask) -> None:
    """Apply the log set-up and log each request; call before other `before_request` hooks
    so the clock and the id start first."""
    logging.config.dictConfig(logging_config(app.config["LOG_JSON"], app.config["LOG_LEVEL"]))
    app.before_request(_start_request)
    app.after_request(_log_request)
