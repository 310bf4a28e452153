"""Form helpers shared by every feature."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import flash
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from portal.errors import PortalError
from portal.extensions import db


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
