"""Form helpers shared by every feature, and the bounds every number from a request obeys."""

import functools
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import wtforms
from flask import flash, request
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from werkzeug.routing import IntegerConverter
from wtforms import FloatField, IntegerField
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import Label
from wtforms.validators import Length, NumberRange, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, Select, TextInput

from portal.errors import PortalError
from portal.extensions import db
from portal.models.estimates import MAX_AMOUNT

# Ids are INTEGER columns (32 bits on PostgreSQL): a larger id can never exist, and must not
# reach the database, which refuses it (SQLite: OverflowError; PostgreSQL: out of range).
MAX_ID = 2**31 - 1
# The longest search text a page or the API accepts; longer never reaches LIKE.
MAX_SEARCH = 200
SEARCH_TOO_LONG = f"Search for at most {MAX_SEARCH} characters; this search was not run."
_DIGITS = re.compile(r"[0-9]{1,12}")


def whole_number(text: object, low: int = 1, high: int = MAX_ID) -> int | None:
    """`text` as a whole number in low..high (ASCII digits, so no '²'), else None."""
    text = str(text if text is not None else "").strip()
    if not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if low <= number <= high else None


def query_int(name: str, default: int | None = None, low: int = 1, high: int = MAX_ID):
    """The query parameter `name` as a whole number in low..high, else `default`: the list
    pages ignore a parameter they do not understand rather than refuse the page."""
    number = whole_number(request.args.get(name), low, high)
    return default if number is None else number


def read_filters(form: FlaskForm) -> set[str]:
    """Validate a list page's filter form (read from the query string) and name the filters
    that do not read well: each of those is ignored on its own and the others apply, so a
    bad link still shows the list. The page says what it ignored (`IGNORED_FILTERS`)."""
    form.validate()
    return {name for name, field in form._fields.items() if field.errors}


IGNORED_FILTERS = "Some filters were not understood and were ignored."


def search_text(text: str | None) -> str:
    """Search words as typed, refused beyond MAX_SEARCH characters (before they reach LIKE)."""
    text = (text or "").strip()
    if len(text) > MAX_SEARCH:
        raise PortalError(SEARCH_TOO_LONG, field="q")
    return text


# The escape character of every LIKE pattern made by `like_pattern`.
LIKE_ESCAPE = "\\"


def like_pattern(text: str) -> str:
    """A LIKE pattern that finds `text` anywhere, as typed: "%" and "_" are literal
    characters (escaped with LIKE_ESCAPE, which the query must name), not wildcards."""
    for special in (LIKE_ESCAPE, "%", "_"):
        text = text.replace(special, LIKE_ESCAPE + special)
    return f"%{text}%"


def refuse_nul_characters() -> None:
    """Before every request: no query parameter or form field may hold a NUL character.
    Nobody types one, and PostgreSQL cannot store one in text. (The API's schemas refuse
    them on their own, as a 422 on the field.)"""
    if request.path.startswith("/api/"):
        return
    for values in (request.args, request.form):
        for key, texts in values.lists():
            if "\x00" in key or any("\x00" in text for text in texts):
                raise PortalError("The text must not contain NUL characters.", field=key)


class PortalForm(FlaskForm):
    """Every form of the portal. A text field's length limit is shown, not enforced by the
    browser: `maxlength` would cut pasted text silently, so the field carries `data-limit`
    instead (text-limits.js shows a counter) and the server refuses a longer text with a
    field error that names the limit."""

    class Meta:
        def render_field(self, field, render_kw):
            limit = getattr(field.flags, "maxlength", None)
            if limit:
                render_kw = {"maxlength": False, "data-limit": limit, **render_kw}
            return super().render_field(field, render_kw)


@functools.cache
def blank_form(form_class: type[PortalForm]) -> PortalForm:
    """`form_class` as an empty form shows it: its labels, limits and choices. Built once
    per process, since an empty form is the same on every request; only for forms whose
    fields do not depend on the request. Never fill or validate it. A page writes its fields
    with `blank_field` and `blank_label`, its CSRF token with macros.html's `csrf_field`."""
    return form_class(formdata=None, meta={"csrf": False})


def blank_field(form: PortalForm, name: str, **render_kw) -> Markup:
    """Field `name` of a `blank_form` as WTForms renders it with `render_kw` (a Jinja
    global); rendered once per process, as it is the same on every request."""
    return _rendered(type(form), name, False, tuple(sorted(render_kw.items())))


def blank_label(form: PortalForm, name: str, **render_kw) -> Markup:
    """The label of field `name` of a `blank_form`, as `blank_field` renders the field."""
    return _rendered(type(form), name, True, tuple(sorted(render_kw.items())))


@functools.cache
def _rendered(form_class: type[PortalForm], name: str, label: bool, render_kw: tuple) -> Markup:
    field = blank_form(form_class)[name]
    return (field.label if label else field)(**dict(render_kw))


