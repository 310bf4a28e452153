"""The filter every dashboard shares (a GET form: no CSRF token needed)."""

from flask_wtf import FlaskForm
from wtforms import SelectField


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    period = SelectField("Period", coerce=str, default="")
    department = SelectField("Department", coerce=str, default="")
