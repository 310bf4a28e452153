"""The quick select widget (portal.forms.QuickSelect) writes exactly WTForms' markup."""

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms import SelectField as WTFormsSelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from portal.forms import SelectField, choices

CASES = {
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


def _forms(data: dict):
    class Theirs(Form):
        locals().update({name: WTFormsSelectField(name, **kw) for name, kw in CASES.items()})

    class Ours(Form):
        locals().update({name: SelectField(name, **kw) for name, kw in CASES.items()})

    return Theirs(MultiDict(data)), Ours(MultiDict(data))


@pytest.mark.parametrize(
    "data",
    [{}, {"text": "1", "number": "2", "yes_no": "False", "empty_label": "x", "groups": "b"}],
)
@pytest.mark.parametrize("name", list(CASES))
def test_quick_select_writes_what_wtforms_writes(name, data):
    theirs, ours = _forms(data)
    for attributes in ({}, {"class": "form-select", "data-x": 'a"b'}):
        assert ours[name](**attributes) == theirs[name](**attributes)
