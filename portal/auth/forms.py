"""Forms for signing up and signing in."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from portal.auth.service import PASSWORD_MAX, PASSWORD_MIN


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


# The service owns the rule (auth.service.check_password); the form says it before posting.
PASSWORD_RULES = [
    DataRequired(),
    Length(
        min=PASSWORD_MIN,
        max=PASSWORD_MAX,
        message=f"Use {PASSWORD_MIN} to {PASSWORD_MAX} characters.",
    ),
]


class LoginForm(FlaskForm):
    email = EmailField(
        "E-mail", validators=[DataRequired(), Email(), Length(max=254)], filters=[strip]
    )
    password = PasswordField("Password", validators=[DataRequired(), Length(max=PASSWORD_MAX)])
    remember = BooleanField("Remember me")
    submit = SubmitField("Sign in")


class SignupForm(FlaskForm):
    name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        "Work e-mail", validators=[DataRequired(), Email(), Length(max=254)], filters=[strip]
    )
    department = SelectField("Department", coerce=int, validators=[DataRequired()])
    password = PasswordField("Password", validators=PASSWORD_RULES)
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )
    submit = SubmitField("Create account")


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "E-mail", validators=[DataRequired(), Email(), Length(max=254)], filters=[strip]
    )
    submit = SubmitField("Send me a link")


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=PASSWORD_RULES)
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("password", "Passwords differ.")],
    )
    submit = SubmitField("Set password")
