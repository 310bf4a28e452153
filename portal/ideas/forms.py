"""Forms for writing and discussing ideas."""

from wtforms import (
    SelectMultipleField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Optional, ValidationError

from portal.forms import (
    MAX_SEARCH,
    SEARCH_TOO_LONG,
    PortalForm,
    SelectField,
    StringField,
    TextLength,
    choices,
)
from portal.ideas import rules
from portal.ideas.rules import TEXT_LIMIT
from portal.ideas.service import search_words


def _follows(rule: rules.TextRule) -> list:
    """The form's validators for an idea field rule (the rule's words when it is missing)."""
    # A minimum of one is what DataRequired already says; Length only words a longer minimum.
    return [
        DataRequired(message=rule.missing),
        TextLength(min=rule.min_length if rule.min_length > 1 else -1, max=rule.max_length),
    ]


# Marks a field that submitting needs (converge.css adds the asterisk to its label).
TO_SUBMIT = {"aria-required": "true", "data-required-to-submit": ""}


def _for_submitting(rule: rules.TextRule) -> list:
    """A field a draft may leave empty: only its length is checked while drafting; the form
    checks the rest when submitting (IdeaForm.validate, from the same rules)."""
    return [Optional(), TextLength(max=rule.max_length)]


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class IdeaForm(PortalForm):
    title = StringField(
        rules.TITLE.label,
        validators=_follows(rules.TITLE),
        render_kw=TO_SUBMIT,
        description="One line that says what you want, e.g. “Self-service travel expenses”.",
    )
    problem = TextAreaField(
        rules.PROBLEM.label,
        validators=_for_submitting(rules.PROBLEM),
        render_kw=TO_SUBMIT,
        description="What goes wrong today, for whom, and how often.",
    )
    proposal = TextAreaField(
        rules.PROPOSAL.label,
        validators=_for_submitting(rules.PROPOSAL),
        render_kw=TO_SUBMIT,
        description="What IT could build or change.",
    )
    expected_benefit = TextAreaField(
        rules.EXPECTED_BENEFIT.label,
        validators=_for_submitting(rules.EXPECTED_BENEFIT),
        render_kw=TO_SUBMIT,
        description="Time or money saved, risk reduced, customers served better.",
    )
    department = SelectField("Department", coerce=int, validators=[DataRequired()])
    objectives = MultiCheckboxField("Strategic objectives it serves", coerce=int)
    # Any campaign id is read; the ideas service refuses, in words, one that takes no ideas.
    campaign = SelectField("Campaign", coerce=int, default=0, validate_choice=False)
    save = SubmitField("Save draft")
    submit_idea = SubmitField("Submit for review")

    def validate(self, extra_validators=None) -> bool:
        """Saving a draft needs only a title; submitting needs every field its rule asks
        for, each missing one named under its field."""
        valid = super().validate(extra_validators)
        if self.submit_idea.data:
            values = {rule.field: self[rule.field].data for rule in rules.IDEA_TEXT}
            for name, problem in rules.idea_problems(values).items():
                if not self[name].errors:
                    self[name].errors = [*self[name].errors, problem]
                    valid = False
        return valid


class CommentForm(PortalForm):
    body = TextAreaField(rules.COMMENT.label, validators=_follows(rules.COMMENT))
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

    def validate_q(self, field) -> None:
        try:
            search_words(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    department = SelectField("Department", coerce=str, default="")
    status = SelectField("Status", coerce=str, default="")
    objective = SelectField("Objective", coerce=str, default="")
    sort = SelectField(
        "Sort",
        default="newest",
        choices=choices([("newest", "Newest"), ("votes", "Most votes"), ("oldest", "Oldest")]),
    )
