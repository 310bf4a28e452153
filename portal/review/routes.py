"""Review pages: thin wrappers that parse, authorize, call the review services, render."""

from datetime import date

import sqlalchemy as sa
from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from jinja2 import pass_context

from portal import similarity, workflow
from portal.auth.login import roles_required, safe_next_url
from portal.errors import PortalError
from portal.extensions import db
from portal.forms import (
    IGNORED_FILTERS,
    attempt,
    blank_form,
    choices,
    query_int,
    read_filters,
    submit,
    whole_number,
)
from portal.ideas.service import IdeaOnPage
from portal.links import row_url
from portal.models import (
    IMPACT_LABELS,
    Confidence,
    Department,
    Idea,
    IdeaLink,
    IdeaStatus,
    Role,
    Touchpoint,
    TouchpointKind,
    User,
    utcnow,
)
from portal.review import bp, rules, service
from portal.review import estimates as estimate_service
from portal.review.forms import (
    AssignForm,
    IdsForm,
    LinkForm,
    MergeForm,
    QueueForm,
    TouchpointForm,
    estimate_form,
)
from portal.review.service import QueueFilters, ReviewError
from portal.review.valuation import (
    active_weights,
    estimate_lifecycle,
    hinders_later,
    reference_rate,
    strategic_value,
)
from portal.review.waiting import days_waited
from portal.strategy import objectives as objective_service
from portal.templating import plural

REVIEWERS = (Role.BRM, Role.PORTFOLIO_MANAGER)
PM = Role.PORTFOLIO_MANAGER


def _idea(idea_id: int) -> Idea:
    idea = db.get_or_404(Idea, idea_id)
    if idea.status == IdeaStatus.DRAFT:
        abort(404)
    return idea


def _back(idea: Idea):
    target = safe_next_url(request.form.get("next")) or url_for("ideas.detail", idea_id=idea.id)
    return redirect(target)


def _refused(exc: PortalError, idea: Idea):
    """Say on the idea's page why the operation was refused, with the refusal's status."""
    if exc.status_code == 403:
        raise exc
    flash(str(exc), "danger")
    from portal.ideas.routes import _detail_page

    db.session.refresh(idea)
    return _detail_page(idea), exc.status_code


# ------------------------------------------------------------------ idea page panel


@bp.app_context_processor
def _panel_helpers():
    return {"review_panel": review_panel}


@pass_context
def review_panel(context, idea: Idea) -> dict:
    """What the idea page shows from the review side: estimate, links, similar, forms (read
    once per request however many parts of the page ask)."""
    cache = request.environ.setdefault("converge.review_panels", {})
    if idea.id not in cache:
        facts = context.get("facts")  # the page's IdeaOnPage, when it was read with them
        cache[idea.id] = _review_panel(idea, facts if facts and facts.idea is idea else None)
    return cache[idea.id]


def _review_panel(idea: Idea, facts: IdeaOnPage | None = None) -> dict:
    """The panel of `idea`; `facts` (an IdeaOnPage) spare the queries for an estimate or
    links it does not have."""
    reviewer = current_user.is_authenticated and current_user.covers(idea.department_id)
    estimated = facts is None or facts.estimated
    estimate = estimate_service.current_estimate(idea, efforts=False) if estimated else None
    panel = {
        "lifecycle": None,
        "hinders": [],
        "rate": (0.0, None),
        "objective_names": {},
        "reviewer": reviewer,
        "estimate": estimate,
        "value": None,
        "links": service.links_of(idea) if facts is None or facts.linked else [],
        "similar": [],
        "question": None,
    }
    if estimate:
        weights, rate = active_weights(), reference_rate()  # read once for the panel
        names = {i.objective_id: i.objective.name for i in estimate.impacts}
        panel.update(
            value=strategic_value(estimate, weights),
            lifecycle=estimate_lifecycle(estimate, weights, rate=rate[0]),
            hinders=hinders_later(estimate, names),
            rate=rate,
            objective_names=names,
        )
    if idea.status == IdeaStatus.NEEDS_INFO:
        panel["question"] = idea.status_reason
    if current_user.is_authenticated and current_user.is_reviewer:
        panel["similar"] = similarity.similar_to_idea(idea, limit=5)
    if reviewer:
        panel.update(
            merge_form=blank_form(MergeForm),
            link_form=blank_form(LinkForm),
            estimable=idea.status in workflow.ESTIMABLE,
        )
    return panel


