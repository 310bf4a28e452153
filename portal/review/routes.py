"""Review pages: thin wrappers that parse, authorize, call the review services, render."""

from datetime import date

import sqlalchemy as sa
from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal import similarity, workflow
from portal.auth.login import roles_required, safe_next_url
from portal.extensions import db
from portal.forms import choices
from portal.models import (
    IMPACT_LABELS,
    PERIOD_HELP,
    Confidence,
    Department,
    Idea,
    IdeaLink,
    IdeaStatus,
    ResourcePool,
    Role,
    StrategicObjective,
    TouchpointKind,
    User,
    is_period,
    utcnow,
)
from portal.review import ahp, bp, service
from portal.review import estimates as estimate_service
from portal.review import objectives as objective_service
from portal.review.forms import (
    AssignForm,
    IdsForm,
    LinkForm,
    MergeForm,
    ObjectiveForm,
    PoolForm,
    QueueForm,
    TouchpointForm,
    ahp_form,
    estimate_form,
    weights_form,
)
from portal.review.service import QueueFilters, ReviewError
from portal.review.valuation import active_weights, strategic_value
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


def _refused(exc: ReviewError, idea: Idea | None = None):
    """Undo the half-done work and say why, with the status the error carries."""
    db.session.rollback()
    if exc.status_code == 403:
        abort(403, description=str(exc))
    flash(str(exc), "danger")
    if idea is not None:
        from portal.ideas.routes import _detail_page

        db.session.refresh(idea)
        return _detail_page(idea), exc.status_code
    abort(exc.status_code, description=str(exc))


# ------------------------------------------------------------------ idea page panel


@bp.app_context_processor
def _panel_helpers():
    return {"review_panel": review_panel}


def review_panel(idea: Idea) -> dict:
    """What the idea page shows from the review side: estimate, links, similar, forms."""
    cache = request.environ.setdefault("converge.review_panels", {})
    if idea.id not in cache:
        cache[idea.id] = _review_panel(idea)
    return cache[idea.id]


def _review_panel(idea: Idea) -> dict:
    reviewer = current_user.is_authenticated and current_user.covers(idea.department_id)
    estimate = estimate_service.current_estimate(idea)
    value = strategic_value(estimate) if estimate else None
    panel = {
        "reviewer": reviewer,
        "estimate": estimate,
        "value": value,
        "links": service.links_of(idea),
        "similar": [],
        "question": None,
    }
    if idea.status == IdeaStatus.NEEDS_INFO:
        panel["question"] = idea.status_reason
    if current_user.is_authenticated and current_user.is_reviewer:
        panel["similar"] = similarity.similar_to_idea(idea, limit=5)
    if reviewer:
        panel.update(
            merge_form=MergeForm(formdata=None),
            link_form=LinkForm(formdata=None),
            button_form=IdsForm(formdata=None),
            estimable=idea.status in workflow.ESTIMABLE,
        )
    return panel


# ------------------------------------------------------------------ queue


def _queue_filters(form: QueueForm) -> QueueFilters:
    department = form.department.data
    return QueueFilters(
        view=form.view.data or "waiting",
        sort=form.sort.data or "oldest",
        department_id=int(department) if department and department.isdigit() else None,
        unassigned=bool(form.unassigned.data),
        mine=bool(form.mine.data),
        overdue=bool(form.overdue.data),
    )


@bp.route("/")
@roles_required(*REVIEWERS)
def queue():
    form = QueueForm(request.args)
    departments = service.visible_departments(current_user)
    form.department.choices = choices(
        [("", "All my departments" if current_user.role == Role.BRM else "All departments")]
        + [(str(d.id), d.name) for d in departments]
    )
    if not form.validate():
        flash("Some filters were not understood and were ignored.", "warning")
    filters = _queue_filters(form)
    overdue_days = current_app.config["REVIEW_OVERDUE_DAYS"]
    try:
        query = service.queue_query(current_user, filters, overdue_days)
    except ReviewError as exc:
        abort(exc.status_code, description=str(exc))
    page = db.paginate(query, per_page=25, error_out=False, max_per_page=100)
    assign_form = None
    if current_user.role == PM:
        assign_form = AssignForm(formdata=None)
        assign_form.assignee.choices = choices(
            (u.id, f"{u.name} ({', '.join(d.name for d in u.covered_departments) or 'all'})")
            for u in service.assignable_brms()
        )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "review/queue.html",
        form=form,
        page=page,
        args=args,
        now=utcnow(),
        overdue_before=service.overdue_before(overdue_days),
        overdue_days=overdue_days,
        assign_form=assign_form,
        button_form=IdsForm(),
        departments=departments,
    )


