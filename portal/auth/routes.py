"""Routes for signing up, in and out."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal.admin.service import department_choices
from portal.auth import bp, guard, sessions
from portal.auth.forms import ForgotPasswordForm, LoginForm, ResetPasswordForm, SignupForm
from portal.auth.login import next_url_from_request
from portal.auth.service import (
    authenticate,
    confirm_signup,
    request_password_reset,
    reset_password,
    sign_up_without_e_mail,
    signup_confirms_by_e_mail,
    start_signup,
    user_for_reset_token,
    user_for_signup_token,
)
from portal.extensions import db, limiter
from portal.forms import choices, submit
from portal.ideas.forms import EmptyForm
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
        # A fresh session for the signed-in person: nothing set before sign-in carries over.
        sessions.start(user, remember=form.remember.data)
        db.session.commit()
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
    by_e_mail = signup_confirms_by_e_mail()
    submitted = submit(
        form,
        lambda: (start_signup if by_e_mail else sign_up_without_e_mail)(
            email=form.email.data,
            name=form.name.data,
            password=form.password.data,
            department=db.session.get(Department, form.department.data),
        ),
        field="email",
    )
    if submitted.done and by_e_mail:
        db.session.commit()  # the letter goes after the commit
        # One answer for every address: whether it was free is told only to the mailbox.
        return render_template("auth/signup_sent.html", email=form.email.data)
    if submitted.done:
        db.session.commit()
        # One answer for every address: a taken one is told only to its owner's inbox.
        flash("Thank you. Sign in with your e-mail and password to start.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/signup.html", form=form), submitted.status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # This device's sign-in ends: its session cookie, the copies and its remember-me cookie
    # stop working; the person's other devices stay signed in.
    sessions.end_here()
    db.session.commit()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute; 20 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        request_password_reset(form.email.data)
        db.session.commit()  # the letter goes after the commit
        # The same answer whether or not the address has an account.
        flash(
            "If an account uses that e-mail, a link to choose a new password is on its way. "
            "It works once, for an hour.",
            "info",
        )
        return redirect(url_for("auth.login"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/forgot.html", form=form), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def reset_password_page(token: str):
    if user_for_reset_token(token) is None:
        page = render_template("auth/reset.html", form=None)
        return page, 400
    form = ResetPasswordForm()
    submitted = submit(form, lambda: reset_password(token, form.password.data), field="password")
    if submitted.done:
        sessions.end_here()
        db.session.commit()
        flash("Your password is changed and every session ended. Sign in with it.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form), submitted.status


@bp.route("/signup/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def confirm_signup_page(token: str):
    # GET only shows a button: opening the link (or a mail scanner doing so) changes nothing.
    user = user_for_signup_token(token)
    form = EmptyForm()
    if user is None:
        return render_template("auth/signup_confirm.html", user=None, form=form), 400
    if not form.validate_on_submit():
        return render_template("auth/signup_confirm.html", user=user, form=form)
    user = confirm_signup(token)
    sessions.start(user)
    db.session.commit()
    flash("Your account is ready. Share your first idea!", "success")
    return redirect(url_for("main.home"))
