"""Configuration read from the environment; nothing else decides settings."""

import os
import secrets
from datetime import timedelta
from pathlib import Path


class ConfigError(RuntimeError):
    """The environment does not describe a runnable portal."""


def _database_url(instance_path: str) -> str:
    url = os.environ.get("PORTAL_DATABASE_URL")
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "converge.sqlite")
    return normalize_database_url(url)


def normalize_database_url(url: str) -> str:
    """Accept the common short forms and use psycopg 3 for PostgreSQL."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _secret_key(instance_path: str, production: bool) -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if production:
        raise ConfigError("SECRET_KEY must be set when PORTAL_ENV=production")
    # A development key that survives restarts, so sessions stay valid while you work.
    path = Path(instance_path) / "dev-secret-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _similarity_background() -> dict:
    """SIMILARITY_BACKGROUND only when the environment sets it; otherwise the app decides
    (on, except when TESTING)."""
    value = os.environ.get("PORTAL_SIMILARITY_BACKGROUND")
    return {} if value is None else {"SIMILARITY_BACKGROUND": value == "1"}


def _mail_inline() -> dict:
    """MAIL_SEND_INLINE only when the environment sets it; otherwise the app decides
    (inline when TESTING)."""
    value = os.environ.get("PORTAL_MAIL_INLINE")
    return {} if value is None else {"MAIL_SEND_INLINE": value == "1"}


def from_environment(instance_path: str) -> dict:
    """Build the app configuration from environment variables."""
    production = os.environ.get("PORTAL_ENV", "development") == "production"
    return {
        "PORTAL_ENV": "production" if production else "development",
        "SECRET_KEY": _secret_key(instance_path, production),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        # Scenario runs: solved in the request itself (tests, benchmarks) instead of the
        # background; the relative MIP gap; the extra analysis after each solved run.
        "RUNS_INLINE": os.environ.get("PORTAL_RUNS_INLINE", "0") == "1",
        "PORTFOLIO_GAP": float(os.environ.get("PORTFOLIO_GAP", "0.0001")),
        # Per-idea explanations come after the selection, in parts of PORTFOLIO_EXPLAIN_PART
        # candidates, each with PORTFOLIO_EXPLAIN_SECONDS for its re-solves. A part shares
        # one model and one LP among its candidates, so parts are large: about the
        # candidates divided by the run-workers (bench/scenarios.py). None above
        # PORTFOLIO_EXPLAIN_MAX_CANDIDATES candidates when an operator sets it (0: no limit).
        "PORTFOLIO_EXPLAIN_SECONDS": float(os.environ.get("PORTFOLIO_EXPLAIN_SECONDS", "20")),
        "PORTFOLIO_EXPLAIN_PART": int(os.environ.get("PORTFOLIO_EXPLAIN_PART", "5000")),
        "PORTFOLIO_EXPLAIN_MAX_CANDIDATES": int(
            os.environ.get("PORTFOLIO_EXPLAIN_MAX_CANDIDATES", "0")
        ),
        "PORTFOLIO_FRONTIER_POINTS": int(os.environ.get("PORTFOLIO_FRONTIER_POINTS", "9")),
        "PORTFOLIO_ROBUSTNESS_SAMPLES": int(os.environ.get("PORTFOLIO_ROBUSTNESS_SAMPLES", "25")),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS", "0") == "1",
        "MAIL_SENDER": os.environ.get("MAIL_SENDER", "converge@localhost"),
        # E-mail goes after commit, off the request; PORTAL_MAIL_INLINE=1 sends it in the
        # committing process at once (tests default to that).
        **_mail_inline(),
        # Where links in e-mails point: the portal as its users reach it.
        "PORTAL_BASE_URL": os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:5000"),
        **_similarity_background(),
        "REVIEW_OVERDUE_DAYS": int(os.environ.get("REVIEW_OVERDUE_DAYS", "14")),
        # Days a reviewer's question may wait for its answer before the submitter is reminded.
        "QUESTION_REMINDER_DAYS": int(os.environ.get("QUESTION_REMINDER_DAYS", "5")),
        # How often RQ's cron scheduler (`run-scheduler`) enqueues `send-reminders`.
        "REMINDERS_EVERY_SECONDS": int(os.environ.get("REMINDERS_EVERY_SECONDS", "3600")),
        # An API token's "last used" is written at most once per this many seconds.
        "TOKEN_USE_INTERVAL": int(os.environ.get("PORTAL_TOKEN_USE_INTERVAL", "300")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        # Remember-me is portal/auth/sessions.py's ("remember_me"); Flask-Login's own is off:
        # it looks for a cookie nobody sets, so the sessions' request loader always decides.
        "REMEMBER_COOKIE_NAME": "flask_login_remember_unused",
        "BOOTSTRAP_SERVE_LOCAL": True,
        # Rate-limit counts live in Redis when there is one, so every worker shares them.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI")
        or os.environ.get("REDIS_URL")
        or "memory://",
        # Failed sign-ins allowed per account (the e-mail typed) and per address; each
        # longer window makes a persistent guesser wait longer.
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get(
            "PORTAL_LOGIN_LIMIT_PER_ACCOUNT", "10 per minute; 30 per hour"
        ),
        "LOGIN_LIMIT_PER_ADDRESS": os.environ.get(
            "PORTAL_LOGIN_LIMIT_PER_ADDRESS", "20 per minute; 200 per hour"
        ),
        # Proxies in front of the portal whose X-Forwarded-* headers are trusted (0: none).
        "PROXY_HOPS": int(os.environ.get("PORTAL_PROXY_HOPS", "0")),
        # Redirect plain HTTP to HTTPS (production only by default).
        "FORCE_HTTPS": os.environ.get("PORTAL_FORCE_HTTPS", "1" if production else "0") == "1",
        "RATELIMIT_HEADERS_ENABLED": True,
        # Redis down: count in this process's memory until it is back, rather than refuse
        # every sign-in with a 500.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        # Ideas per page of the ideas list (the API keeps its own documented default).
        "IDEAS_PER_PAGE": 20,
        # One log line per request; JSON lines for log collectors.
        "LOG_JSON": os.environ.get("PORTAL_LOG_JSON", "0") == "1",
        "LOG_LEVEL": os.environ.get("PORTAL_LOG_LEVEL", "INFO").upper(),
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        **_single_sign_on(),
    }


def _single_sign_on() -> dict:
    """Single sign-on through an OpenID provider (portal.auth.sso reads and checks these);
    the names are the environment's own, so operators and checks can rely on them."""
    return {
        "OIDC_ISSUER": (os.environ.get("OIDC_ISSUER") or "").rstrip("/") or None,
        "OIDC_CLIENT_ID": os.environ.get("OIDC_CLIENT_ID") or None,
        "OIDC_CLIENT_SECRET": os.environ.get("OIDC_CLIENT_SECRET") or None,
        "OIDC_SCOPES": os.environ.get("OIDC_SCOPES") or "openid email profile",
        "OIDC_ROLE_CLAIM": os.environ.get("OIDC_ROLE_CLAIM") or "groups",
        "OIDC_ROLE_MAP": os.environ.get("OIDC_ROLE_MAP", ""),
        "OIDC_DEPARTMENT_CLAIM": os.environ.get("OIDC_DEPARTMENT_CLAIM") or "department",
        "OIDC_COVERS_CLAIM": os.environ.get("OIDC_COVERS_CLAIM") or "covers",
        "OIDC_MANAGE_ROLES": os.environ.get("OIDC_MANAGE_ROLES", "1") != "0",
        "OIDC_PROVIDER_NAME": os.environ.get("OIDC_PROVIDER_NAME") or None,
        # 0: password sign-in and sign-up are off, except for the break-glass admin.
        "PASSWORD_LOGIN": os.environ.get("PORTAL_PASSWORD_LOGIN", "1") != "0",
        "BREAK_GLASS_EMAIL": (os.environ.get("PORTAL_BREAK_GLASS_EMAIL") or "").strip().lower()
        or None,
    }
