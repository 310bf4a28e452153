"""Forms for managing users and departments."""

from wtforms import (
    BooleanField,
    EmailField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, Optional

from portal.forms import CheckboxesField, PortalForm, TextLength, choices
from portal.models import Role

ROLE_CHOICES = choices((r.value, r.label) for r in Role)


# The multiple choices have no Optional(): it would let an uncoercible value ("") through
# as None instead of refusing it.
class UserForm(PortalForm):
    name = StringField("Name", validators=[DataRequired(), TextLength(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[DataRequired()])
    department = SelectField("Department", coerce=int, validators=[DataRequired()])
    covered = CheckboxesField("Covers departments (BRMs only)", coerce=int)
    leads = CheckboxesField("Leads departments (department leaders only)", coerce=int)
    active = BooleanField("Active (may sign in)")
    submit = SubmitField("Save user")


class InviteForm(PortalForm):
    name = StringField("Name", validators=[DataRequired(), TextLength(max=120)])
    email = EmailField("E-mail", validators=[DataRequired(), Email(), TextLength(max=254)])
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[DataRequired()])
    department = SelectField("Department", coerce=int, validators=[DataRequired()])
    covered = CheckboxesField("Covers departments (BRMs only)", coerce=int)
    leads = CheckboxesField("Leads departments (department leaders only)", coerce=int)
    submit = SubmitField("Create and invite")


class RenewInvitationForm(PortalForm):
    submit = SubmitField("Send a new invitation")


class DepartmentForm(PortalForm):
    name = StringField("Name", validators=[DataRequired(), TextLength(max=120)])
    leader_name = StringField("Leader's name", validators=[Optional(), TextLength(max=120)])
    leader_email = EmailField(
        "Leader's e-mail", validators=[Optional(), Email(), TextLength(max=254)]
    )
    brms = CheckboxesField("Covered by BRMs", coerce=int)
    submit = SubmitField("Save department")