class TextLength(Length):
    """A text's length limits (WTForms' Length); a text over the limit is refused with a
    message that names the limit and the text's length (unless the field words its own),
    and is kept as typed."""

    def __call__(self, form, field):
        length = len(field.data or "")
        if self.message is None and self.max != -1 and length > self.max:
            raise ValidationError(
                f"At most {self.max:,} characters; this text has {length:,}. "
                "Nothing was cut: shorten it and save again."
            )
        super().__call__(form, field)


# An amount as people type it: digits with an optional decimal part and exponent, then an
# optional k, M or B ("1e3", "1.5k", "2M"); thousands separators are dropped first.
_AMOUNT = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(e[+-]?\d{1,3})?([kmb]?)", re.IGNORECASE)
_SUFFIX = {"": 1, "k": 1e3, "m": 1e6, "b": 1e9}
# A comma separates thousands only: after a digit and before exactly three digits. Any other
# comma ("1,5M", "2,75") is a decimal comma, which would be read 10 or 100 times too large.
_NOT_THOUSANDS = re.compile(r"(?<!\d),|,(?!\d{3}(?!\d))|\.\d*,")
AMOUNT_HELP = "write 1200000, 1,200,000, 1.2M, 800k or 1.2e6"
# The hint shown beside every amount field.
AMOUNT_HINT = "e.g. 1200000, 1,200,000, 1.2M or 800k; a point for decimals (1.5M, not 1,5M)."


def parse_amount(text: str) -> float:
    """An amount (money, effort, capacity) as typed: '1,500', '1 500', '1e3', '1.5k', '2M'
    -> a number from 0 to MAX_AMOUNT, the one bound of every amount; ValueError saying what
    is wrong otherwise. The one reader of amounts: forms, services and the API call it.
    A decimal comma ('1,5M') is refused, not read as a thousands separator."""
    shown = str(text).strip()
    if _NOT_THOUSANDS.search(shown):
        example = shown.replace(",", ".", 1) if shown.count(",") == 1 else "1.5M"
        raise ValueError(
            f"'{shown}' has a comma that does not separate thousands: use a point for "
            f"decimals ({example}); a comma only before groups of three digits (1,500,000)"
        )
    cleaned = re.sub(r"[,\s_']", "", shown)
    if cleaned.startswith("-") and _AMOUNT.fullmatch(cleaned[1:]):
        raise ValueError(f"'{shown}' is negative; amounts are 0 or more")
    match = _AMOUNT.fullmatch(cleaned)
    if not match:
        raise ValueError(f"'{shown}' is not an amount ({AMOUNT_HELP})")
    number, exponent, suffix = match.groups()
    amount = float(number + (exponent or "")) * _SUFFIX[suffix.lower()]
    if not amount <= MAX_AMOUNT:  # also catches infinity
        raise ValueError(
            f"'{shown}' is more than {MAX_AMOUNT:,.0f}, the largest amount the portal takes"
        )
    return amount


class _SaysOneThing:
    """A field whose text could not be read as a number says only that: its validators
    (ranges, the form's own checks) would otherwise add their messages about the missing
    number, as in "'abc' is not an amount." followed by "Costs cannot be negative"."""

    def pre_validate(self, form) -> None:
        typed = bool(self.raw_data and str(self.raw_data[0]).strip())
        if self.process_errors and typed:  # left blank: `Optional` or `InputRequired` says so
            raise StopValidation()


class AmountField(_SaysOneThing, FloatField):
    """A form field for an amount, read with `parse_amount` (so "1.5k" and "1e3" are
    understood and absurd values refused with a message); empty is None. A text input
    (a browser's number input refuses "120k" before the portal sees it), with the decimal
    keypad on phones."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs["render_kw"] = {"inputmode": "decimal", **(kwargs.get("render_kw") or {})}
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and str(valuelist[0]).strip():
            try:
                self.data = parse_amount(valuelist[0])
            except ValueError as exc:
                raise ValueError(f"{exc}.") from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return f"{self.data:.12g}"


class IdConverter(IntegerConverter):
    """`<id:name>` in a route: a database id, 1..MAX_ID; anything else is 404 (no match)."""

    def __init__(self, url_map, *args, **kwargs):
        super().__init__(url_map, min=1, max=MAX_ID)


class WholeNumberField(_SaysOneThing, IntegerField):
    """An integer form field that always has bounds (by default 0..MAX_ID), so no number
    it accepts is too large for the database or the optimizer; `message` says them."""

    def __init__(
        self,
        label=None,
        validators=None,
        low: int = 0,
        high: int = MAX_ID,
        message: str | None = None,
        **kwargs,
    ):
        super().__init__(label, [*(validators or []), NumberRange(low, high, message)], **kwargs)


class NumberField(_SaysOneThing, FloatField):
    """A decimal number form field that refuses infinity and NaN ('1e309', 'nan'), which
    no amount, weight or capacity can be and JSON cannot store."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not math.isfinite(self.data):
            self.data = None
            raise ValueError(self.gettext("Not a valid float value."))


