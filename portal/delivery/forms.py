"""Delivery forms: actual cost of a period, a realized value measurement."""

from wtforms import DateField, DecimalField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from portal.forms import AMOUNT_HINT, AmountField, PortalForm, TextLength


class ActualCostForm(PortalForm):
    period = StringField(
        "Period",
        validators=[DataRequired(), TextLength(max=20)],
        description="The plan period, e.g. 2027 or 2027-Q1.",
    )
    capex = AmountField("Capex", validators=[Optional()])
    opex = AmountField("Opex", validators=[Optional()])
    # Shown once under capex and opex, which it is for.
    amount_hint = f"Amounts: {AMOUNT_HINT}"


class RealizedValueForm(PortalForm):
    value = DecimalField(
        "Realized value (0–100)",
        places=1,
        validators=[InputRequired(), NumberRange(min=0, max=100)],
        description="On the estimate's scale: 100 is an extreme impact on every objective.",
    )
    as_of = DateField("Measured on", validators=[DataRequired()])
    note = TextAreaField(
        "Note",
        validators=[TextLength(max=5000)],
        description="How it was measured: source, KPI, who confirmed it.",
    )
