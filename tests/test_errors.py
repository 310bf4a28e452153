"""One refusal type (PortalError), one handler for it, one helper for submitted forms."""

import pytest
import sqlalchemy as sa
from flask import get_flashed_messages
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from portal import workflow
from portal.account.service import TokenError
from portal.admin.service import AdminError
from portal.auth.service import AccountError
from portal.delivery.service import DeliveryError
from portal.errors import PortalError
from portal.extensions import db
from portal.forms import attempt, submit
from portal.ideas.service import IdeaError
from portal.models import Department
from portal.portfolio.problem import SettingsError
from portal.portfolio.service import InvalidSettings, PortfolioError
from portal.reports.periods import PeriodError
from portal.review.estimates import EstimateConflict
from portal.review.service import ReviewError
from portal.strategy.ahp import AhpError
from portal.transfer.backup import BackupError
from portal.transfer.ideas_csv import ImportRefused


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (AdminError, 409),
        (AccountError, 409),
        (DeliveryError, 400),
        (ReviewError, 409),
        (AhpError, 400),
        (TokenError, 409),
        (workflow.TransitionError, 409),
        (workflow.TransitionForbidden, 403),
        (PortfolioError, 409),
        (InvalidSettings, 400),
        (SettingsError, 400),
        (IdeaError, 409),
        (PeriodError, 400),
        (BackupError, 400),
        (EstimateConflict, 409),
        (ImportRefused, 422),
    ],
)
def test_every_refusal_is_a_portal_error_with_its_status(error, status):
    assert issubclass(error, PortalError)
    assert error.status_code == status


def test_a_refusal_carries_message_status_and_field():
    exc = ReviewError("No.", 400, "name")
    assert (str(exc), exc.status_code, exc.field) == ("No.", 400, "name")
    assert ReviewError("No.").status_code == 409
    assert PortfolioError("No.", field="states", status_code=400).field == "states"


@pytest.fixture
def refusing_app(app):
    """Routes that write a department, then refuse."""

    def refuse():
        db.session.add(Department(name="Half-done"))
        db.session.flush()
        raise IdeaError("Votes are closed: the idea is rejected.", 409)

    app.add_url_rule("/refuse", "refuse", refuse, methods=["POST"])
    app.add_url_rule("/api/v1/refuse", "api_refuse", refuse, methods=["POST"])
    return app


def _departments() -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Department.id)).where(Department.name == "Half-done")
    )


def test_an_unhandled_refusal_is_a_page_in_the_sites_look_and_undoes_the_work(refusing_app):
    response = refusing_app.test_client().post("/refuse")
    assert response.status_code == 409
    assert "text/html" in response.content_type
    assert "Votes are closed: the idea is rejected." in response.get_data(as_text=True)
    assert _departments() == 0


def test_an_unhandled_refusal_under_api_is_json(refusing_app):
    response = refusing_app.test_client().post("/api/v1/refuse")
    assert response.status_code == 409
    assert response.get_json() == {
        "error": {"code": "conflict", "message": "Votes are closed: the idea is rejected."}
    }
    assert _departments() == 0


class NameForm(FlaskForm):
    name = StringField(validators=[DataRequired()])
    note = StringField()


def _write_then(exc: PortalError | None):
    def operation():
        db.session.add(Department(name="Half-done"))
        db.session.flush()
        if exc is not None:
            raise exc
        return "saved"

    return operation


def test_submit_shows_an_unsent_form(app):
    with app.test_request_context("/", method="GET"):
        submitted = submit(NameForm(), _write_then(None))
    assert (submitted.done, submitted.status) == (False, 200)
    assert _departments() == 0


def test_submit_refuses_an_invalid_form_without_running_the_operation(app):
    with app.test_request_context("/", method="POST", data={"name": ""}):
        form = NameForm()
        submitted = submit(form, _write_then(None))
        assert form.name.errors
    assert (submitted.done, submitted.status, submitted.refused) == (False, 400, None)
    assert _departments() == 0


def test_submit_runs_the_operation_and_the_caller_commits(app):
    with app.test_request_context("/", method="POST", data={"name": "x"}):
        submitted = submit(NameForm(), _write_then(None))
        db.session.commit()
    assert (submitted.done, submitted.result) == (True, "saved")
    assert _departments() == 1


@pytest.mark.parametrize(
    ("exc", "default_field", "on_field"),
    [
        (IdeaError("Taken.", 409, "note"), "name", "note"),
        (IdeaError("Taken.", 409), "name", "name"),
        (IdeaError("Taken.", 409, "no_such_field"), None, None),
        (IdeaError("Taken.", 409), None, None),
    ],
)
def test_submit_puts_a_refusal_by_its_field_or_above_the_form(app, exc, default_field, on_field):
    with app.test_request_context("/", method="POST", data={"name": "x"}):
        form = NameForm()
        submitted = submit(form, _write_then(exc), field=default_field)
        flashed = get_flashed_messages(with_categories=True)
        if on_field:
            assert getattr(form, on_field).errors == ["Taken."]
            assert flashed == []
        else:
            assert flashed == [("danger", "Taken.")]
    assert (submitted.done, submitted.status, submitted.refused) == (False, 409, exc)
    assert _departments() == 0


@pytest.mark.parametrize("status", [403, 404])
def test_submit_leaves_not_allowed_and_not_there_to_the_handler(app, status):
    with (
        app.test_request_context("/", method="POST", data={"name": "x"}),
        pytest.raises(IdeaError),
    ):
        submit(NameForm(), _write_then(IdeaError("Not yours.", status)))
    assert _departments() == 0


def test_attempt_returns_the_refusal_and_undoes_the_work(app):
    exc = AdminError("No.")
    with app.test_request_context("/"):
        assert attempt(_write_then(exc)) == (None, exc)
        assert _departments() == 0
        assert attempt(_write_then(None)) == ("saved", None)
