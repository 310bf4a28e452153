"""Forms for writing and discussing ideas."""

from wtforms import (
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired

from portal.forms import MAX_SEARCH, SEARCH_TOO_LONG, PortalForm, TextLength, choices
from portal.ideas import rules
from portal.ideas.rules import TEXT_LIMIT


def _follows(rule: rules.TextRule) -> list:
    """The form's validators for an idea field rule (WTForms' own messages)."""
    # A minimum of one is what DataRequired already says; Length only words a longer minimum.
    return [
        DataRequired(),
        TextLength(min=rule.min_length if rule.min_length > 1 else -1, max=rule.max_length),
    ]


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class IdeaForm(PortalForm):
    title = StringField(
        "Title",
        validators=_follows(rules.TITLE),
        description="One line that says what you want, e.g. “Self-service travel expenses”.",
    )
    problem = TextAreaField(
        "Problem",
        validators=_follows(rules.PROBLEM),
        description="What goes wrong today, for whom, and how often.",
    )
    proposal = TextAreaField(
        "Proposal",
        validators=_follows(rules.PROPOSAL),
        description="What IT could build or change.",
    )
    expected_benefit = TextAreaField(
        "Expected benefit",
        validators=_follows(rules.EXPECTED_BENEFIT),
        description="Time or money saved, risk reduced, customers served better.",
    )
    department = SelectField("Department", coerce=int, validators=[DataRequired()])
    objectives = MultiCheckboxField("Strategic objectives it serves", coerce=int)
    save = SubmitField("Save draft")
    submit_idea = SubmitField("Submit for review")


class CommentForm(PortalForm):
    body = TextAreaField("Comment", validators=_follows(rules.COMMENT))
    submit = SubmitField("Post comment")


class ReasonForm(PortalForm):
    """A transition that may carry a reason (withdraw, answer...)."""

    reason = TextAreaField("Reason", validators=[TextLength(max=TEXT_LIMIT)])
    submit = SubmitField("Confirm")


class EmptyForm(PortalForm):
    """Only the CSRF token: for buttons that post."""


class SearchForm(PortalForm):
    class Meta:
        csrf = False

    q = StringField(
        "Search",
        validators=[TextLength(max=MAX_SEARCH, message=SEARCH_TOO_LONG)],
    )
    department = SelectField("Department", coerce=str, default="")
    status = SelectField("Status", coerce=str, default="")
    objective = SelectField("Objective", coerce=str, default="")
    sort = SelectField(
        "Sort",
        default="newest",
        choices=choices([("newest", "Newest"), ("votes", "Most votes"), ("oldest", "Oldest")]),
    )
