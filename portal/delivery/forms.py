"""Delivery forms: actual cost of a period, a realized value measurement."""

from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional


class ActualCostForm(FlaskForm):
    period = StringField(
        "Period",
        validators=[DataRequired(), Length(max=20)],
        description="The plan period, e.g. 2027 or 2027-Q1.",
    )
    capex = DecimalField("Capex", places=2, validators=[Optional(), NumberRange(min=0)])
    opex = DecimalField("Opex", places=2, validators=[Optional(), NumberRange(min=0)])


class RealizedValueForm(FlaskForm):
    value = DecimalField(
        "Realized value (0–100)",
        places=1,
        validators=[InputRequired(), NumberRange(min=0, max=100)],
        description="On the estimate's scale: 100 is an extreme impact on every objective.",
    )
    as_of = DateField("Measured on", validators=[DataRequired()])
    note = TextAreaField(
        "Note",
        validators=[Length(max=5000)],
        description="How it was measured: source, KPI, who confirmed it.",
    )
