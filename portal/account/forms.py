"""Forms on the profile page."""

from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo

from portal.account.service import TOKEN_LIFETIMES
from portal.auth.forms import PASSWORD_RULES
from portal.auth.service import PASSWORD_MAX
from portal.forms import PortalForm, TextLength


class NewTokenForm(PortalForm):
    name = StringField(
        "Token name",
        validators=[DataRequired(), TextLength(max=80)],
        description="What will use it, e.g. “weekly report script”.",
    )
    lifetime = SelectField(
        "Expires after",
        coerce=int,
        choices=[SelectChoice(days, f"{days} days") for days in TOKEN_LIFETIMES],
        default=TOKEN_LIFETIMES[1],
    )
    read_only = BooleanField(
        "Read only", description="The token may read but not create, change or delete."
    )
    # One per rendered form: a reload of the page that posted it cannot make a second token.
    once = HiddenField()
    submit = SubmitField("Create token")


class ChangePasswordForm(PortalForm):
    current = PasswordField(
        "Current password", validators=[DataRequired(), TextLength(max=PASSWORD_MAX)]
    )
    password = PasswordField("New password", validators=PASSWORD_RULES)
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("password", "Passwords differ.")],
    )
    submit = SubmitField("Change password")