# ------------------------------------------------------------------ queue


def _queue_filters(form: QueueForm, bad: set[str]) -> QueueFilters:
    """The queue's filters from `form`, without the `bad` ones (`read_filters`)."""
    data = {name: None if name in bad else field.data for name, field in form._fields.items()}
    return QueueFilters(
        view=data["view"] or "waiting",
        sort=data["sort"] or "oldest",
        department_id=whole_number(data["department"]),
        campaign_id=whole_number(data["campaign"]),
        unassigned=bool(data["unassigned"]),
        mine=bool(data["mine"]),
        overdue=bool(data["overdue"]),
        endorsed=bool(data["endorsed"]),
    )


@bp.route("/")
@roles_required(*REVIEWERS)
def queue():
    form = QueueForm(request.args)
    lists = service.queue_choices(current_user)
    departments = lists.departments
    form.department.choices = choices(
        [("", "All my departments" if current_user.role == Role.BRM else "All departments")]
        + [(str(d.id), d.name) for d in departments]
    )
    form.campaign.choices = choices(
        [("", "Any campaign")] + [(str(c.id), c.name) for c in lists.campaigns]
    )
    bad = read_filters(form)
    if bad:
        flash(IGNORED_FILTERS, "warning")
    filters = _queue_filters(form, bad)
    overdue_days = current_app.config["REVIEW_OVERDUE_DAYS"]
    page = service.queue_page(
        current_user, filters, overdue_days, departments, query_int("page", 1), per_page=25
    )
    assign_form = None
    if current_user.role == PM:
        assign_form = AssignForm(formdata=None)
        assign_form.assignee.choices = choices(
            (user_id, f"{name} ({', '.join(covered) or 'all'})")
            for user_id, name, covered in lists.assignees
        )
    return render_template(
        "review/queue.html",
        form=form,
        page=page,
        now=utcnow(),
        days_waited=days_waited,
        overdue_before=service.overdue_before(overdue_days),
        overdue_days=overdue_days,
        assign_form=assign_form,
        departments=departments,
        urls={
            "idea": row_url("ideas.detail", "idea_id"),
            "claim": row_url("review.claim", "idea_id"),
            "release": row_url("review.release", "idea_id"),
        },
    )


@bp.route("/assign", methods=["POST"])
@roles_required(PM)
def assign():
    form = AssignForm()
    form.assignee.choices = choices((user_id, name) for user_id, name, _ in service.assignees())
    next_url = safe_next_url(request.form.get("next")) or url_for("review.queue")
    if not form.validate_on_submit():
        flash("Choose a reviewer from the list to assign to.", "danger")
        return redirect(next_url), 400
    ids = [i for i in map(whole_number, request.form.getlist("idea_ids")) if i is not None]
    ideas = list(db.session.scalars(sa.select(Idea).where(Idea.id.in_(ids))))
    assignee = db.session.get(User, form.assignee.data)
    count, refused = attempt(lambda: service.assign(current_user, ideas, assignee))
    if refused is not None:
        flash(str(refused), "danger")
        page = render_template("review/refused.html", message=str(refused), back=next_url)
        return page, refused.status_code
    db.session.commit()
    flash(f"{plural(count, 'idea')} assigned to {assignee.name}.", "success")
    return redirect(next_url)


@bp.route("/ideas/<id:idea_id>/claim", methods=["POST"])
@roles_required(*REVIEWERS)
def claim(idea_id: int):
    idea = _idea(idea_id)
    if not IdsForm().validate_on_submit():
        abort(400)
    _, refused = attempt(lambda: service.claim(current_user, idea))
    if refused is not None:
        return _refused(refused, idea)
    db.session.commit()
    flash(f"{idea.reference} is yours to review.", "success")
    return _back(idea)


@bp.route("/ideas/<id:idea_id>/release", methods=["POST"])
@roles_required(*REVIEWERS)
def release(idea_id: int):
    idea = _idea(idea_id)
    if not IdsForm().validate_on_submit():
        abort(400)
    _, refused = attempt(lambda: service.release(current_user, idea))
    if refused is not None:
        return _refused(refused, idea)
    db.session.commit()
    flash(f"{idea.reference} is back in the queue.", "info")
    return _back(idea)


