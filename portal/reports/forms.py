"""The filter every dashboard shares (a GET form: no CSRF token needed)."""

from wtforms import SelectField

from portal.forms import PortalForm


class FilterForm(PortalForm):
    class Meta:
        csrf = False

    period = SelectField("Period", coerce=str, default="")
    department = SelectField("Department", coerce=str, default="")
