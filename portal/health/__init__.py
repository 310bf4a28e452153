"""Health checks for load balancers and orchestrators: no sign-in, no rate limit.

`/healthz` answers as soon as the process serves requests (it touches nothing else);
`/readyz` checks what a request needs: the database (SELECT 1) and Redis (PING) when REDIS_URL
is set, and answers 503 naming the one that failed.
"""

from flask import Blueprint

bp = Blueprint("health", __name__)

from portal.health import routes  # noqa: E402,F401