# ------------------------------------------------------------------ triage


@bp.route("/ideas/<id:idea_id>/merge", methods=["POST"])
@roles_required(*REVIEWERS)
def merge(idea_id: int):
    idea = _idea(idea_id)
    form = MergeForm()
    if not form.validate_on_submit():
        message = "; ".join(e for errors in form.errors.values() for e in errors)
        return _refused(ReviewError(message or "Say which idea it duplicates.", 400), idea)
    survivor = service.find_idea(form.target.data)
    if survivor is None or survivor.status == IdeaStatus.DRAFT:
        return _refused(ReviewError(f"There is no idea “{form.target.data}”.", 400), idea)
    result, refused = attempt(
        lambda: service.merge(current_user, idea, survivor, form.note.data or "")
    )
    if refused is not None:
        return _refused(refused, idea)
    db.session.commit()
    flash(
        f"Merged into {survivor.reference}: {plural(result.votes_moved, 'vote')} moved "
        f"({plural(result.votes_merged, 'voter')} had voted for both), "
        f"{plural(result.comments_moved, 'comment')} and "
        f"{plural(result.followers_moved, 'follower')} moved; "
        f"{plural(len(result.told), 'person', 'people')} told.",
        "success",
    )
    return redirect(url_for("ideas.detail", idea_id=survivor.id))


@bp.route("/ideas/<id:idea_id>/links", methods=["POST"])
@roles_required(*REVIEWERS)
def add_link(idea_id: int):
    idea = _idea(idea_id)
    form = LinkForm()
    if not form.validate_on_submit():
        message = "; ".join(e for errors in form.errors.values() for e in errors)
        return _refused(ReviewError(message or "The link was not understood.", 400), idea)
    target = service.find_idea(form.target.data)
    kind, note = form.kind_value(), form.note.data or ""
    link, refused = attempt(lambda: service.add_link(current_user, idea, target, kind, note))
    if refused is not None:
        return _refused(refused, idea)
    db.session.commit()
    reads = service.READING[link.kind]
    flash(f"Linked: {idea.reference} {reads} {link.target.reference}.", "success")
    return _back(idea)


@bp.route("/links/<id:link_id>/delete", methods=["POST"])
@roles_required(*REVIEWERS)
def remove_link(link_id: int):
    link = db.get_or_404(IdeaLink, link_id)
    idea = link.source
    if not IdsForm().validate_on_submit():
        abort(400)
    _, refused = attempt(lambda: service.remove_link(current_user, link))
    if refused is not None:
        return _refused(refused, idea)
    db.session.commit()
    flash("Link removed.", "info")
    return _back(idea)


# ------------------------------------------------------------------ similar ideas


@bp.route("/similar")
@login_required
def similar():
    """JSON: the ideas most like the text being written (for the idea form)."""
    text = request.args.get("text", "")
    if len(text) > 20000:
        return jsonify(error={"code": 400, "message": "The text is too long."}), 400
    exclude = request.args.get("exclude", "")
    found = similarity.similar_to_text(
        text,
        limit=5,
        exclude_ids={whole_number(exclude)} - {None},
        campaign_id=whole_number(request.args.get("campaign", "")),
    )
    return jsonify(
        ideas=[
            {
                "id": s.idea.id,
                "reference": s.idea.reference,
                "title": s.idea.title,
                "department": s.idea.department_name,
                "status": s.idea.status.label,
                "score": round(s.score, 3),
                "url": url_for("ideas.detail", idea_id=s.idea.id),
            }
            for s in found
        ]
    )


# ------------------------------------------------------------------ estimates


def _periods(estimate) -> list[str]:
    periods = set(objective_service.pool_periods())
    if estimate is not None:
        periods |= {c.period for c in estimate.costs} | {e.period for e in estimate.efforts}
    if not periods:
        year = date.today().year
        periods = {str(year + k) for k in range(3)}
    return sorted(periods)


