"""The portfolio manager's strategy pages: strategic objectives and their weights (set
directly or by pairwise comparison), and resource pools with their capacities."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.auth.login import roles_required
from portal.extensions import db
from portal.forms import attempt, submit
from portal.models import PERIOD_HELP, ResourcePool, Role, StrategicObjective, is_period
from portal.review.forms import IdsForm
from portal.review.service import ReviewError
from portal.strategy import ahp, bp
from portal.strategy import objectives as objective_service
from portal.strategy.forms import ObjectiveForm, PoolForm, ahp_form, weights_form

PM = Role.PORTFOLIO_MANAGER


# ------------------------------------------------------------------ objectives (PM)


@bp.route("/objectives", methods=["GET", "POST"])
@roles_required(PM)
def objectives():
    active = objective_service.active_objectives()
    form = weights_form(active, request.form if request.method == "POST" else None)
    submitted = submit(
        form,
        lambda: objective_service.set_weights(
            current_user, {o.id: getattr(form, f"weight_{o.id}").data for o in active}, "direct"
        ),
    )
    if submitted.done:
        db.session.commit()
        flash("Weights saved. Every value is now computed with them.", "success")
        return redirect(url_for("strategy.objectives"))
    if submitted.status == 400 and submitted.refused is None:
        flash("Weights are numbers of 0 or more.", "danger")
    total = sum(o.weight for o in active) or 1.0
    return render_template(
        "strategy/objectives.html",
        objectives=objective_service.all_objectives(),
        form=form,
        total=total,
        button_form=IdsForm(),
    ), submitted.status


@bp.route("/objectives/new", methods=["GET", "POST"])
@bp.route("/objectives/<id:objective_id>/edit", methods=["GET", "POST"])
@roles_required(PM)
def objective_form(objective_id: int | None = None):
    objective = db.get_or_404(StrategicObjective, objective_id) if objective_id else None
    form = ObjectiveForm(obj=objective if request.method == "GET" else None)
    submitted = submit(
        form,
        lambda: objective_service.save_objective(
            current_user, objective, form.name.data, form.description.data, form.weight.data
        ),
        field="name",
    )
    if submitted.done:
        db.session.commit()
        flash("Objective saved.", "success")
        return redirect(url_for("strategy.objectives"))
    page = render_template("strategy/objective_form.html", form=form, objective=objective)
    return page, submitted.status


@bp.route("/objectives/<id:objective_id>/retire", methods=["POST"], defaults={"active": False})
@bp.route(
    "/objectives/<id:objective_id>/reinstate",
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
    return redirect(url_for("strategy.objectives"))


@bp.route("/objectives/ahp", methods=["GET", "POST"])
@roles_required(PM)
def objectives_ahp():
    active = objective_service.active_objectives()
    if len(active) < 2:
        flash("Pairwise comparison needs at least two active objectives.", "warning")
        return redirect(url_for("strategy.objectives"))
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
            if form.apply.data:
                result, refused = attempt(
                    lambda: objective_service.apply_ahp(current_user, active, upper)
                )
                if refused is None:
                    db.session.commit()
                    flash(
                        "Weights set from the pairwise comparison "
                        f"(consistency ratio {result.consistency_ratio:.3f}).",
                        "success" if result.consistent else "warning",
                    )
                    return redirect(url_for("strategy.objectives"))
            else:
                result, refused = attempt(lambda: ahp.weights(ahp.from_upper(len(active), upper)))
            if refused is not None:
                flash(str(refused), "danger")
                status = 400
    return render_template(
        "strategy/ahp.html",
        objectives=active,
        form=form,
        result=result,
        limit=ahp.CONSISTENCY_LIMIT,
    ), status


# ------------------------------------------------------------------ resource pools (PM)


@bp.route("/pools")
@roles_required(PM)
def pools():
    return render_template(
        "strategy/pools.html",
        pools=objective_service.all_pools(),
        periods=objective_service.pool_periods(),
    )


@bp.route("/pools/new", methods=["GET", "POST"])
@bp.route("/pools/<id:pool_id>/edit", methods=["GET", "POST"])
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
        refused = ReviewError("Fix the capacity rows marked below.", 400, "capacities")
        if not problems:
            _, refused = attempt(
                lambda: objective_service.save_pool(
                    current_user, pool, form.name.data, form.unit.data, capacities
                )
            )
        if refused is not None:
            if refused.field == "capacities":
                flash(str(refused), "danger")
            else:
                getattr(form, refused.field or "name").errors.append(str(refused))
            status = refused.status_code
        else:
            db.session.commit()
            flash("Resource pool saved.", "success")
            return redirect(url_for("strategy.pools"))
    elif form.is_submitted():
        status = 400
    return render_template("strategy/pool_form.html", form=form, pool=pool), status
