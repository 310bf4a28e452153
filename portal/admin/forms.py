"""Forms for managing users and departments."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from portal.forms import choices
from portal.models import Role

ROLE_CHOICES = choices((r.value, r.label) for r in Role)


# The multiple choices have no Optional(): it would let an uncoercible value ("") through
# as None instead of refusing it.
class UserForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[DataRequired()])
    department = SelectField("Department", coerce=int, validators=[DataRequired()])
    covered = SelectMultipleField("Covers departments (BRMs only)", coerce=int)
    leads = SelectMultipleField("Leads departments (department leaders only)", coerce=int)
    active = BooleanField("Active (may sign in)")
    submit = SubmitField("Save user")


class DepartmentForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    leader_name = StringField("Leader's name", validators=[Optional(), Length(max=120)])
    leader_email = EmailField("Leader's e-mail", validators=[Optional(), Email(), Length(max=254)])
    brms = SelectMultipleField("Covered by BRMs", coerce=int)
    submit = SubmitField("Save department")
