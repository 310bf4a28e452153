"""`/healthz` (the process is up) and `/readyz` (the database and Redis answer)."""

import sqlalchemy as sa
from flask import current_app, jsonify

from portal.extensions import db, limiter
from portal.health import bp
from portal.security import talisman

# Seconds a readiness check waits for Redis before calling it down.
REDIS_TIMEOUT = 2.0


@bp.route("/healthz")
@limiter.exempt
@talisman(force_https=False)  # load balancers probe over plain HTTP
def healthz():
    """The process is up and serving requests; nothing else is checked."""
    return jsonify(status="ok")


@bp.route("/readyz")
@limiter.exempt
@talisman(force_https=False)
def readyz():
    """Ready to serve: the database answers SELECT 1 and Redis (when configured) PING.
    503 names the check that failed."""
    checks = {"database": _check_database()}
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = _check_redis(current_app.config["REDIS_URL"])
    ready = all(answer == "ok" for answer in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503


def _check_database() -> str:
    """'ok', or why the database did not answer (on a connection of its own, returned at
    once, so no transaction stays open)."""
    try:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as exc:
        current_app.logger.warning("readiness: database unavailable: %s", exc)
        return f"unavailable: {type(exc).__name__}"
    return "ok"


def _check_redis(url: str) -> str:
    """'ok', or why Redis did not answer PING."""
    from redis import Redis

    try:
        client = Redis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
        )
        client.ping()
        client.close()
    except Exception as exc:
        current_app.logger.warning("readiness: redis unavailable: %s", exc)
        return f"unavailable: {type(exc).__name__}"
    return "ok"
