"""Admin pages: users and departments."""

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.admin import bp
from portal.admin.forms import DepartmentForm, InviteForm, RenewInvitationForm, UserForm
from portal.admin.service import (
    Invitation,
    brm_choices,
    department_choices,
    departments_with_idea_counts,
    invite_user,
    renew_invitation,
    save_department,
    update_user,
)
from portal.auth.login import roles_required
from portal.auth.service import INVITE_LINK_MAX_AGE, mail_configured
from portal.extensions import db
from portal.forms import LIKE_ESCAPE, choices, like_pattern, query_int, search_text, submit
from portal.models import Department, Role, User

admin_only = roles_required(Role.ADMIN)


@bp.route("/users")
@admin_only
def users():
    q = search_text(request.args.get("q"))
    role = request.args.get("role") or ""
    query = sa.select(User).order_by(User.name)
    if q:
        like = like_pattern(q.lower())
        query = query.where(
            sa.or_(
                sa.func.lower(User.name).like(like, escape=LIKE_ESCAPE),
                sa.func.lower(User.email).like(like, escape=LIKE_ESCAPE),
            )
        )
    if role in {r.value for r in Role}:
        query = query.where(User.role == Role(role))
    page = db.paginate(query, page=query_int("page", 1), per_page=25, error_out=False)
    return render_template("admin/users.html", page=page, q=q, role=role, roles=list(Role))


@bp.route("/users/new", methods=["GET", "POST"])
@admin_only
def new_user():
    form = InviteForm()
    form.department.choices = choices(department_choices())
    form.covered.choices = choices(department_choices())
    form.leads.choices = choices(department_choices())

    def save():
        covered = db.session.scalars(
            sa.select(Department).where(Department.id.in_(form.covered.data))
        )
        leads = db.session.scalars(sa.select(Department).where(Department.id.in_(form.leads.data)))
        return invite_user(
            current_user,
            email=form.email.data,
            name=form.name.data,
            role=Role(form.role.data),
            department=db.session.get(Department, form.department.data),
            covered=list(covered),
            leads=list(leads),
        )

    submitted = submit(form, save, field="email")
    if submitted.done:
        db.session.commit()
        return _invited(submitted.result, f"Created {submitted.result.user.name}")
    page = render_template(
        "admin/user_form.html",
        form=form,
        user=None,
        mail_configured=mail_configured(),
        invite_days=INVITE_LINK_MAX_AGE // 86400,
    )
    return page, submitted.status


def _invited(invitation: Invitation, done: str):
    """After an invitation is committed: say where it went, or, when it could not be
    e-mailed, show its link this once (rendered, not redirected: the link must not travel
    through the session cookie, and the page is not cached)."""
    user = invitation.user
    if invitation.link is None:
        flash(f"{done}; an invitation to choose a password went to {user.email}.", "success")
        return redirect(url_for("admin.users"))
    page = render_template(
        "admin/invitation.html",
        user=user,
        done=done,
        link=invitation.link,
        invite_days=INVITE_LINK_MAX_AGE // 86400,
    )
    return page, 200, {"Cache-Control": "no-store"}


@bp.route("/users/<id:user_id>/invitation", methods=["POST"])
@admin_only
def renew_user_invitation(user_id: int):
    user = db.get_or_404(User, user_id)
    if not RenewInvitationForm().validate_on_submit():
        flash("The form expired; try again.", "warning")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    invitation = renew_invitation(current_user, user)
    db.session.commit()
    done = f"Renewed the invitation of {user.name} (the earlier link no longer works)"
    return _invited(invitation, done)


@bp.route("/users/<id:user_id>", methods=["GET", "POST"])
@admin_only
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=None if request.method == "POST" else user)
    form.department.choices = choices(department_choices())
    form.covered.choices = choices(department_choices())
    form.leads.choices = choices(department_choices())
    if request.method == "GET":
        form.role.data = user.role.value
        form.department.data = user.department_id
        form.covered.data = [d.id for d in user.covered_departments]
        form.leads.data = [d.id for d in user.led_departments]

    def save():
        covered = db.session.scalars(
            sa.select(Department).where(Department.id.in_(form.covered.data))
        )
        leads = db.session.scalars(sa.select(Department).where(Department.id.in_(form.leads.data)))
        return update_user(
            current_user,
            user,
            name=form.name.data,
            role=Role(form.role.data),
            department=db.session.get(Department, form.department.data),
            active=form.active.data,
            covered=list(covered),
            leads=list(leads),
        )

    submitted = submit(form, save, field="role")
    if submitted.done:
        db.session.commit()
        flash(f"Saved {user.name}.", "success")
        for note in submitted.result:
            flash(note, "warning")
        return redirect(url_for("admin.users"))
    page = render_template(
        "admin/user_form.html",
        form=form,
        user=user,
        renew_form=RenewInvitationForm(formdata=None),
        mail_configured=mail_configured(),
        invite_days=INVITE_LINK_MAX_AGE // 86400,
    )
    return page, submitted.status


@bp.route("/departments")
@admin_only
def departments():
    rows = departments_with_idea_counts()
    return render_template("admin/departments.html", rows=rows)


@bp.route("/departments/new", methods=["GET", "POST"])
@bp.route("/departments/<id:department_id>/edit", methods=["GET", "POST"])
@admin_only
def edit_department(department_id: int | None = None):
    department = db.get_or_404(Department, department_id) if department_id else None
    form = DepartmentForm(obj=department if request.method == "GET" else None)
    form.brms.choices = choices(brm_choices())
    if request.method == "GET" and department is not None:
        form.brms.data = [u.id for u in department.brms]

    def save():
        brms = db.session.scalars(sa.select(User).where(User.id.in_(form.brms.data)))
        return save_department(
            current_user,
            department,
            name=form.name.data,
            leader_name=form.leader_name.data,
            leader_email=form.leader_email.data,
            brms=list(brms),
        )

    submitted = submit(form, save, field="name")
    if submitted.done:
        db.session.commit()
        flash(f"Saved department {submitted.result.name}.", "success")
        return redirect(url_for("admin.departments"))
    page = render_template("admin/department_form.html", form=form, department=department)
    return page, submitted.status
