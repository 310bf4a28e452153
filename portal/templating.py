"""Jinja globals and filters: navigation by role, badges, dates."""

from datetime import datetime

import jinja2
from flask import Flask, get_template_attribute, request, url_for
from flask.templating import Environment
from flask_login import current_user

from portal.forms import blank_field, blank_label
from portal.links import page_links
from portal.models import IdeaStatus, Role

STATUS_COLOURS = {
    IdeaStatus.DRAFT: "secondary",
    IdeaStatus.SUBMITTED: "info",
    IdeaStatus.IN_REVIEW: "primary",
    IdeaStatus.NEEDS_INFO: "warning",
    IdeaStatus.ESTIMATED: "primary",
    IdeaStatus.APPROVED: "success",
    IdeaStatus.SELECTED: "success",
    IdeaStatus.IN_DELIVERY: "success",
    IdeaStatus.DELIVERED: "dark",
    IdeaStatus.REJECTED: "danger",
    IdeaStatus.DUPLICATE: "secondary",
    IdeaStatus.WITHDRAWN: "secondary",
    IdeaStatus.DEFERRED: "warning",
}

REVIEWERS = {Role.BRM, Role.PORTFOLIO_MANAGER}

# (menu or None for a top-level link, endpoint, label, roles allowed or None for everyone).
# Entries of one menu become a dropdown; features add their entries here.
NAVIGATION = [
    (None, "ideas.index", "Ideas", None),
    (None, "leaders.home", "My departments", {Role.LEADER}),
    (None, "ideas.mine", "My ideas", None),
    (None, "campaigns.index", "Campaigns", None),
    ("Review", "review.queue", "Review queue", REVIEWERS),
    ("Review", "review.departments", "Departments & touchpoints", REVIEWERS),
    ("Review", "strategy.objectives", "Strategic objectives", {Role.PORTFOLIO_MANAGER}),
    ("Review", "strategy.pools", "Resource pools", {Role.PORTFOLIO_MANAGER}),
    ("Portfolio", "portfolio.plan", "Current plan", None),
    ("Portfolio", "portfolio.index", "Scenarios", REVIEWERS),
    ("Portfolio", "delivery.index", "Delivery", REVIEWERS),
    (None, "reports.index", "Reports", {Role.BRM, Role.PORTFOLIO_MANAGER, Role.ADMIN}),
    ("Admin", "admin.users", "Users", {Role.ADMIN}),
    ("Admin", "admin.departments", "Departments", {Role.ADMIN}),
    ("Admin", "transfer.index", "Import & export", {Role.ADMIN, Role.PORTFOLIO_MANAGER}),
    ("Review", "transfer.index", "Export to CSV", {Role.BRM}),
]


# What `getattr` can find on a plain dict: its methods. Nothing else (no instance __dict__).
_DICT_ATTRIBUTES = frozenset(dir(dict))


class PortalEnvironment(Environment):
    """Flask's Jinja environment with a faster `row.title` on plain dicts (report rows,
    chart data), the same in what it finds.

    Jinja reads `x.name` as `getattr(x, "name")`, and only when that raises, `x["name"]`.
    On a dict every such read raised and caught an AttributeError first: a twentieth of the
    run page's CPU. A plain dict has no attribute but its methods, so for any other name
    `x["name"]` is what Jinja would find; it is read at once."""

    def getattr(self, obj, attribute):
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


