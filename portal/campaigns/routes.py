"""Campaign pages: list, page, create and edit, state changes, updates, report (+ CSV)."""

import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal import charts
from portal.admin.service import department_choices
from portal.campaigns import bp, rules, service
from portal.campaigns.forms import CampaignForm, UpdateForm
from portal.extensions import db
from portal.forms import attempt, choices, submit
from portal.ideas.forms import EmptyForm
from portal.models import Campaign
from portal.portfolio import outcomes
from portal.spreadsheets import CsvWriter


def _campaign(campaign_id: int) -> Campaign:
    """The campaign, when the signed-in user may see it (404 otherwise, as for ideas)."""
    campaign = db.get_or_404(Campaign, campaign_id)
    if not service.can_see(current_user, campaign):
        abort(404)
    return campaign


def _managed(campaign_id: int) -> Campaign:
    campaign = _campaign(campaign_id)
    if not service.can_manage(current_user, campaign):
        abort(403, description="Only the campaign's sponsor or an admin may do that.")
    return campaign


def _form(campaign: Campaign | None = None) -> CampaignForm:
    form = CampaignForm(obj=campaign if request.method == "GET" else None)
    form.departments.choices = choices(department_choices())
    form.objectives.choices = choices(service.objective_choices())
    if request.method == "GET" and campaign is not None:
        form.departments.data = [d.id for d in campaign.departments]
        form.objectives.data = [o.id for o in campaign.objectives]
        form.fields.data = rules.fields_text(campaign.fields)
    return form


def _input(form: CampaignForm) -> service.CampaignInput:
    return service.CampaignInput(
        title=form.title.data,
        question=form.question.data,
        context=form.context.data or "",
        opens_on=form.opens_on.data,
        closes_on=form.closes_on.data,
        budget_envelope=form.budget_envelope.data,
        department_ids=list(form.departments.data or []),
        objective_ids=list(form.objectives.data or []),
        fields_text=form.fields.data or "",
    )


@bp.app_template_global("campaign_state_words")
def campaign_state_words(campaign: Campaign, state) -> str:
    return service.state_words(campaign, state)


@bp.route("/")
@login_required
def index():
    day = service.today()
    return render_template(
        "campaigns/index.html",
        campaigns=service.visible_campaigns(current_user),
        day=day,
        may_sponsor=service.can_sponsor(current_user),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if not service.can_sponsor(current_user):
        abort(
            403,
            description="Only department leaders, portfolio managers and admins sponsor campaigns.",
        )
    form = _form()
    submitted = submit(
        form, lambda: service.save_campaign(None, _input(form), current_user), field="title"
    )
    if submitted.done:
        db.session.commit()
        flash("Campaign saved as a draft. Publish it when it is ready.", "success")
        return redirect(url_for("campaigns.detail", campaign_id=submitted.result.id))
    return render_template("campaigns/form.html", form=form, campaign=None), submitted.status


@bp.route("/<id:campaign_id>/edit", methods=["GET", "POST"])
@login_required
def edit(campaign_id: int):
    campaign = _managed(campaign_id)
    form = _form(campaign)
    submitted = submit(
        form, lambda: service.save_campaign(campaign, _input(form), current_user), field="title"
    )
    if submitted.done:
        db.session.commit()
        flash("Campaign saved.", "success")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    return render_template("campaigns/form.html", form=form, campaign=campaign), submitted.status


def _page(campaign: Campaign, update_form: UpdateForm | None = None):
    ideas = service.ideas_of(campaign, current_user)
    return render_template(
        "campaigns/detail.html",
        c=campaign,
        state=campaign.state_on(service.today()),
        ideas=ideas,
        answers={idea.id: service.answer_rows(campaign, idea) for idea in ideas},
        outcomes=outcomes.latest_of(ideas),
        actions=service.available_actions(current_user, campaign),
        may_manage=service.can_manage(current_user, campaign),
        may_report=service.can_report(current_user, campaign),
        may_submit=campaign in service.open_for(current_user),
        update_form=update_form or UpdateForm(formdata=None),
        button_form=EmptyForm(),
    )


@bp.route("/<id:campaign_id>")
@login_required
def detail(campaign_id: int):
    return _page(_campaign(campaign_id))


@bp.route("/<id:campaign_id>/state/<action>", methods=["POST"])
@login_required
def change_state(campaign_id: int, action: str):
    campaign = _managed(campaign_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    state, refused = attempt(lambda: service.change_state(campaign, action, current_user))
    if refused is not None:
        flash(str(refused), "danger")
        return _page(campaign), refused.status_code
    db.session.commit()
    words = service.state_words(campaign, state)
    flash(f"The campaign is now {words[0].lower()}{words[1:]}.", "success")
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id))


@bp.route("/<id:campaign_id>/updates", methods=["POST"])
@login_required
def post_update(campaign_id: int):
    campaign = _managed(campaign_id)
    form = UpdateForm()
    submitted = submit(form, lambda: service.post_update(campaign, form.body.data, current_user))
    if not submitted.done:
        return _page(campaign, form), submitted.status
    db.session.commit()
    flash("Update posted.", "success")
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id, _anchor="updates"))


def _reported(campaign_id: int) -> Campaign:
    campaign = _campaign(campaign_id)
    if not service.can_report(current_user, campaign):
        abort(403, description="Reviewers, admins and the sponsor read campaign reports.")
    return campaign


def _charts(result: service.CampaignReport) -> list:
    """Participation by department, and what became of each department's ideas."""
    if not result.rows:
        return []
    labels = [r.department for r in result.rows]
    participation = charts.bar_chart(
        labels,
        {
            "People": [r.people for r in result.rows],
            "Ideas": [r.ideas for r in result.rows],
            "Votes": [r.votes for r in result.rows],
            "Comments": [r.comments for r in result.rows],
        },
        title="Participation by department",
        horizontal=True,
    )
    if not result.total.ideas:
        return [charts.as_svg_markup(participation)]
    answered = [r for r in result.rows if r.ideas]  # departments that sent ideas
    outcomes_chart = charts.bar_chart(
        [r.department for r in answered],
        {
            "Selected": [r.selected for r in answered],
            "Decided, not selected": [r.decided - r.selected for r in answered],
            "Not decided yet": [r.ideas - r.decided for r in answered],
        },
        title="What became of the ideas, by department",
        stacked=True,
        horizontal=True,
    )
    return [charts.as_svg_markup(participation), charts.as_svg_markup(outcomes_chart)]


@bp.route("/<id:campaign_id>/report")
@login_required
def report(campaign_id: int):
    campaign = _reported(campaign_id)
    result = service.report(campaign)
    return render_template(
        "campaigns/report.html",
        c=campaign,
        r=result,
        t=result.total,
        columns=service.REPORT_COLUMNS,
        charts=_charts(result),
    )


@bp.route("/<id:campaign_id>/report.csv")
@login_required
def report_csv(campaign_id: int):
    campaign = _reported(campaign_id)
    result = service.report(campaign)
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow([header for header, _ in service.REPORT_COLUMNS])
    writer.writerows(
        ["" if (v := getattr(r, name)) is None else v for _, name in service.REPORT_COLUMNS]
        for r in [*result.rows, result.total]
    )
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=campaign-{campaign.id}.csv"},
    )