@bp.route("/assign", methods=["POST"])
@roles_required(PM)
def assign():
    form = AssignForm()
    form.assignee.choices = choices((u.id, u.name) for u in service.assignable_brms())
    next_url = safe_next_url(request.form.get("next")) or url_for("review.queue")
    if not form.validate_on_submit():
        flash("Choose a reviewer from the list to assign to.", "danger")
        return redirect(next_url), 400
    ids = [int(i) for i in request.form.getlist("idea_ids") if i.isdigit()]
    ideas = list(db.session.scalars(sa.select(Idea).where(Idea.id.in_(ids))))
    assignee = db.session.get(User, form.assignee.data)
    try:
        count = service.assign(current_user, ideas, assignee)
    except ReviewError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return render_template(
            "review/refused.html", message=str(exc), back=next_url
        ), exc.status_code
    db.session.commit()
    flash(f"{plural(count, 'idea')} assigned to {assignee.name}.", "success")
    return redirect(next_url)


@bp.route("/ideas/<int:idea_id>/claim", methods=["POST"])
@roles_required(*REVIEWERS)
def claim(idea_id: int):
    idea = _idea(idea_id)
    if not IdsForm().validate_on_submit():
        abort(400)
    try:
        service.claim(current_user, idea)
    except ReviewError as exc:
        return _refused(exc, idea)
    db.session.commit()
    flash(f"{idea.reference} is yours to review.", "success")
    return _back(idea)


@bp.route("/ideas/<int:idea_id>/release", methods=["POST"])
@roles_required(*REVIEWERS)
def release(idea_id: int):
    idea = _idea(idea_id)
    if not IdsForm().validate_on_submit():
        abort(400)
    try:
        service.release(current_user, idea)
    except ReviewError as exc:
        return _refused(exc, idea)
    db.session.commit()
    flash(f"{idea.reference} is back in the queue.", "info")
    return _back(idea)


# ------------------------------------------------------------------ triage


@bp.route("/ideas/<int:idea_id>/merge", methods=["POST"])
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
    try:
        result = service.merge(current_user, idea, survivor, form.note.data or "")
    except ReviewError as exc:
        return _refused(exc, idea)
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


@bp.route("/ideas/<int:idea_id>/links", methods=["POST"])
@roles_required(*REVIEWERS)
def add_link(idea_id: int):
    idea = _idea(idea_id)
    form = LinkForm()
    if not form.validate_on_submit():
        message = "; ".join(e for errors in form.errors.values() for e in errors)
        return _refused(ReviewError(message or "The link was not understood.", 400), idea)
    target = service.find_idea(form.target.data)
    try:
        link = service.add_link(current_user, idea, target, form.kind_value(), form.note.data or "")
    except ReviewError as exc:
        return _refused(exc, idea)
    db.session.commit()
    flash(f"Linked: {idea.reference} {link.kind.label} {link.target.reference}.", "success")
    return _back(idea)


