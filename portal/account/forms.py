"""Forms on the profile page."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class NewTokenForm(FlaskForm):
    name = StringField(
        "Token name",
        validators=[DataRequired(), Length(max=80)],
        description="What will use it, e.g. “weekly report script”.",
    )
    # One per rendered form: a reload of the page that posted it cannot make a second token.
    once = HiddenField()
    submit = SubmitField("Create token")