def _form_from_estimate(form, estimate) -> None:
    if estimate is None:
        return
    form.base_version.data = str(estimate.version)
    for name in ("value_low", "value_likely", "value_high", "risk", "notes"):
        getattr(form, name).data = getattr(estimate, name)
    form.confidence.data = estimate.confidence.value
    for impact in estimate.impacts:
        field = getattr(form, f"impact_{impact.objective_id}", None)
        if field is not None:
            field.data = impact.impact
    form.value_profile.data = rules.format_profile(estimate.value_profile or {})
    form.run_cost_per_year.data = estimate.run_cost_per_year or None
    form.lifetime_years.data = estimate.lifetime_years or None
    for cost in estimate.costs:
        getattr(form, f"capex_{cost.period}").data = cost.capex
        getattr(form, f"opex_{cost.period}").data = cost.opex
    for effort in estimate.efforts:
        field = getattr(form, f"effort_{effort.pool_id}_{effort.period}", None)
        if field is not None:
            field.data = effort.amount


def _estimate_input(form, objectives, pools, periods) -> estimate_service.EstimateInput:
    return estimate_service.EstimateInput(
        impacts={o.id: getattr(form, f"impact_{o.id}").data or 0 for o in objectives},
        value_low=form.value_low.data,
        value_likely=form.value_likely.data,
        value_high=form.value_high.data,
        risk=form.risk.data,
        confidence=Confidence(form.confidence.data),
        notes=form.notes.data or "",
        costs={
            p: (getattr(form, f"capex_{p}").data or 0.0, getattr(form, f"opex_{p}").data or 0.0)
            for p in periods
        },
        efforts={
            (pool.id, p): getattr(form, f"effort_{pool.id}_{p}").data or 0.0
            for pool in pools
            for p in periods
        },
        value_profile=getattr(form.value_profile, "parsed", {}),
        run_cost_per_year=form.run_cost_per_year.data or 0.0,
        lifetime_years=form.lifetime_years.data or 0,
    )


@bp.route("/ideas/<id:idea_id>/estimate", methods=["GET", "POST"])
@roles_required(*REVIEWERS)
def estimate(idea_id: int):
    idea = _idea(idea_id)
    current = estimate_service.current_estimate(idea)
    objectives = objective_service.active_objectives()
    pools = objective_service.all_pools()
    periods = _periods(current)
    editable = current_user.covers(idea.department_id)
    if request.method == "POST" and not editable:
        abort(403, description="Only a reviewer covering the idea's department may estimate it.")
    form = estimate_form(
        objectives, pools, periods, formdata=None if request.method == "GET" else request.form
    )
    if request.method == "GET":
        _form_from_estimate(form, current)
        form.mark_estimated.data = idea.status == IdeaStatus.IN_REVIEW
    status, conflict, refusal = 200, None, None
    if form.validate_on_submit():
        base = whole_number(form.base_version.data or 0, low=0)
        base = -1 if base is None else base
        _, refused = attempt(
            lambda: estimate_service.save_estimate(
                current_user,
                idea,
                _estimate_input(form, objectives, pools, periods),
                base,
                mark_estimated=bool(form.mark_estimated.data),
            )
        )
        if isinstance(refused, estimate_service.EstimateConflict):
            conflict = refused
            form.base_version.data = str(refused.current.version)
            current = estimate_service.current_estimate(idea)
            status = 409
        elif refused is not None:
            if refused.status_code == 403:
                raise refused
            refusal, status = str(refused), refused.status_code  # shown on the form
        else:
            db.session.commit()
            flash(f"Estimate saved for {idea.reference}.", "success")
            return redirect(url_for("ideas.detail", idea_id=idea.id))
    elif form.is_submitted():
        flash("The estimate was not saved: see the messages by the fields.", "danger")
        status = 400
    weights = active_weights()
    return render_template(
        "review/estimate.html",
        idea=idea,
        form=form,
        current=current,
        conflict=conflict,
        refusal=refusal,
        objectives=objectives,
        pools=pools,
        periods=periods,
        weights=weights,
        value=strategic_value(current, weights) if current else None,
        versions=estimate_service.versions(idea),
        strategic_value=strategic_value,
        editable=editable,
        impact_labels=IMPACT_LABELS,
        lifecycle=estimate_lifecycle(current, weights) if current else None,
        rate=reference_rate(),
    ), status


# ------------------------------------------------------------------ departments


def _department(department_id: int) -> Department:
    department = db.get_or_404(Department, department_id)
    if not current_user.covers(department.id):
        abort(403, description="You do not cover this department.")
    return department


