"""Forms of the review side: queue filters, triage, merge, links, estimates, objectives."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FloatField,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.forms import choices
from portal.models import IMPACT_LABELS, MAX_AMOUNT, Confidence, LinkKind, TouchpointKind
from portal.review.ahp import SCALE
from portal.review.service import LINK_KINDS, QUEUE_SORTS, QUEUE_VIEWS

TEXT_LIMIT = 5000


class QueueForm(FlaskForm):
    class Meta:
        csrf = False

    view = SelectField(
        "Show", choices=choices((k, v[0]) for k, v in QUEUE_VIEWS.items()), default="waiting"
    )
    sort = SelectField("Sort", choices=choices(QUEUE_SORTS.items()), default="oldest")
    department = SelectField("Department", coerce=str, default="")
    unassigned = BooleanField("Unassigned only")
    mine = BooleanField("Mine only")
    overdue = BooleanField("Overdue only")


class AssignForm(FlaskForm):
    assignee = SelectField("Assign to", coerce=int, validators=[DataRequired()])
    submit = SubmitField("Assign selected")


class MergeForm(FlaskForm):
    target = StringField(
        "Duplicate of (idea number, e.g. IDEA-12)",
        validators=[DataRequired(message="Say which idea it duplicates."), Length(max=40)],
    )
    note = TextAreaField("Note", validators=[Length(max=TEXT_LIMIT)])
    submit = SubmitField("Merge into that idea")


class LinkForm(FlaskForm):
    kind = SelectField("Link", choices=choices((k.value, k.label) for k in LINK_KINDS))
    target = StringField(
        "Idea (e.g. IDEA-12)",
        validators=[DataRequired(message="Say which idea to link."), Length(max=40)],
    )
    note = StringField("Note", validators=[Length(max=500)])
    submit = SubmitField("Add link")

    def kind_value(self) -> LinkKind:
        return LinkKind(self.kind.data)


IMPACT_CHOICES = choices((v, f"{v} · {label}") for v, label in IMPACT_LABELS.items())
CONFIDENCE_CHOICES = choices((c.value, c.value.capitalize()) for c in Confidence)


def estimate_form(objectives, pools, periods, formdata=None, **kwargs):
    """An estimate form with one impact per objective and cost/effort per period."""

    class EstimateForm(FlaskForm):
        base_version = HiddenField(default="0")
        value_low = FloatField("Low", validators=[InputRequired(), NumberRange(min=0)], default=0.8)
        value_likely = FloatField(
            "Likely", validators=[InputRequired(), NumberRange(min=0)], default=1.0
        )
        value_high = FloatField(
            "High", validators=[InputRequired(), NumberRange(min=0)], default=1.2
        )
        risk = FloatField(
            "Risk (0..1)",
            validators=[InputRequired(), NumberRange(0, 1)],
            default=0.2,
            description="Probability that it fails to deliver.",
        )
        confidence = SelectField(
            "Confidence", choices=CONFIDENCE_CHOICES, default=Confidence.MEDIUM.value
        )
        notes = TextAreaField("Notes", validators=[Length(max=TEXT_LIMIT)])
        mark_estimated = BooleanField("Mark the idea as estimated when saved", default=True)
        submit = SubmitField("Save estimate")

    money = [
        Optional(),
        NumberRange(
            min=0,
            max=MAX_AMOUNT,
            message=f"Costs cannot be negative or above {MAX_AMOUNT:,.0f}.",
        ),
    ]
    for o in objectives:
        setattr(
            EstimateForm,
            f"impact_{o.id}",
            SelectField(o.name, coerce=int, choices=IMPACT_CHOICES, default=0),
        )
    for p in periods:
        setattr(EstimateForm, f"capex_{p}", FloatField(f"Capex {p}", validators=money))
        setattr(EstimateForm, f"opex_{p}", FloatField(f"Opex {p}", validators=money))
        for pool in pools:
            setattr(
                EstimateForm,
                f"effort_{pool.id}_{p}",
                FloatField(
                    f"{pool.name} {p}",
                    validators=[
                        Optional(),
                        NumberRange(min=0, message="Effort cannot be negative."),
                    ],
                ),
            )
    return EstimateForm(formdata=formdata, **kwargs)


class ObjectiveForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    description = TextAreaField("Description", validators=[Length(max=TEXT_LIMIT)])
    weight = FloatField(
        "Weight",
        validators=[InputRequired(), NumberRange(min=0)],
        default=1.0,
        description="Relative importance; only ratios between weights matter.",
    )
    submit = SubmitField("Save objective")


def weights_form(objectives, formdata=None):
    class WeightsForm(FlaskForm):
        submit = SubmitField("Save weights")

    for o in objectives:
        setattr(
            WeightsForm,
            f"weight_{o.id}",
            FloatField(o.name, validators=[InputRequired(), NumberRange(min=0)], default=o.weight),
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

    class AhpForm(FlaskForm):
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
    period = StringField("Period", validators=[Optional(), Length(max=20)])
    capacity = FloatField("Capacity", validators=[Optional(), NumberRange(min=0)])


class PoolForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    unit = StringField("Unit", validators=[DataRequired(), Length(max=40)], default="FTE")
    capacities = FieldList(FormField(CapacityForm), min_entries=4)
    submit = SubmitField("Save pool")


class TouchpointForm(FlaskForm):
    held_on = DateField("Date", validators=[DataRequired(message="Give the date (YYYY-MM-DD).")])
    kind = SelectField(
        "Kind", choices=choices((k.value, k.value.capitalize()) for k in TouchpointKind)
    )
    notes = TextAreaField("Notes", validators=[Length(max=TEXT_LIMIT)])
    ideas = SelectMultipleField("Ideas discussed", coerce=int, validators=[Optional()])
    submit = SubmitField("Log touchpoint")


class IdsForm(FlaskForm):
    """A post with only the CSRF token."""
