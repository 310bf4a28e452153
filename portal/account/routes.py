"""The profile page: who you are, your password and sessions, and your API tokens."""

import secrets

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from portal.account import bp
from portal.account.forms import ChangePasswordForm, NewTokenForm, NoticePreferencesForm
from portal.account.service import (
    active_tokens,
    create_token,
    revoke_token,
    set_notice_preferences,
)
from portal.auth import sessions
from portal.auth.service import change_password, end_all_sessions, mail_configured
from portal.extensions import db
from portal.forms import submit
from portal.ideas.forms import EmptyForm
from portal.models import NoticeKind, utcnow

USED_FORMS_KEPT = 20  # the last token forms used, per session


def _profile(
    form: NewTokenForm,
    new_secret: str | None = None,
    status: int = 200,
    password_form: ChangePasswordForm | None = None,
    notices_form: NoticePreferencesForm | None = None,
):
    if form.once.data in (None, "") or form.once.data in session.get("token_forms_used", []):
        form.once.data = secrets.token_urlsafe(12)
    page = render_template(
        "account/profile.html",
        form=form,
        password_form=password_form or ChangePasswordForm(formdata=None),
        notices_form=notices_form or _notices_form(),
        mail_configured=mail_configured(),
        tokens=active_tokens(current_user),
        now=utcnow(),
        new_secret=new_secret,
        button_form=EmptyForm(),
    )
    response = (page, status)
    if new_secret:
        # The secret is in this page only: keep it out of every cache.
        response = (page, status, {"Cache-Control": "no-store"})
    return response


def _notices_form() -> NoticePreferencesForm:
    """The preferences form showing what the person chose (or the defaults)."""
    form = NoticePreferencesForm(formdata=None)
    for kind in NoticeKind:
        getattr(form, kind.value).data = current_user.frequency(kind).value
    return form


@bp.route("/notices", methods=["POST"])
@login_required
def notices():
    form = NoticePreferencesForm()
    submitted = submit(
        form,
        lambda: set_notice_preferences(
            current_user, {kind.value: getattr(form, kind.value).data for kind in NoticeKind}
        ),
    )
    if not submitted.done:
        return _profile(NewTokenForm(formdata=None), status=submitted.status, notices_form=form)
    db.session.commit()
    flash("Your e-mail preferences are saved.", "success")
    return redirect(url_for("account.profile") + "#notices")


@bp.route("/")
@login_required
def profile():
    return _profile(NewTokenForm(formdata=None))


@bp.route("/tokens", methods=["POST"])
@login_required
def new_token():
    form = NewTokenForm()
    used = session.get("token_forms_used", [])
    if form.validate_on_submit() and form.once.data and form.once.data in used:
        # The browser re-sent the form (a reload): the token exists, its secret was shown once.
        flash(
            "That token was already created; its secret was shown once. "
            "Create a new one below if you need another.",
            "warning",
        )
        return _profile(NewTokenForm(formdata=None), status=409)
    submitted = submit(
        form,
        lambda: create_token(
            current_user,
            form.name.data,
            days=form.lifetime.data,
            read_only=form.read_only.data,
        ),
        field="name",
    )
    if not submitted.done:
        return _profile(form, status=submitted.status)
    db.session.commit()
    created = submitted.result
    if form.once.data:
        session["token_forms_used"] = (used + [form.once.data])[-USED_FORMS_KEPT:]
    # Rendered, not redirected: the secret must not travel through the session cookie.
    return _profile(NewTokenForm(formdata=None), new_secret=created.secret)


@bp.route("/tokens/<id:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int):
    if not EmptyForm().validate_on_submit():
        flash("The form expired; try again.", "warning")
        return redirect(url_for("account.profile"))
    token = revoke_token(current_user, token_id)
    db.session.commit()
    flash(f"Token “{token.name}” revoked: it no longer works.", "success")
    return redirect(url_for("account.profile"))


@bp.route("/password", methods=["POST"])
@login_required
def password():
    form = ChangePasswordForm()
    submitted = submit(
        form,
        lambda: change_password(current_user, form.current.data, form.password.data),
        field="password",
    )
    if not submitted.done:
        return _profile(NewTokenForm(formdata=None), status=submitted.status, password_form=form)
    # Every sign-in has ended; this device goes on under a new one (remembered if it was).
    sessions.start(current_user._get_current_object(), remember=sessions.COOKIE in request.cookies)
    db.session.commit()
    flash("Your password is changed. You are signed out everywhere else.", "success")
    return redirect(url_for("account.profile"))


@bp.route("/sessions/end", methods=["POST"])
@login_required
def sign_out_everywhere():
    if not EmptyForm().validate_on_submit():
        flash("The form expired; try again.", "warning")
        return redirect(url_for("account.profile"))
    end_all_sessions(current_user)
    sessions.end_here()
    db.session.commit()
    flash("You are signed out everywhere, on this device too.", "info")
    return redirect(url_for("auth.login"))
