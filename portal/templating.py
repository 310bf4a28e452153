"""Jinja globals and filters: navigation by role, badges, dates."""

from datetime import datetime

import sqlalchemy as sa
from flask import Flask
from flask_login import current_user

from portal.extensions import db
from portal.models import IdeaStatus, Notification, Role

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

# (endpoint, label, roles allowed); features add their entries here.
NAVIGATION = [
    ("ideas.index", "Ideas", None),
    ("ideas.mine", "My ideas", None),
    ("review.queue", "Review queue", {Role.BRM, Role.PORTFOLIO_MANAGER}),
    ("review.departments", "Departments", {Role.BRM, Role.PORTFOLIO_MANAGER}),
    ("review.objectives", "Objectives", {Role.PORTFOLIO_MANAGER}),
    ("review.pools", "Resource pools", {Role.PORTFOLIO_MANAGER}),
    ("portfolio.index", "Scenarios", {Role.PORTFOLIO_MANAGER, Role.BRM}),
    ("portfolio.plan", "Plan", None),
    ("reports.index", "Reports", {Role.BRM, Role.PORTFOLIO_MANAGER, Role.ADMIN}),
    ("delivery.index", "Delivery", {Role.BRM, Role.PORTFOLIO_MANAGER}),
    ("transfer.index", "Import", {Role.ADMIN, Role.PORTFOLIO_MANAGER}),
    ("admin.users", "Users", {Role.ADMIN}),
    ("admin.departments", "Departments", {Role.ADMIN}),
]


def register_template_helpers(app: Flask) -> None:
    @app.context_processor
    def inject():
        nav = []
        unread = 0
        if current_user.is_authenticated:
            nav = [
                (endpoint, label)
                for endpoint, label, roles in NAVIGATION
                if (roles is None or current_user.role in roles) and endpoint in app.view_functions
            ]
            unread = db.session.scalar(
                sa.select(sa.func.count(Notification.id)).where(
                    Notification.user_id == current_user.id, Notification.read_at.is_(None)
                )
            )
        return {"nav_items": nav, "unread_count": unread, "Role": Role, "IdeaStatus": IdeaStatus}

    @app.template_filter("status_colour")
    def status_colour(status: IdeaStatus) -> str:
        return STATUS_COLOURS.get(status, "secondary")

    @app.template_filter("when")
    def when(value: datetime | None) -> str:
        return value.strftime("%d %b %Y %H:%M") if value else ""

    @app.template_filter("day")
    def day(value) -> str:
        return value.strftime("%d %b %Y") if value else ""

    @app.template_filter("money")
    def money(value: float | None) -> str:
        if value is None:
            return "—"
        return f"{value:,.0f}"