@bp.route("/departments")
@roles_required(*REVIEWERS)
def departments():
    summaries = service.department_summaries(service.visible_departments(current_user))
    return render_template("review/departments.html", overviews=summaries)


def _touchpoint_form(
    department: Department, formdata=None, touchpoint: Touchpoint | None = None
) -> TouchpointForm:
    """The touchpoint form: blank to log one (dated today), or filled from `touchpoint`."""
    form = TouchpointForm(formdata=formdata, obj=touchpoint if formdata is None else None)
    ideas = db.session.execute(
        sa.select(Idea.id, Idea.title)
        .where(Idea.department_id == department.id, Idea.status != IdeaStatus.DRAFT)
        .order_by(Idea.id.desc())
        .limit(300)
    ).all()
    if touchpoint is not None:  # the ideas it names stay choices, however old
        ideas += [(i.id, i.title) for i in touchpoint.ideas if i.id not in {r[0] for r in ideas}]
    form.ideas.choices = choices((i, f"IDEA-{i} {t}") for i, t in ideas)
    if formdata is None:
        if touchpoint is None:
            form.held_on.data = date.today()
        else:
            form.kind.data = touchpoint.kind.value
            form.ideas.data = [i.id for i in touchpoint.ideas]
    return form


@bp.route("/departments/<id:department_id>", methods=["GET", "POST"])
@roles_required(*REVIEWERS)
def department(department_id: int):
    department = _department(department_id)
    form = _touchpoint_form(department, request.form if request.method == "POST" else None)
    submitted = submit(
        form,
        lambda: service.log_touchpoint(current_user, department, *_touchpoint_input(form)),
        field="notes",
    )
    if submitted.done:
        db.session.commit()
        flash("Touchpoint logged.", "success")
        return redirect(url_for("review.department", department_id=department.id))
    if submitted.status >= 400:
        flash("The touchpoint was not logged: see the messages in the form.", "danger")
    overview = service.department_overview(department)
    return render_template(
        "review/department.html",
        o=overview,
        form=form,
        can_log=current_user.role == Role.BRM,
        changeable={
            t.id for t in overview.touchpoints if service.may_change_touchpoint(current_user, t)
        },
    ), submitted.status


def _touchpoint_input(form) -> tuple:
    """What a touchpoint form says: when, what kind, the notes and the ideas discussed."""
    return (
        form.held_on.data,
        TouchpointKind(form.kind.data),
        form.notes.data or "",
        list(form.ideas.data or []),
    )


def _own_touchpoint(touchpoint_id: int) -> Touchpoint:
    """The touchpoint, when the signed-in BRM logged it (403 otherwise)."""
    touchpoint = db.get_or_404(Touchpoint, touchpoint_id)
    if not service.may_change_touchpoint(current_user, touchpoint):
        abort(403, description="Only the BRM who logged a touchpoint may change or delete it.")
    return touchpoint


@bp.route("/touchpoints/<id:touchpoint_id>", methods=["GET", "POST"])
@roles_required(Role.BRM)
def edit_touchpoint(touchpoint_id: int):
    touchpoint = _own_touchpoint(touchpoint_id)
    department = touchpoint.department
    form = _touchpoint_form(
        department, request.form if request.method == "POST" else None, touchpoint
    )
    submitted = submit(
        form,
        lambda: service.edit_touchpoint(current_user, touchpoint, *_touchpoint_input(form)),
        field="notes",
    )
    if submitted.done:
        db.session.commit()
        flash("Touchpoint saved.", "success")
        anchor = f"touchpoint-{touchpoint.id}"
        return redirect(url_for("review.department", department_id=department.id, _anchor=anchor))
    if submitted.status >= 400:
        flash("The touchpoint was not saved: see the messages in the form.", "danger")
    return render_template("review/touchpoint.html", t=touchpoint, form=form), submitted.status


@bp.route("/touchpoints/<id:touchpoint_id>/delete", methods=["POST"])
@roles_required(Role.BRM)
def delete_touchpoint(touchpoint_id: int):
    touchpoint = _own_touchpoint(touchpoint_id)
    if not IdsForm().validate_on_submit():
        abort(400)
    department_id = touchpoint.department_id
    service.delete_touchpoint(current_user, touchpoint)  # a refusal: the error handler
    db.session.commit()
    flash("Touchpoint deleted.", "info")
    return redirect(url_for("review.department", department_id=department_id))
