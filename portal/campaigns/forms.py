"""Forms for sponsors: a campaign, its updates."""

from flask_wtf import FlaskForm
from wtforms import DateField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.campaigns.rules import FIELDS_HELP
from portal.forms import AmountField
from portal.ideas.forms import MultiCheckboxField
from portal.ideas.rules import TEXT_LIMIT


class CampaignForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[DataRequired(), Length(min=5, max=200)],
        description="e.g. “Cut invoice-to-cash time by 20%”.",
    )
    question = TextAreaField(
        "The question", validators=[DataRequired(), Length(max=TEXT_LIMIT)],
        description="What you ask people, in one or two sentences.",
    )  # fmt: skip
    context = TextAreaField(
        "Context", validators=[Length(max=TEXT_LIMIT)],
        description="Why it matters now, and what a good answer looks like.",
    )  # fmt: skip
    opens_on = DateField("Opens on", validators=[DataRequired()])
    closes_on = DateField("Closes on", validators=[DataRequired()])
    budget_envelope = AmountField(
        "Budget envelope", validators=[Optional()],
        description="Optional: the most the selected answers may cost together "
        "(e.g. 250000, 250k, 1.5M).",
    )  # fmt: skip
    departments = MultiCheckboxField(
        "Target departments", coerce=int, description="None ticked: everyone."
    )
    objectives = MultiCheckboxField("Objectives it serves", coerce=int)
    fields = TextAreaField("Extra idea fields", description=FIELDS_HELP)
    submit = SubmitField("Save campaign")


class UpdateForm(FlaskForm):
    body = TextAreaField("Post an update", validators=[DataRequired(), Length(max=TEXT_LIMIT)])
    submit = SubmitField("Post update")
