"""Forms of the portfolio manager's strategy pages: objectives, their weights, AHP, pools."""

from wtforms import (
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from portal.forms import AmountField, NumberField, PortalForm, TextLength, choices
from portal.review import rules
from portal.review.forms import TEXT_LIMIT
from portal.strategy.ahp import SCALE

WEIGHT_RANGE = NumberRange(min=0, max=rules.MAX_OBJECTIVE_WEIGHT, message=rules.WEIGHT_RULE)


class ObjectiveForm(PortalForm):
    name = StringField("Name", validators=[DataRequired(), TextLength(max=120)])
    description = TextAreaField("Description", validators=[TextLength(max=TEXT_LIMIT)])
    weight = NumberField(
        "Weight",
        validators=[InputRequired(), WEIGHT_RANGE],
        default=1.0,
        description="Relative importance; only ratios between weights matter.",
    )
    submit = SubmitField("Save objective")


def weights_form(objectives, formdata=None):
    class WeightsForm(PortalForm):
        submit = SubmitField("Save weights")

    for o in objectives:
        setattr(
            WeightsForm,
            f"weight_{o.id}",
            NumberField(o.name, validators=[InputRequired(), WEIGHT_RANGE], default=o.weight),
        )
    return WeightsForm(formdata=formdata)


def _judgement_label(value: float) -> str:
    words = {
        1: "equal",
        3: "moderately more",
        5: "strongly more",
        7: "very strongly more",
        9: "extremely more",
    }
    if value >= 1:
        return f"{int(value)} · {words[int(value)]}"
    n = round(1 / value)
    return f"1/{n} · {words[n].replace('more', 'less')}"


JUDGEMENT_CHOICES = choices((f"{v:.6f}", _judgement_label(v)) for v in reversed(SCALE))


def ahp_form(n: int, defaults: dict, formdata=None):
    """One select per pair (i, j), i < j: how much more important i is than j."""

    class AhpForm(PortalForm):
        calculate = SubmitField("Calculate")
        apply = SubmitField("Apply these weights")

    for i in range(n):
        for j in range(i + 1, n):
            setattr(
                AhpForm,
                f"cmp_{i}_{j}",
                SelectField(
                    f"{i}-{j}",
                    choices=JUDGEMENT_CHOICES,
                    default=f"{defaults.get((i, j), 1.0):.6f}",
                ),
            )
    return AhpForm(formdata=formdata)


class CapacityForm(Form):
    period = StringField("Period", validators=[Optional(), TextLength(max=20)])
    capacity = AmountField("Capacity", validators=[Optional()])


class PoolForm(PortalForm):
    name = StringField("Name", validators=[DataRequired(), TextLength(max=80)])
    unit = StringField("Unit", validators=[DataRequired(), TextLength(max=40)], default="FTE")
    capacities = FieldList(FormField(CapacityForm), min_entries=4)
    submit = SubmitField("Save pool")
