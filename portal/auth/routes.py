"""Routes for signing up, in and out."""

from flask import flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from portal.admin.service import department_choices
from portal.auth import bp, guard
from portal.auth.forms import LoginForm, SignupForm
from portal.auth.login import next_url_from_request
from portal.auth.service import authenticate, create_user
from portal.extensions import db, limiter
from portal.forms import choices, submit
from portal.models import Department


def _locked_out(breach) -> None:
    """`on_breach` of the sign-in limits: the lockout goes in the audit trail at once (the
    request itself is refused)."""
    if guard.record_lockout(breach):
        db.session.commit()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    guard.account_limit,
    key_func=guard.submitted_account,
    methods=["POST"],
    deduct_when=guard.failed_sign_in,
    on_breach=_locked_out,
)
@limiter.limit(
    guard.address_limit,
    methods=["POST"],
    deduct_when=guard.failed_sign_in,
    on_breach=_locked_out,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    submitted = submit(
        form, lambda: authenticate(form.email.data, form.password.data), field="password"
    )
    if submitted.done:
        user = submitted.result
        guard.record_sign_in(user)
        db.session.commit()
        # A fresh session for the signed-in person: nothing set before sign-in carries over.
        session.clear()
        login_user(user, remember=form.remember.data)
        flash(f"Welcome back, {user.name}.", "success")
        return redirect(next_url_from_request() or url_for("main.home"))
    if submitted.refused is not None:
        guard.record_failed_sign_in(str(submitted.refused))
        db.session.commit()
    page = render_template("auth/login.html", form=form, next=next_url_from_request())
    return page, submitted.status


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignupForm()
    form.department.choices = choices(department_choices())
    submitted = submit(
        form,
        lambda: create_user(
            email=form.email.data,
            name=form.name.data,
            password=form.password.data,
            department=db.session.get(Department, form.department.data),
        ),
        field="email",
    )
    if submitted.done:
        db.session.commit()
        session.clear()
        login_user(submitted.result)
        flash("Your account is ready. Share your first idea!", "success")
        return redirect(url_for("main.home"))
    return render_template("auth/signup.html", form=form), submitted.status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