def html_attributes(**kwargs) -> str:
    """WTForms' `html_params`, the same text (sorted by name, `class_` and `data_x` spelled
    out, True bare, False left out, values escaped) in a tenth of the time: WTForms formats
    each attribute through `Markup.format`, and the filter forms of the idea list and the
    review queue write dozens of them on every request."""
    parts = []
    for key, value in sorted(kwargs.items()):
        key = key.rstrip("_")
        if key.startswith(("data_", "aria_")):
            key = key.replace("_", "-")
        if value is True:
            parts.append(key)
        elif value is not False:
            # WTForms spells out the quotes a Markup value keeps; escape() turns the rest.
            text = str(escape(value)).replace('"', "&quot;")
            parts.append(f'{key}="{text}"')
    return " ".join(parts)


class QuickSelect(Select):
    """WTForms' select widget, the same markup in a fraction of the time: WTForms also
    inspects `render_option`'s signature on every render. Options with their own
    attributes, groups and multiple choice go the WTForms way."""

    def __call__(self, field, **kwargs):
        options = field.iter_choices()
        if self.multiple or field.has_groups() or any(o.render_kw for o in options):
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = vars(field.flags)
        for name in self.validation_attrs:
            if name in flags and name not in kwargs:
                kwargs[name] = flags[name]
        html = [f"<select {html_attributes(name=field.name, **kwargs)}>"]
        for option in options:
            value = str(option.value) if isinstance(option.value, bool) else option.value
            label = escape(option.label or option.value)
            selected = "selected " if option.selected else ""
            html.append(f'<option {selected}value="{escape(value)}">{label}</option>')
        html.append("</select>")
        return Markup("".join(html))


class QuickTextInput(TextInput):
    html_params = staticmethod(html_attributes)


class QuickCheckboxInput(CheckboxInput):
    html_params = staticmethod(html_attributes)


class QuickLabel(Label):
    """WTForms' label, written by `html_attributes`."""

    def __call__(self, text=None, **kwargs):
        if "for_" in kwargs:
            kwargs["for"] = kwargs.pop("for_")
        else:
            kwargs.setdefault("for", self.field_id)
        attributes = html_attributes(**kwargs)
        attributes = f" {attributes}" if attributes else ""
        return Markup(f"<label{attributes}>{escape(text or self.text)}</label>")


class QuickField:
    """A WTForms field whose label and widget write their markup quickly (the same text,
    tests/test_quick_fields.py)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label = QuickLabel(self.label.field_id, self.label.text)


class SelectField(QuickField, wtforms.SelectField):
    widget = QuickSelect()


class StringField(QuickField, wtforms.StringField):
    widget = QuickTextInput()


class BooleanField(QuickField, wtforms.BooleanField):
    widget = QuickCheckboxInput()


def choices(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


@dataclass
class Submission:
    """What became of a submitted form: `done` with the operation's `result`, or the HTTP
    `status` to show the form again with (200 when it was not sent, 400 when it does not
    validate, the refusal's status when the operation said no; `refused` is that refusal)."""

    done: bool
    status: int = 200
    result: object = None
    refused: PortalError | None = None


def attempt(operation: Callable[[], object]) -> tuple[object, PortalError | None]:
    """Run an operation for a page that shows its own refusals: (result, None), or (None, the
    refusal) with its half-done work undone. Raise a refusal the page does not show, and
    the error handler answers it."""
    try:
        return operation(), None
    except PortalError as exc:
        db.session.rollback()
        return None, exc


def submit(form: FlaskForm, operation: Callable[[], object], field: str | None = None):
    """Validate `form` and, when it is valid, `attempt` the operation.

    A refusal's message goes by the form field it names, else by `field`, else above the
    form (flashed). "Not allowed" (403) and "not there" (404) are not about the form: the
    error handler answers them. The caller commits when `done`.
    """
    if not form.validate_on_submit():
        return Submission(False, 400 if form.is_submitted() else 200)
    result, refused = attempt(operation)
    if refused is None:
        return Submission(True, result=result)
    if refused.status_code in (403, 404):
        raise refused
    target = getattr(form, refused.field or field or "", None)
    if target is not None:
        target.errors = [*target.errors, str(refused)]
    else:
        flash(str(refused), "danger")
    return Submission(False, refused.status_code, refused=refused)


class CheckboxesField(wtforms.SelectMultipleField):
    """Several choices as a list of checkboxes: a click adds or removes one choice and
    never drops the others (as a plain multi-select does)."""

    widget = wtforms.widgets.ListWidget(prefix_label=False)
    option_widget = wtforms.widgets.CheckboxInput()
