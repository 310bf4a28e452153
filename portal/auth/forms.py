"""Forms for signing up and signing in."""

from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo

from portal.auth.service import PASSWORD_MAX, PASSWORD_MIN
from portal.forms import PortalForm, TextLength


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


# The service owns the rule (auth.service.check_password); the form says it before posting.
PASSWORD_RULES = [
    DataRequired(),
    TextLength(
        min=PASSWORD_MIN,
        max=PASSWORD_MAX,
        message=f"Use {PASSWORD_MIN} to {PASSWORD_MAX} characters.",
    ),
]


class LoginForm(PortalForm):
    email = EmailField(
        "E-mail", validators=[DataRequired(), Email(), TextLength(max=254)], filters=[strip]
    )
    password = PasswordField("Password", validators=[DataRequired(), TextLength(max=PASSWORD_MAX)])
    remember = BooleanField("Remember me")
    submit = SubmitField("Sign in")


class SignupForm(PortalForm):
    name = StringField("Full name", validators=[DataRequired(), TextLength(max=120)])
    email = EmailField(
        "Work e-mail", validators=[DataRequired(), Email(), TextLength(max=254)], filters=[strip]
    )
    department = SelectField("Department", coerce=int, validators=[DataRequired()])
    password = PasswordField("Password", validators=PASSWORD_RULES)
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )
    submit = SubmitField("Create account")


class ForgotPasswordForm(PortalForm):
    email = EmailField(
        "E-mail", validators=[DataRequired(), Email(), TextLength(max=254)], filters=[strip]
    )
    submit = SubmitField("Send me a link")


class ResetPasswordForm(PortalForm):
    password = PasswordField("New password", validators=PASSWORD_RULES)
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("password", "Passwords differ.")],
    )
    submit = SubmitField("Set password")
