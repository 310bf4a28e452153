"""Forms for writing and discussing ideas."""

from flask_wtf import FlaskForm
from wtforms import (
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length

from portal.forms import choices

TEXT_LIMIT = 5000


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class IdeaForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[DataRequired(), Length(min=5, max=200)],
        description="One line that says what you want, e.g. “Self-service travel expenses”.",
    )
    problem = TextAreaField(
        "Problem",
        validators=[DataRequired(), Length(max=TEXT_LIMIT)],
        description="What goes wrong today, for whom, and how often.",
    )
    proposal = TextAreaField(
        "Proposal",
        validators=[DataRequired(), Length(max=TEXT_LIMIT)],
        description="What IT could build or change.",
    )
    expected_benefit = TextAreaField(
        "Expected benefit",
        validators=[DataRequired(), Length(max=TEXT_LIMIT)],
        description="Time or money saved, risk reduced, customers served better.",
    )
    department = SelectField("Department", coerce=int, validators=[DataRequired()])
    objectives = MultiCheckboxField("Strategic objectives it serves", coerce=int)
    save = SubmitField("Save draft")
    submit_idea = SubmitField("Submit for review")


class CommentForm(FlaskForm):
    body = TextAreaField("Comment", validators=[DataRequired(), Length(max=TEXT_LIMIT)])
    submit = SubmitField("Post comment")


class ReasonForm(FlaskForm):
    """A transition that may carry a reason (withdraw, answer...)."""

    reason = TextAreaField("Reason", validators=[Length(max=TEXT_LIMIT)])
    submit = SubmitField("Confirm")


class EmptyForm(FlaskForm):
    """Only the CSRF token: for buttons that post."""


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(
        "Search",
        validators=[
            Length(max=200, message="Search for at most 200 characters; this search was not run.")
        ],
    )
    department = SelectField("Department", coerce=str, default="")
    status = SelectField("Status", coerce=str, default="")
    objective = SelectField("Objective", coerce=str, default="")
    sort = SelectField(
        "Sort",
        default="newest",
        choices=choices([("newest", "Newest"), ("votes", "Most votes"), ("oldest", "Oldest")]),
    )
