"""Forms of the review side: queue filters, triage, merge, links, estimates, touchpoints."""

from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from portal.forms import AmountField, NumberField, PortalForm, TextLength, choices
from portal.models import IMPACT_LABELS, MAX_AMOUNT, Confidence, LinkKind, TouchpointKind
from portal.review.service import LINK_KINDS, QUEUE_SORTS, QUEUE_VIEWS

TEXT_LIMIT = 5000


class QueueForm(PortalForm):
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


class AssignForm(PortalForm):
    assignee = SelectField("Assign to", coerce=int, validators=[DataRequired()])
    submit = SubmitField("Assign selected")


class MergeForm(PortalForm):
    target = StringField(
        "Duplicate of (idea number, e.g. IDEA-12)",
        validators=[DataRequired(message="Say which idea it duplicates."), TextLength(max=40)],
    )
    note = TextAreaField("Note", validators=[TextLength(max=TEXT_LIMIT)])
    submit = SubmitField("Merge into that idea")


class LinkForm(PortalForm):
    kind = SelectField("Link", choices=choices((k.value, k.label) for k in LINK_KINDS))
    target = StringField(
        "Idea (e.g. IDEA-12)",
        validators=[DataRequired(message="Say which idea to link."), TextLength(max=40)],
    )
    note = StringField("Note", validators=[TextLength(max=500)])
    submit = SubmitField("Add link")

    def kind_value(self) -> LinkKind:
        return LinkKind(self.kind.data)


IMPACT_CHOICES = choices((v, f"{v} · {label}") for v, label in IMPACT_LABELS.items())
CONFIDENCE_CHOICES = choices((c.value, c.value.capitalize()) for c in Confidence)


def estimate_form(objectives, pools, periods, formdata=None, **kwargs):
    """An estimate form with one impact per objective and cost/effort per period."""

    class EstimateForm(PortalForm):
        base_version = HiddenField(default="0")
        value_low = NumberField(
            "Low", validators=[InputRequired(), NumberRange(min=0)], default=0.8
        )
        value_likely = NumberField(
            "Likely", validators=[InputRequired(), NumberRange(min=0)], default=1.0
        )
        value_high = NumberField(
            "High", validators=[InputRequired(), NumberRange(min=0)], default=1.2
        )
        risk = NumberField(
            "Risk (0..1)",
            validators=[InputRequired(), NumberRange(0, 1)],
            default=0.2,
            description="Probability that it fails to deliver.",
        )
        confidence = SelectField(
            "Confidence", choices=CONFIDENCE_CHOICES, default=Confidence.MEDIUM.value
        )
        notes = TextAreaField("Notes", validators=[TextLength(max=TEXT_LIMIT)])
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
        setattr(EstimateForm, f"capex_{p}", AmountField(f"Capex {p}", validators=money))
        setattr(EstimateForm, f"opex_{p}", AmountField(f"Opex {p}", validators=money))
        for pool in pools:
            setattr(
                EstimateForm,
                f"effort_{pool.id}_{p}",
                AmountField(f"{pool.name} {p}", validators=[Optional()]),
            )
    return EstimateForm(formdata=formdata, **kwargs)


class TouchpointForm(PortalForm):
    held_on = DateField("Date", validators=[DataRequired(message="Give the date (YYYY-MM-DD).")])
    kind = SelectField(
        "Kind", choices=choices((k.value, k.value.capitalize()) for k in TouchpointKind)
    )
    notes = TextAreaField("Notes", validators=[TextLength(max=TEXT_LIMIT)])
    ideas = SelectMultipleField("Ideas discussed", coerce=int, validators=[Optional()])
    submit = SubmitField("Log touchpoint")


class IdsForm(PortalForm):
    """A post with only the CSRF token."""
