"""The quick fields of portal.forms write exactly WTForms' markup (labels and widgets)."""

import pytest
import wtforms
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import html_params

from portal.forms import BooleanField, SelectField, StringField, choices, html_attributes

SELECTS = {
    "text": dict(
        coerce=str,
        default="",
        choices=choices([("", "Any"), ("1", 'Fin"ance & <b>R&D</b>'), ("2", "Sales")]),
    ),
    "number": dict(coerce=int, validators=[DataRequired()], choices=choices([(1, "a"), (2, "b")])),
    "yes_no": dict(coerce=str, choices=choices([(True, "Yes"), (False, "No")])),
    "empty_label": dict(coerce=str, choices=choices([("x", ""), ("y", "Y")])),
    "own_attributes": dict(
        coerce=str, choices=[SelectChoice("a", "A"), SelectChoice("b", "B", render_kw={"x": 1})]
    ),
    "groups": dict(
        coerce=str,
        choices=[SelectChoice("a", "A", optgroup="One"), SelectChoice("b", "B", optgroup="Two")],
    ),
}
OTHERS = {
    "words": ("StringField", dict(validators=[Length(max=20)], render_kw={"placeholder": "<x>"})),
    "needed": ("StringField", dict(validators=[DataRequired()])),
    "tick": ("BooleanField", dict(label='Only "mine" & <ours>')),
}
OURS = {"SelectField": SelectField, "StringField": StringField, "BooleanField": BooleanField}


def _forms(data: dict):
    def fields(kinds):
        made = {name: kinds["SelectField"](name, **kw) for name, kw in SELECTS.items()}
        made |= {name: kinds[kind](**kw) for name, (kind, kw) in OTHERS.items()}
        return made

    theirs = {name: getattr(wtforms, name) for name in OURS}
    return (
        type("Theirs", (Form,), fields(theirs))(MultiDict(data)),
        type("Ours", (Form,), fields(OURS))(MultiDict(data)),
    )


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"text": "1", "number": "2", "yes_no": "False", "groups": "b", "words": 'a "b" <c>'},
        {"empty_label": "x", "tick": "y", "needed": "&"},
    ],
)
@pytest.mark.parametrize("name", [*SELECTS, *OTHERS])
def test_quick_fields_write_what_wtforms_writes(name, data):
    theirs, ours = _forms(data)
    for attributes in ({}, {"class": "form-select", "data-x": 'a"b', "data_y": 1}):
        assert ours[name](**attributes) == theirs[name](**attributes)
        assert ours[name].label(**attributes) == theirs[name].label(**attributes)
    assert ours[name].label(for_="elsewhere") == theirs[name].label(for_="elsewhere")
    assert str(ours[name].label) == str(theirs[name].label)


@pytest.mark.parametrize(
    "attributes",
    [
        {},
        {"class_": "a b", "for": "x", "data_limit": 5, "aria_label": "<&>"},
        {"checked": True, "disabled": False, "value": 0, "name": 'q"'},
        {"title": Markup('say "hi" <b>'), "data-raw": "x", "zz_": None},
    ],
)
def test_html_attributes_are_wtforms_html_params(attributes):
    assert html_attributes(**attributes) == html_params(**attributes)