class CompiledTemplates(jinja2.BytecodeCache):
    """Templates compiled once per process and shared by every app it builds.

    Jinja compiles a template the first time an environment loads it, and each app has its
    own environment: a process that builds apps again (the test suite builds one per test, a
    worker may build one per job) would compile every template again. Jinja checks each
    entry against the template's source, so an edited template is compiled anew.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


def navigation_for(role: Role, view_functions) -> list[dict]:
    """The entries `role` may use, menus folded: [{label, endpoint, url} | {label, items,
    endpoints}] (`endpoints`: those of the menu's items, to mark the menu open)."""
    entries: list[dict] = []
    menus: dict[str, dict] = {}
    for menu, endpoint, label, roles in NAVIGATION:
        if (roles is not None and role not in roles) or endpoint not in view_functions:
            continue
        item = {"label": label, "endpoint": endpoint, "url": url_for(endpoint)}
        if menu is None:
            entries.append(item)
            continue
        if menu not in menus:
            menus[menu] = {"label": menu, "items": [], "endpoints": set()}
            entries.append(menus[menu])
        menus[menu]["items"].append(item)
        menus[menu]["endpoints"].add(endpoint)
    # A menu of one entry is just a link.
    return [e["items"][0] if "items" in e and len(e["items"]) == 1 else e for e in entries]


def _navigation(app: Flask, role: Role) -> list[dict]:
    """`navigation_for(role)`, built once per role and application root: the bar is the
    same on every page but for the entry marked active."""
    return _kept(
        app,
        ("navigation", role, request.script_root),
        lambda: navigation_for(role, app.view_functions),
    )


# base.html's fixed links: {name in templates: endpoint}
CHROME_LINKS = {
    "home": "main.home",
    "notifications": "main.notifications",
    "new_idea": "ideas.new",
    "profile": "account.profile",
    "logout": "auth.logout",
    "login": "auth.login",
    "signup": "auth.signup",
}


# At most this many kept parts: roles x endpoints is about a thousand. The application root
# is part of each key, and behind a proxy that forwards it, a visitor could send any.
KEPT_LIMIT = 4096


def _kept(app: Flask, key: tuple, make):
    """`make()`, made once per `key` for the life of `app` (made anew each time once
    KEPT_LIMIT keys are kept)."""
    kept = app.extensions.setdefault("converge_chrome", {})
    value = kept.get(key)
    if value is None:
        value = make()
        if len(kept) < KEPT_LIMIT:
            kept[key] = value
    return value


def _chrome(app: Flask) -> dict:
    """The parts of base.html that are the same on many pages (templates/chrome.html),
    written once per key rather than on every page: the stylesheets, scripts and fixed
    links per application root, and the menu per role, root and page. Twenty `url_for`
    calls and the menu's loop were a tenth of a list page's time."""
    root = request.script_root

    def fixed() -> dict:
        return {
            "assets": get_template_attribute("chrome.html", "assets")(),
            "scripts": get_template_attribute("chrome.html", "scripts")(),
            "urls": {
                name: url_for(endpoint)
                for name, endpoint in CHROME_LINKS.items()
                if endpoint in app.view_functions
            },
        }

    chrome = dict(_kept(app, ("fixed", root), fixed))
    chrome["menu"] = ""
    if current_user.is_authenticated:
        role, endpoint = current_user.role, request.endpoint
        chrome["menu"] = _kept(
            app,
            ("menu", role, root, endpoint),
            lambda: get_template_attribute("chrome.html", "menu")(_navigation(app, role), endpoint),
        )
    return chrome


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """1 -> '1 idea', 4 -> '4 ideas' (`plural_form` for irregular ones: 'query', 'queries').
    A Jinja filter too: {{ n|plural('idea') }}."""
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"


def register_template_helpers(app: Flask) -> None:
    @app.context_processor
    def inject():
        unread = current_user.unread_count if current_user.is_authenticated else 0
        return {
            "chrome": _chrome(app),
            "unread_count": unread,
            "Role": Role,
            "IdeaStatus": IdeaStatus,
        }

    @app.template_filter("status_label")
    def status_label(value: str) -> str:
        """'in_review' (as stored in the audit trail) -> 'In review'."""
        try:
            return IdeaStatus(value).label
        except ValueError:
            return str(value)

    @app.template_filter("status_colour")
    def status_colour(status: IdeaStatus) -> str:
        return STATUS_COLOURS.get(status, "secondary")

    @app.template_filter("when")
    def when(value: datetime | None) -> str:
        return value.strftime("%d %b %Y %H:%M") if value else ""

    @app.template_filter("day")
    def day(value) -> str:
        return value.strftime("%d %b %Y") if value else ""

    @app.template_filter("compact")
    def compact(value: float | None) -> str:
        """204000 -> '204k', 1250000 -> '1.25M': the amounts the optimizer's sentences use."""
        from portal.portfolio.problem import amount  # here: that module imports much more

        return "—" if value is None else amount(value)

    app.add_template_filter(plural, "plural")
    app.add_template_global(blank_field)
    app.add_template_global(blank_label)
    app.add_template_global(page_links)

    @app.template_filter("money")
    def money(value: float | None) -> str:
        if value is None:
            return "—"
        return f"{value:,.0f}"
