"""Forms on the profile page."""

from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo

from portal.account.service import TOKEN_LIFETIMES
from portal.auth.forms import PASSWORD_RULES
from portal.auth.service import PASSWORD_MAX
from portal.forms import PortalForm, TextLength
from portal.models import Frequency, NoticeKind


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


class NoticePreferencesForm(PortalForm):
    """How often each kind of notification is e-mailed (the inbox always gets them)."""

    my_ideas = SelectField(NoticeKind.MY_IDEAS.label)
    following = SelectField(NoticeKind.FOLLOWING.label)
    queue = SelectField(NoticeKind.QUEUE.label)
    campaigns = SelectField(NoticeKind.CAMPAIGNS.label)
    save = SubmitField("Save e-mail preferences")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in NoticeKind:
            field = getattr(self, kind.value)
            field.choices = [(f.value, f.label) for f in Frequency]
            field.description = kind.description

    def kinds(self):
        return [getattr(self, kind.value) for kind in NoticeKind]
