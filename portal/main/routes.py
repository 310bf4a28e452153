"""The home page and notifications inbox."""

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal import workflow
from portal.campaigns import service as campaigns
from portal.extensions import db
from portal.forms import query_int
from portal.ideas.forms import EmptyForm
from portal.ideas.service import list_rows
from portal.main import bp
from portal.models import Department, Idea, IdeaStatus, Notification, Role, utcnow
from portal.templating import plural


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return render_template("main/landing.html")
    if current_user.role == Role.LEADER:
        return redirect(url_for("leaders.home"))
    counts = dict(
        db.session.execute(
            sa.select(Idea.status, sa.func.count(Idea.id))
            .where(Idea.submitter_id == current_user.id)
            .group_by(Idea.status)
        ).all()
    )
    trending = list_rows(
        sa.select(Idea)
        .where(Idea.status.in_(workflow.TRENDING))
        .order_by(Idea.vote_count.desc(), Idea.id.desc())
        .limit(6)
    )
    department_ideas = list_rows(
        sa.select(Idea)
        .where(Idea.department_id == current_user.department_id, Idea.status != IdeaStatus.DRAFT)
        .order_by(Idea.created_at.desc())
        .limit(6)
    )
    summary = [
        (label, sum(counts.get(s, 0) for s in states))
        for label, states in workflow.SUBMITTER_SUMMARY
    ]
    return render_template(
        "main/home.html",
        summary=summary,
        trending=trending,
        trending_states=[
            s.label.lower() for s in sorted(workflow.TRENDING, key=list(IdeaStatus).index)
        ],
        department_ideas=department_ideas,
        department=db.session.get(Department, current_user.department_id),
        open_campaigns=campaigns.open_for(current_user),
    )


@bp.route("/notifications")
@login_required
def notifications():
    items = db.paginate(
        sa.select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
        page=query_int("page", 1),
        per_page=30,
        error_out=False,
    )
    unread = db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.user_id == current_user.id, Notification.read_at.is_(None)
        )
    )
    return render_template(
        "main/notifications.html", page=items, form=EmptyForm(), unread_here=unread
    )


@bp.route("/notifications/seen", methods=["POST"])
@login_required
def inbox_seen():
    """The inbox was opened (posted by its page's script): the badge starts counting again
    from now. Notifications stay unread until marked so."""
    form = EmptyForm()
    if not form.validate_on_submit():
        return {"error": "The form expired; reload the page."}, 400
    current_user.inbox_seen_at = utcnow()
    db.session.commit()
    return "", 204


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_read():
    form = EmptyForm()
    if not form.validate_on_submit():
        flash("The form expired; try again.", "warning")
        return redirect(url_for("main.notifications"))
    marked = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    ).rowcount
    db.session.commit()
    flash(
        f"Marked {plural(marked, 'notification')} as read." if marked else "Nothing was unread.",
        "success",
    )
    return redirect(url_for("main.notifications"))
