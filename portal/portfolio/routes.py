"""Portfolio pages: scenarios, runs, comparison, adoption, exports and the current plan."""

import json

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal import charts
from portal.auth.login import roles_required
from portal.errors import PortalError
from portal.extensions import db
from portal.forms import submit, whole_number
from portal.links import row_url
from portal.models import Role, Run, RunStatus, Scenario, User
from portal.portfolio import bp, exports, report, run_charts, runs, service
from portal.portfolio import problem as bridge
from portal.portfolio.forms import ScenarioForm, form_data
from portal.portfolio.problem import SettingsError, write_mps
from portal.portfolio.runs import QueueError
from portal.templating import plural

PM = Role.PORTFOLIO_MANAGER
READERS = (Role.PORTFOLIO_MANAGER, Role.BRM)
READ_WITH_RUN = ((Run.scenario, Scenario.name), (Run.created_by, User.name))


def _form(scenario: Scenario | None = None, data: dict | None = None) -> ScenarioForm:
    options = service.form_options()
    if request.method == "POST":
        return ScenarioForm(options=options)
    if scenario is not None:
        data = form_data(scenario, options)
    return ScenarioForm(options=options, data=data or service.new_scenario_data(options))


def _save(form: ScenarioForm, scenario: Scenario | None):
    """Validate and save; returns (scenario or None, HTTP status for the form)."""
    submitted = submit(
        form, lambda: service.save_scenario(scenario, form.settings(), current_user), field="name"
    )
    if submitted.done:
        db.session.commit()
    return submitted.result, submitted.status


@bp.route("/")
@roles_required(*READERS)
def index():
    return render_template(
        "portfolio/index.html",
        scenarios=service.scenarios(),
        runs=service.recent_runs(),
        plan=service.current_plan(),
    )


@bp.route("/scenarios/new", methods=["GET", "POST"])
@roles_required(PM)
def new_scenario():
    form = _form()
    scenario, status = _save(form, None)
    if scenario is not None:
        flash("Scenario saved. Run it when you are ready.", "success")
        return redirect(url_for("portfolio.scenario", scenario_id=scenario.id))
    return _scenario_form(form, None), status


@bp.route("/scenarios/<id:scenario_id>")
@roles_required(*READERS)
def scenario(scenario_id: int):
    scenario = db.get_or_404(Scenario, scenario_id)
    return render_template(
        "portfolio/scenario.html",
        scenario=scenario,
        settings=service.describe_settings(scenario),
        problems=[],
    )


@bp.route("/scenarios/<id:scenario_id>/edit", methods=["GET", "POST"])
@roles_required(PM)
def edit_scenario(scenario_id: int):
    scenario = db.get_or_404(Scenario, scenario_id)
    form = _form(scenario)
    saved, status = _save(form, scenario)
    if saved is not None:
        flash("Scenario saved.", "success")
        return redirect(url_for("portfolio.scenario", scenario_id=scenario.id))
    return _scenario_form(form, scenario), status


def _scenario_form(form: ScenarioForm, scenario: Scenario | None) -> str:
    """The scenario form, with what the current plan commits per period: the difference
    between a total and a remaining budget, in figures."""
    return render_template(
        "portfolio/scenario_form.html",
        form=form,
        scenario=scenario,
        plan_costs=bridge.plan_costs(),
    )


@bp.route("/scenarios/<id:scenario_id>/clone", methods=["POST"])
@roles_required(PM)
def clone_scenario(scenario_id: int):
    scenario = db.get_or_404(Scenario, scenario_id)
    copy = service.clone_scenario(scenario, current_user)
    db.session.commit()
    flash(f"Copied “{scenario.name}”. Change what you want to try, save and run.", "success")
    return redirect(url_for("portfolio.edit_scenario", scenario_id=copy.id))


@bp.route("/scenarios/<id:scenario_id>/run", methods=["POST"])
@roles_required(PM)
def run_scenario(scenario_id: int):
    scenario = db.get_or_404(Scenario, scenario_id)
    try:
        run = service.start_run(scenario, current_user)
    except SettingsError as exc:
        return render_template(
            "portfolio/scenario.html",
            scenario=scenario,
            settings=service.describe_settings(scenario),
            problems=exc.problems,
            anchors=service.SETTING_ANCHORS,
        ), exc.status_code
    except QueueError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("portfolio.scenario", scenario_id=scenario.id)), 303
    return redirect(url_for("portfolio.run", run_id=run.id))


def _idea_urls() -> str:
    """The link to an idea, for the run page's tables of up to SHOWN_ROWS ideas each."""
    return row_url("ideas.detail", "idea_id")


def _run(run_id: int) -> Run:
    return db.get_or_404(Run, run_id)


