"""Delivery pages: the board of ideas in delivery and one idea's delivery record."""

from datetime import date

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from portal import workflow
from portal.auth.login import roles_required
from portal.delivery import bp, service
from portal.delivery.forms import ActualCostForm, RealizedValueForm
from portal.extensions import db
from portal.forms import attempt, submit
from portal.models import Idea, Role

recorders = roles_required(Role.BRM, Role.PORTFOLIO_MANAGER)


def _idea(idea_id: int) -> Idea:
    idea = db.get_or_404(Idea, idea_id)
    if not service.can_record(current_user, idea):
        abort(
            403,
            description="Only a portfolio manager or a BRM covering the department "
            "records delivery for this idea.",
        )
    return idea


def _page(idea: Idea, cost_form=None, value_form=None, status: int = 200):
    if value_form is None:
        value_form = RealizedValueForm(formdata=None)
        value_form.as_of.data = date.today()
    return (
        render_template(
            "delivery/idea.html",
            idea=idea,
            summary=service.summary(idea),
            steps=[
                t
                for t in workflow.available(idea, current_user)
                if t.name in service.DELIVERY_TRANSITIONS
            ],
            cost_form=cost_form or ActualCostForm(formdata=None),
            value_form=value_form,
            can_record=idea.status in workflow.DELIVERY_STARTED,
        ),
        status,
    )


@bp.route("/")
@recorders
def index():
    return render_template("delivery/board.html", lanes=service.board(current_user))


@bp.route("/ideas/<id:idea_id>")
@recorders
def idea(idea_id: int):
    return _page(_idea(idea_id))


@bp.route("/ideas/<id:idea_id>/step/<name>", methods=["POST"])
@recorders
def step(idea_id: int, name: str):
    idea = _idea(idea_id)
    _, refused = attempt(lambda: service.change_status(current_user, idea, name))
    if refused is not None:
        if refused.status_code in (403, 404):
            raise refused
        flash(str(refused), "danger")
        return _page(idea, status=refused.status_code)
    db.session.commit()
    flash(f"{idea.reference} is now {idea.status.label.lower()}.", "success")
    return redirect(url_for("delivery.idea", idea_id=idea.id))


@bp.route("/ideas/<id:idea_id>/costs", methods=["POST"])
@recorders
def record_cost(idea_id: int):
    idea = _idea(idea_id)
    form = ActualCostForm()
    submitted = submit(
        form,
        lambda: service.record_actual_cost(
            current_user, idea, form.period.data, form.capex.data, form.opex.data
        ),
    )
    if not submitted.done:
        if submitted.refused is None:
            flash("The actual cost was not recorded: see the messages in the form.", "danger")
        return _page(idea, cost_form=form, status=submitted.status)
    db.session.commit()
    flash(f"Actual cost for {submitted.result.period} recorded.", "success")
    return redirect(url_for("delivery.idea", idea_id=idea.id))


@bp.route("/ideas/<id:idea_id>/value", methods=["POST"])
@recorders
def record_value(idea_id: int):
    idea = _idea(idea_id)
    form = RealizedValueForm()
    submitted = submit(
        form,
        lambda: service.record_realized_value(
            current_user, idea, form.value.data, form.as_of.data, form.note.data or ""
        ),
    )
    if not submitted.done:
        if submitted.refused is None:
            flash("The realized value was not recorded: see the messages in the form.", "danger")
        return _page(idea, value_form=form, status=submitted.status)
    db.session.commit()
    flash("Realized value recorded.", "success")
    return redirect(url_for("delivery.idea", idea_id=idea.id))


@bp.app_template_global("delivery_panel")
def delivery_panel(idea: Idea):
    """For the idea page's sidebar: the delivery summary when there is one to show."""
    if idea.status not in workflow.COMMITTED:
        return None
    return {
        "summary": service.summary(idea, records=False),
        "can_record": current_user.is_authenticated and service.can_record(current_user, idea),
    }
