"""Forms of the review side: queue filters, triage, merge, links, estimates, touchpoints."""

from wtforms import (
    DateField,
    HiddenField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    NumberRange,
    Optional,
    ValidationError,
)

from portal.forms import (
    AmountField,
    BooleanField,
    CheckboxesField,
    NumberField,
    PortalForm,
    SelectField,
    TextLength,
    WholeNumberField,
    choices,
    whole_number,
)
from portal.models import MAX_AMOUNT, Confidence, LinkKind, TouchpointKind
from portal.review import rules
from portal.review.service import LINK_KINDS, QUEUE_SORTS, QUEUE_VIEWS

TEXT_LIMIT = 5000


class QueueForm(PortalForm):
    class Meta:
        csrf = False

    view = SelectField(
        "Show", choices=choices((k, v[0]) for k, v in QUEUE_VIEWS.items()), default="waiting"
    )
    sort = SelectField("Sort", choices=choices(QUEUE_SORTS.items()), default="oldest")
    # Any department number is read: one the reviewer does not cover is refused (403) with
    # the reason, not ignored as if it were a typo.
    department = SelectField("Department", coerce=str, default="", validate_choice=False)
    campaign = SelectField("Campaign", coerce=str, default="")
    unassigned = BooleanField("Unassigned only")
    mine = BooleanField("Mine only")
    overdue = BooleanField("Overdue only")
    endorsed = BooleanField("Endorsed by the department leader")

    def validate_department(self, field) -> None:
        if field.data and whole_number(field.data) is None:
            raise ValidationError("Not a department.")


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


IMPACT_CHOICES = choices(rules.IMPACT_CHOICES)
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
        value_profile = StringField(
            "Value over time",
            validators=[Optional(), TextLength(max=1000)],
            description="How the value spreads, as period: weight (e.g. 2027: 1, 2028: 3, "
            "2029: 2 ramps up, peaks, decays). Empty: one value, not tied to periods.",
        )
        run_cost_per_year = AmountField(
            "Run cost per year after go-live",
            validators=[
                Optional(),
                NumberRange(0, rules.MAX_RUN_COST, "Run cost cannot be negative."),
            ],
            description="Opex that continues after the build, also past any planning horizon.",
        )
        lifetime_years = WholeNumberField(
            "Lifetime (years)",
            validators=[Optional()],
            high=rules.MAX_LIFETIME_YEARS,
            message=f"Between 0 and {rules.MAX_LIFETIME_YEARS} years.",
        )
        notes = TextAreaField("Notes", validators=[TextLength(max=TEXT_LIMIT)])
        mark_estimated = BooleanField("Mark the idea as estimated when saved", default=True)
        submit = SubmitField("Save estimate")

        def validate_value_profile(self, field):
            try:
                field.parsed = rules.parse_profile(field.data or "")
            except ValueError as exc:
                field.parsed = {}
                raise ValidationError(str(exc)) from None

        def validate_lifetime_years(self, field):
            if field.errors:  # its own range said it
                return
            problem = rules.run_cost_problem(self.run_cost_per_year.data or 0.0, field.data or 0)
            if problem and "lifetime" in problem.lower():
                raise ValidationError(problem)

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
    # Required (review.service checks it, with the message); marked required on the page.
    notes = TextAreaField(
        "Notes: what was discussed",
        validators=[TextLength(max=TEXT_LIMIT)],
        render_kw={"aria-required": "true", "data-required-to-submit": ""},
    )
    ideas = CheckboxesField("Ideas discussed", coerce=int, validators=[Optional()])
    submit = SubmitField("Log touchpoint")


class IdsForm(PortalForm):
    """A post with only the CSRF token."""