@bp.route("/runs/<id:run_id>")
@roles_required(*READERS)
def run(run_id: int):
    # The page of a finished run reads its problem, result, charts and the names of its
    # scenario and its creator: one query, not six.
    # The kept charts come as their JSON text: their markup is kept per text
    # (`run_charts.page_charts`), so they are not decoded on every view.
    columns = [sa_orm.undefer(c) for c in (Run.problem, Run.result)]
    names = [sa_orm.joinedload(r).load_only(n) for r, n in READ_WITH_RUN]
    query = sa.select(Run, sa.cast(Run.charts, sa.Text)).where(Run.id == run_id)
    found = db.session.execute(query.options(*columns, *names)).first()
    if found is None:
        abort(404)
    run, kept_charts = found
    state = service.run_state(run)
    done = run.status == RunStatus.DONE
    data = report.run_report(run, merged=state["explained"]["merged"]) if done else None
    if data and state["analysis_error"]:
        data["analysis"] = {"state": "failed", "error": state["analysis_error"]}
    svgs = {}
    if data and data.get("solved"):
        svgs = run_charts.page_charts(run, state["analysis"], kept_text=kept_charts or "")
    return render_template(
        "portfolio/run.html", run=run, state=state, report=data, charts=svgs, idea_urls=_idea_urls()
    )


@bp.route("/runs/<id:run_id>/status.json")
@roles_required(*READERS)
def run_status(run_id: int):
    return jsonify(service.run_state(_run(run_id)))


@bp.route("/runs/<id:run_id>/not-selected")
@roles_required(*READERS)
def run_not_selected(run_id: int):
    """The "why these ideas are not in" card's body, which the run page swaps in while the
    explanations come in."""
    run = _run(run_id)
    if run.status != RunStatus.DONE or run.result_status not in service.SOLVED:
        abort(409, "This run has no portfolio.")
    return render_template(
        "portfolio/_not_selected.html",
        report=report.left_out(run),
        state=service.run_state(run),
        idea_urls=_idea_urls(),
    )


@bp.route("/runs/<id:run_id>/explain", methods=["POST"])
@roles_required(PM)
def explain_again(run_id: int):
    """Work out again the explanations whose job stopped or failed."""
    count = runs.explain_again(_run(run_id))
    if count:
        flash(
            f"Working out the rest of the explanations again ({plural(count, 'part')}).", "success"
        )
    else:
        flash("Every explanation is already worked out or being worked out.", "info")
    return redirect(url_for("portfolio.run", run_id=run_id))


@bp.route("/runs/<id:run_id>/retry", methods=["POST"])
@roles_required(PM)
def retry(run_id: int):
    try:
        new = service.retry_run(_run(run_id), current_user)
    except service.PortfolioError as exc:
        abort(exc.status_code, str(exc))
    except QueueError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("portfolio.run", run_id=run_id)), 303
    return redirect(url_for("portfolio.run", run_id=new.id))


@bp.route("/runs/<id:run_id>/adopt", methods=["GET", "POST"])
@roles_required(PM)
def adopt(run_id: int):
    run = _run(run_id)
    try:
        if request.method == "POST":
            accept = request.form.get("accept_excess") == "1"
            plan = service.adopt_run(run, current_user, accept_excess=accept)
            db.session.commit()
            flash(
                f"Adopted: {plural(len(plan.select), 'idea')} selected, "
                f"{len(plan.defer)} deferred. "
                "The submitters and followers of every candidate have been told the outcome.",
                "success",
            )
            return redirect(url_for("portfolio.plan"))
        plan = service.adoption(run)
    except PortalError as exc:
        if exc.field != "accept_excess":
            abort(exc.status_code, str(exc))
        # Refused before anything changed (the excess is checked first).
        return render_template(
            "portfolio/adopt.html", run=run, plan=service.adoption(run), refused=str(exc)
        ), exc.status_code
    return render_template("portfolio/adopt.html", run=run, plan=plan)


@bp.route("/runs/<id:run_id>/charts/<name>.png")
@roles_required(*READERS)
def chart_png(run_id: int, name: str):
    pngs = run_charts.run_charts(_run(run_id), fmt="png")
    if name not in pngs:
        abort(404)
    return _download(pngs[name], "image/png", f"run-{run_id}-{name}.png", inline=True)


def _download(body, mimetype: str, filename: str, inline: bool = False) -> Response:
    disposition = "inline" if inline else "attachment"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'{disposition}; filename="{filename}"'},
    )


def _solved(run: Run) -> Run:
    if run.status != RunStatus.DONE or run.result_status not in service.SOLVED:
        abort(409, "This run has no portfolio to export.")
    return run


@bp.route("/runs/<id:run_id>/selection.csv")
@roles_required(*READERS)
def export_csv(run_id: int):
    run = _solved(_run(run_id))
    return _download(exports.selection_csv(run), "text/csv", f"run-{run_id}-selection.csv")


@bp.route("/runs/<id:run_id>/selection.xlsx")
@roles_required(*READERS)
def export_xlsx(run_id: int):
    run = _solved(_run(run_id))
    return _download(
        exports.selection_xlsx(run),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"run-{run_id}-selection.xlsx",
    )


