"""Routes for signing up, in and out."""

from flask import abort, current_app, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required

from portal.admin.service import department_choices
from portal.auth import bp, guard, sessions, sso
from portal.auth.forms import ForgotPasswordForm, LoginForm, ResetPasswordForm, SignupForm
from portal.auth.login import next_url_from_request, safe_next_url
from portal.auth.provisioning import sign_in_identity
from portal.auth.service import (
    absolute_url,
    authenticate,
    confirm_signup,
    normalize_email,
    request_password_reset,
    reset_password,
    sign_up_without_e_mail,
    signup_confirms_by_e_mail,
    start_signup,
    user_for_reset_token,
    user_for_signup_token,
)
from portal.errors import PortalError
from portal.extensions import db, limiter, writing
from portal.forms import choices, submit
from portal.ideas.forms import EmptyForm
from portal.models import Department, Role

# Session keys: how the person signed in, and the ID token kept as the sign-out hint.
SIGNED_IN_WITH = "signed_in_with"
ID_TOKEN_HINT = "sso_id_token"
SSO_NEXT = "sso_next"
IDP_LOGOUT_URL = "sso_logout_url"


def _password_login() -> bool:
    return current_app.config["PASSWORD_LOGIN"]


def _break_glass(email: str | None) -> bool:
    """Whether `email` is the break-glass admin's, who may use a password when it is off."""
    wanted = current_app.config["BREAK_GLASS_EMAIL"]
    return bool(wanted) and normalize_email(email or "") == wanted


def _password_refused() -> PortalError:
    name = sso.settings().provider_name
    return PortalError(
        f"Password sign-in is turned off: sign in with {name}.", 403, field="password"
    )


def _authenticate(email: str, password: str):
    """`authenticate`, but only the break-glass admin when password sign-in is off."""
    if _password_login():
        return authenticate(email, password)
    if not _break_glass(email):
        raise _password_refused()
    user = authenticate(email, password)
    if user.role != Role.ADMIN:
        raise _password_refused()
    return user


def _login_page(form, status: int = 200, **page):
    page.setdefault("idp_logout_url", session.pop(IDP_LOGOUT_URL, None))
    page = render_template("auth/login.html", form=form, next=next_url_from_request(), **page)
    return page, status


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
        form, lambda: _authenticate(form.email.data, form.password.data), field="password"
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
    return _login_page(form, submitted.status)


@bp.route("/sso")
@limiter.limit(guard.address_limit, deduct_when=guard.failed_sign_in)
def sso_start():
    """Start single sign-on: off to the provider with a fresh state, nonce and PKCE."""
    if sso.settings() is None:
        abort(404)
    with writing():  # a refusal is audited, even on this GET
        if current_user.is_authenticated:
            return redirect(url_for("main.home"))
        next_url = next_url_from_request()
        try:
            response = sso.authorization_redirect(absolute_url("auth.sso_callback"))
        except sso.SsoError as refused:
            return _sso_refused(refused)
    session.pop(SSO_NEXT, None)
    if next_url:
        session[SSO_NEXT] = next_url
    return response


@bp.route("/sso/callback")
@limiter.limit(guard.address_limit, deduct_when=guard.failed_sign_in)
def sso_callback():
    """Finish single sign-on. The provider sends the browser here with a GET, so this GET
    writes: the account made or updated, and the audit trail."""
    settings = sso.settings()
    if settings is None:
        abort(404)
    with writing():
        try:
            identity = sso.identity_from_callback()
            user = sign_in_identity(identity, settings)
        except sso.SsoError as refused:
            return _sso_refused(refused)
        guard.record_sign_in(user, via="sso")
        next_url = safe_next_url(session.get(SSO_NEXT))
        # A fresh session for the signed-in person: nothing set before sign-in carries over.
        sessions.start(user)
        db.session.commit()
    session[SIGNED_IN_WITH] = "sso"
    if identity.id_token and len(identity.id_token) <= sso.ID_TOKEN_HINT_MAX:
        session[ID_TOKEN_HINT] = identity.id_token
    flash(f"Welcome, {user.name}.", "success")
    return redirect(next_url or url_for("main.home"))


def _sso_refused(refused: sso.SsoError):
    """The sign-in page with the reason, the refusal's 4xx, an audit event and no session."""
    guard.record_failed_sso(refused)
    db.session.commit()
    return _login_page(LoginForm(formdata=None), refused.status_code, sso_error=str(refused))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    if not _password_login():
        name = sso.settings().provider_name
        raise PortalError(f"Accounts come from {name}: sign in with it, no sign-up needed.", 403)
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
    # Signed in with single sign-on: offer to end the provider's session too (RP-initiated
    # logout), when it has an end_session_endpoint.
    idp_logout = None
    if session.get(SIGNED_IN_WITH) == "sso" and sso.settings() is not None:
        idp_logout = sso.logout_url(session.get(ID_TOKEN_HINT), absolute_url("auth.login"))
    # This device's sign-in ends: its session cookie, the copies and its remember-me cookie
    # stop working; the person's other devices stay signed in.
    sessions.end_here()
    db.session.commit()
    if idp_logout:
        session[IDP_LOGOUT_URL] = idp_logout
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute; 20 per hour", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        # Password sign-in off: only the break-glass admin has a password to reset.
        if _password_login() or _break_glass(form.email.data):
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
    user = user_for_signup_token(token) if _password_login() else None
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