@bp.route("/links/<int:link_id>/delete", methods=["POST"])
@roles_required(*REVIEWERS)
def remove_link(link_id: int):
    link = db.get_or_404(IdeaLink, link_id)
    idea = link.source
    if not IdsForm().validate_on_submit():
        abort(400)
    try:
        service.remove_link(current_user, link)
    except ReviewError as exc:
        return _refused(exc, idea)
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
        text, limit=5, exclude_ids={int(exclude)} if exclude.isdigit() else frozenset()
    )
    return jsonify(
        ideas=[
            {
                "id": s.idea.id,
                "reference": s.idea.reference,
                "title": s.idea.title,
                "department": s.idea.department.name,
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
    )


@bp.route("/ideas/<int:idea_id>/estimate", methods=["GET", "POST"])
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
    status, conflict = 200, None
    if form.validate_on_submit():
        try:
            base = int(form.base_version.data or 0)
        except ValueError:
            base = -1
        try:
            estimate_service.save_estimate(
                current_user,
                idea,
                _estimate_input(form, objectives, pools, periods),
                base,
                mark_estimated=bool(form.mark_estimated.data),
            )
        except estimate_service.EstimateConflict as exc:
            db.session.rollback()
            conflict = exc
            form.base_version.data = str(exc.current.version)
            current = estimate_service.current_estimate(idea)
            status = 409
        except ReviewError as exc:
            db.session.rollback()
            if exc.status_code == 403:
                abort(403, description=str(exc))
            flash(str(exc), "danger")
            status = exc.status_code
        else:
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
        objectives=objectives,
        pools=pools,
        periods=periods,
        weights=weights,
        value=strategic_value(current, weights) if current else None,
        versions=estimate_service.versions(idea),
        strategic_value=strategic_value,
        editable=editable,
        impact_labels=IMPACT_LABELS,
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
    rows = []
    for department in service.visible_departments(current_user):
        overview = service.department_overview(department, per_status=0)
        rows.append(overview)
    return render_template("review/departments.html", overviews=rows)


def _touchpoint_form(department: Department, formdata=None) -> TouchpointForm:
    form = TouchpointForm(formdata=formdata)
    ideas = db.session.execute(
        sa.select(Idea.id, Idea.title)
        .where(Idea.department_id == department.id, Idea.status != IdeaStatus.DRAFT)
        .order_by(Idea.id.desc())
        .limit(300)
    ).all()
    form.ideas.choices = choices((i, f"IDEA-{i} {t}") for i, t in ideas)
    if formdata is None:
        form.held_on.data = date.today()
    return form


@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
@roles_required(*REVIEWERS)
def department(department_id: int):
    department = _department(department_id)
    form = _touchpoint_form(department, request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                service.log_touchpoint(
                    current_user,
                    department,
                    form.held_on.data,
                    TouchpointKind(form.kind.data),
                    form.notes.data or "",
                    list(form.ideas.data or []),
                )
            except ReviewError as exc:
                db.session.rollback()
                if exc.status_code == 403:
                    abort(403, description=str(exc))
                getattr(form, exc.field or "notes").errors.append(str(exc))
                status = exc.status_code
            else:
                db.session.commit()
                flash("Touchpoint logged.", "success")
                return redirect(url_for("review.department", department_id=department.id))
        else:
            status = 400
        if status >= 400:
            flash("The touchpoint was not logged: see the messages in the form.", "danger")
    overview = service.department_overview(department)
    return render_template(
        "review/department.html", o=overview, form=form, can_log=current_user.role == Role.BRM
    ), status


# ------------------------------------------------------------------ objectives (PM)


@bp.route("/objectives", methods=["GET", "POST"])
@roles_required(PM)
def objectives():
    active = objective_service.active_objectives()
    form = weights_form(active, request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                objective_service.set_weights(
                    current_user,
                    {o.id: getattr(form, f"weight_{o.id}").data for o in active},
                    "direct",
                )
            except ReviewError as exc:
                db.session.rollback()
                flash(str(exc), "danger")
                status = exc.status_code
            else:
                db.session.commit()
                flash("Weights saved. Every value is now computed with them.", "success")
                return redirect(url_for("review.objectives"))
        else:
            flash("Weights are numbers of 0 or more.", "danger")
            status = 400
    total = sum(o.weight for o in active) or 1.0
    return render_template(
        "review/objectives.html",
        objectives=objective_service.all_objectives(),
        form=form,
        total=total,
        button_form=IdsForm(),
    ), status


@bp.route("/objectives/new", methods=["GET", "POST"])
@bp.route("/objectives/<int:objective_id>/edit", methods=["GET", "POST"])
@roles_required(PM)
def objective_form(objective_id: int | None = None):
    objective = db.get_or_404(StrategicObjective, objective_id) if objective_id else None
    form = ObjectiveForm(obj=objective if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        try:
            objective_service.save_objective(
                current_user, objective, form.name.data, form.description.data, form.weight.data
            )
        except ReviewError as exc:
            db.session.rollback()
            getattr(form, exc.field or "name").errors.append(str(exc))
            status = exc.status_code
        else:
            db.session.commit()
            flash("Objective saved.", "success")
            return redirect(url_for("review.objectives"))
    elif form.is_submitted():
        status = 400
    return render_template("review/objective_form.html", form=form, objective=objective), status


@bp.route("/objectives/<int:objective_id>/retire", methods=["POST"], defaults={"active": False})
@bp.route(
    "/objectives/<int:objective_id>/reinstate",
    methods=["POST"],
    defaults={"active": True},
    endpoint="objective_reinstate",
)
@roles_required(PM)
def objective_retire(objective_id: int, active: bool):
    objective = db.get_or_404(StrategicObjective, objective_id)
    if not IdsForm().validate_on_submit():
        abort(400)
    objective_service.set_active(current_user, objective, active)
    db.session.commit()
    flash(f"“{objective.name}” {'is active again' if active else 'retired'}.", "info")
    return redirect(url_for("review.objectives"))


@bp.route("/objectives/ahp", methods=["GET", "POST"])
@roles_required(PM)
def objectives_ahp():
    active = objective_service.active_objectives()
    if len(active) < 2:
        flash("Pairwise comparison needs at least two active objectives.", "warning")
        return redirect(url_for("review.objectives"))
    if len(active) > max(ahp.RANDOM_INDEX):
        abort(400, description=f"AHP compares at most {max(ahp.RANDOM_INDEX)} objectives.")
    defaults = objective_service.pairwise_defaults(active)
    form = ahp_form(len(active), defaults, request.form if request.method == "POST" else None)
    result, status = None, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            flash("Choose one judgement from the list for every pair.", "danger")
            status = 400
        else:
            upper = {
                (i, j): float(getattr(form, f"cmp_{i}_{j}").data)
                for i in range(len(active))
                for j in range(i + 1, len(active))
            }
            try:
                if form.apply.data:
                    result = objective_service.apply_ahp(current_user, active, upper)
                    db.session.commit()
                    flash(
                        "Weights set from the pairwise comparison "
                        f"(consistency ratio {result.consistency_ratio:.3f}).",
                        "success" if result.consistent else "warning",
                    )
                    return redirect(url_for("review.objectives"))
                result = ahp.weights(ahp.from_upper(len(active), upper))
            except (ReviewError, ahp.AhpError) as exc:
                db.session.rollback()
                flash(str(exc), "danger")
                status = 400
    return render_template(
        "review/ahp.html", objectives=active, form=form, result=result, limit=ahp.CONSISTENCY_LIMIT
    ), status


# ------------------------------------------------------------------ resource pools (PM)


@bp.route("/pools")
@roles_required(PM)
def pools():
    return render_template(
        "review/pools.html",
        pools=objective_service.all_pools(),
        periods=objective_service.pool_periods(),
    )


@bp.route("/pools/new", methods=["GET", "POST"])
@bp.route("/pools/<int:pool_id>/edit", methods=["GET", "POST"])
@roles_required(PM)
def pool_form(pool_id: int | None = None):
    pool = db.get_or_404(ResourcePool, pool_id) if pool_id else None
    form = PoolForm(formdata=request.form if request.method == "POST" else None)
    if request.method == "GET":
        if pool is not None:
            form.name.data, form.unit.data = pool.name, pool.unit
            rows = [{"period": c.period, "capacity": c.capacity} for c in pool.capacities]
        else:
            rows = [{"period": p, "capacity": None} for p in objective_service.pool_periods()]
        while form.capacities.entries:
            form.capacities.pop_entry()
        for row in rows + [{}] * max(2, 4 - len(rows)):
            form.capacities.append_entry(row)
    status = 200
    if form.validate_on_submit():
        capacities, problems = {}, 0
        for entry in form.capacities.entries:
            period = (entry.period.data or "").strip()
            capacity = entry.capacity.data
            if capacity is None:
                continue  # a period left without a capacity has no limit
            if not period:
                entry.period.errors.append("Say which period this capacity is for.")
            elif not is_period(period):
                entry.period.errors.append(f"A period is {PERIOD_HELP}.")
            elif period in capacities:
                entry.period.errors.append(f"{period} appears twice.")
            else:
                capacities[period] = capacity
                continue
            problems += 1
        try:
            if problems:
                raise ReviewError("Fix the capacity rows marked below.", 400, "capacities")
            objective_service.save_pool(
                current_user, pool, form.name.data, form.unit.data, capacities
            )
        except ReviewError as exc:
            db.session.rollback()
            field = getattr(form, exc.field or "name")
            if exc.field == "capacities":
                flash(str(exc), "danger")
            else:
                field.errors.append(str(exc))
            status = exc.status_code
        else:
            db.session.commit()
            flash("Resource pool saved.", "success")
            return redirect(url_for("review.pools"))
    elif form.is_submitted():
        status = 400
    return render_template("review/pool_form.html", form=form, pool=pool), status