@bp.route("/runs/<id:run_id>/problem.json")
@roles_required(*READERS)
def export_problem(run_id: int):
    body = json.dumps(_run(run_id).problem, indent=1, sort_keys=False)
    return _download(body, "application/json", f"run-{run_id}-problem.json")


@bp.route("/runs/<id:run_id>/problem.mps")
@roles_required(*READERS)
def export_mps(run_id: int):
    run = _run(run_id)
    if run.result_status == "invalid":
        abort(409, "The frozen problem is invalid; there is no model to write.")
    return _download(write_mps(run.problem), "text/plain", f"run-{run_id}-problem.mps")


@bp.route("/compare")
@roles_required(*READERS)
def compare():
    ids = [i for i in map(whole_number, request.args.getlist("run")) if i is not None]
    try:
        runs = service.runs_to_compare(ids)
    except service.PortfolioError as exc:
        flash(str(exc), "warning")
        return render_template(
            "portfolio/index.html",
            scenarios=service.scenarios(),
            runs=service.recent_runs(),
            plan=service.current_plan(),
            chosen=ids,
        ), exc.status_code
    base = whole_number(request.args.get("base", ""))
    baseline = next((r for r in runs if r.id == base), None)
    if request.args.get("base") and baseline is None:
        abort(400, "The baseline must be one of the runs compared.")
    data = report.comparison(runs, baseline)
    svgs = {k: charts.as_svg_markup(v) for k, v in run_charts.comparison_charts(data).items()}
    return render_template("portfolio/compare.html", data=data, charts=svgs)


@bp.route("/plan")
@login_required
def plan():
    run = service.current_plan()
    data = report.run_report(run, shown=None) if run else None
    svgs, commitments = {}, []
    if data and data.get("solved"):
        state = (data.get("analysis") or {}).get("state")
        svgs = run_charts.page_charts(run, state, names=("departments",))
        commitments = service.commitments(run)
        # The whole plan, as the table beside it counts it (not the run's spend alone).
        svgs["spend"] = charts.as_svg_markup(run_charts.plan_spend_chart(commitments))
    return render_template(
        "portfolio/plan.html",
        run=run,
        report=data,
        charts=svgs,
        others=service.other_selected(run),
        commitments=commitments,
    )


def _roadmap_by() -> str:
    by = request.args.get("by", "department")
    return by if by in report.ROADMAP_GROUPS else "department"


def _roadmap(run: Run, by: str, plan: bool) -> dict:
    """A run's roadmap, or with `plan` the whole plan's: the run's ideas and the earlier
    plans' that stay, against what the plan commits (as the plan page counts it)."""
    if not plan:
        return report.roadmap(run, by)
    return report.roadmap(
        run, by, earlier=service.earlier_plans(run), commitments=service.commitments(run)
    )


def _roadmap_chart(data: dict, **kwargs) -> bytes:
    """The roadmap drawn: the bars within the periods, earlier plans' ideas marked."""
    bars = [
        {**b, "title": f"(earlier plan) {b['title']}"} if b["earlier"] else b
        for b in data["bars"]
        if b["first"] <= b["last"]
    ]
    return charts.roadmap_chart(data["periods"], bars, data["budget"], **kwargs)


def _roadmap_png(run: Run, by: str, plan: bool) -> bytes:
    data = _roadmap(run, by, plan)
    return _roadmap_chart(data, title=f"{report.run_label(run)}: what lands when", fmt="png")


def _roadmap_page(run: Run | None, plan: bool):
    by = _roadmap_by()
    data = _roadmap(run, by, plan) if run is not None else None
    svg = None
    if data and any(b["first"] <= b["last"] for b in data["bars"]):
        svg = charts.as_svg_markup(_roadmap_chart(data))
    return render_template(
        "portfolio/roadmap.html",
        run=run,
        data=data,
        svg=svg,
        plan=plan,
        by=by,
        groups=report.ROADMAP_GROUPS,
    )


@bp.route("/runs/<id:run_id>/roadmap")
@roles_required(*READERS)
def roadmap(run_id: int):
    return _roadmap_page(_solved(_run(run_id)), plan=False)


@bp.route("/runs/<id:run_id>/roadmap.png")
@roles_required(*READERS)
def roadmap_png(run_id: int):
    run = _solved(_run(run_id))
    return _download(
        _roadmap_png(run, _roadmap_by(), plan=False),
        "image/png",
        f"run-{run_id}-roadmap.png",
        inline=True,
    )


@bp.route("/plan/roadmap")
@login_required
def plan_roadmap():
    return _roadmap_page(service.current_plan(), plan=True)


@bp.route("/plan/roadmap.png")
@login_required
def plan_roadmap_png():
    run = service.current_plan()
    if run is None:
        abort(404, "No portfolio plan has been adopted yet.")
    return _download(
        _roadmap_png(run, _roadmap_by(), plan=True), "image/png", "plan-roadmap.png", inline=True
    )
