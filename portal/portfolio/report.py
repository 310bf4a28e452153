"""What a run's results, a comparison and the exports show, computed from the frozen run.

Everything here reads the run's frozen problem and stored result (plus idea titles and
current states), so a report looks the same however the estimates changed since.
"""

import csv
import io
from collections import defaultdict

import sqlalchemy as sa
from flask import current_app
from markupsafe import Markup
from openpyxl import Workbook

from portal import charts
from portal.extensions import db, writing
from portal.models import Idea, Run
from portal.portfolio import problem as bridge
from portal.portfolio.problem import amount
from portal.portfolio.service import SETTING_ANCHORS, SOLVED
from portal.review.valuation import NO_OBJECTIVE

SHOWN_ROWS = 200  # longer tables are cut on the page; the exports have everything

# Which form section causes each optimizer constraint kind / error path.
_KIND_SETTING = {
    "budget": "budget",
    "capacity": "capacity",
    "force_in": "force",
    "force_out": "force",
    "department_share_min": "shares",
    "department_share_max": "shares",
    "theme_min_share": "themes",
    "count_min": "count",
    "count_max": "count",
    "requires": "links",
    "exclusive": "links",
    "together": "links",
}
_PATH_SETTING = [
    ("budget", "budget"),
    ("capacity", "capacity"),
    ("department_share", "shares"),
    ("theme_min_share", "themes"),
    ("count", "count"),
    ("force_", "force"),
    ("requires", "links"),
    ("exclusive", "links"),
    ("together", "links"),
    ("periods", "periods"),
    ("solver", "solver"),
]


def setting_for_path(path: str) -> str:
    if ".may_start_later_by" in path:
        return "start_later"
    for prefix, setting in _PATH_SETTING:
        if path.startswith(prefix):
            return setting
    return "candidates"


def _titles(ids) -> dict[int, sa.Row]:
    """Idea id -> (id, title, status) of the ideas that still exist (two columns, no ORM)."""
    ids = list({i for i in ids if i is not None})
    if not ids:
        return {}
    query = sa.select(Idea.id, Idea.title, Idea.status).where(Idea.id.in_(ids))
    return {row.id: row for row in db.session.execute(query)}


def run_label(run: Run) -> str:
    return f"{run.scenario.name} · run {run.number}"


def _split(problem: dict, chosen: set[str], shares: dict | None = None) -> tuple[dict, dict]:
    """Value and cost of the selected candidates by department and by objective.

    By objective, each idea's value and cost are split by each objective's share of its
    weighted impact (`shares`, frozen with the run; see `objective_shares`), so the objective
    rows add up to the totals; an idea without weighted impact counts under NO_OBJECTIVE.
    Runs frozen before the shares were kept (`shares` None) split evenly over the idea's
    objectives. `count` is the number of ideas contributing to the row.
    """
    by_dept: dict[str, dict] = defaultdict(lambda: {"value": 0.0, "cost": 0.0, "count": 0})
    by_theme: dict[str, dict] = defaultdict(lambda: {"value": 0.0, "cost": 0.0, "count": 0})
    for c in problem.get("candidates", []):
        if c["id"] not in chosen:
            continue
        cost = sum(c.get("cost", {}).values())
        if shares is not None:
            parts = shares.get(c["id"]) or {}
        else:
            themes = c.get("themes", [])
            parts = {t: 1 / len(themes) for t in themes}
        dept = by_dept[c.get("department") or "—"]
        for target, share in [(dept, 1.0)] + [
            (by_theme[t], share) for t, share in (parts or {NO_OBJECTIVE: 1.0}).items()
        ]:
            target["value"] += c["value"] * share
            target["cost"] += cost * share
            target["count"] += 1
    themes = sorted(by_theme.items(), key=lambda kv: (kv[0] == NO_OBJECTIVE, kv[0]))
    return dict(sorted(by_dept.items())), dict(themes)


def objective_shares_of(run: Run) -> dict | None:
    """The run's frozen objective shares (None for runs frozen before they were kept)."""
    return (run.settings or {}).get("objective_shares")


def selection_rows(run: Run, *, shown: int | None = None) -> list[dict]:
    """One row per selected idea, most valuable first: reference, title, department, value,
    cost, start. With `shown`, only that many rows (titles are read for those only)."""
    return _selection_rows(run.problem, run.result or {}, shown)


def _selection_rows(problem: dict, result: dict, shown: int | None) -> list[dict]:
    cands = {c["id"]: c for c in problem.get("candidates", [])}
    periods = problem.get("periods", [])
    index = {p: k for k, p in enumerate(periods)}
    rows = []
    for start in result.get("selected", []):
        ref = start["id"]
        c = cands.get(ref, {})
        shift = int(start.get("delay", 0) or 0)
        cost = dict.fromkeys(periods, 0.0)
        for p, v in c.get("cost", {}).items():
            cost[periods[index[p] + shift]] += v
        rows.append(
            {
                "ref": ref,
                "idea_id": bridge.parse_ref(ref),
                "department": c.get("department", ""),
                "themes": ", ".join(c.get("themes", [])),
                "value": c.get("value", 0.0),
                "value_low": c.get("value_low"),
                "value_high": c.get("value_high"),
                "cost": sum(c.get("cost", {}).values()),
                "cost_by_period": cost,
                "start": start.get("start"),
                "delay": shift,
            }
        )
    rows.sort(key=lambda r: -r["value"])
    if shown is not None:
        rows = rows[:shown]
    ideas = _titles(r["idea_id"] for r in rows)
    for r in rows:
        idea = ideas.get(r["idea_id"])
        r["title"] = idea.title if idea else "(idea no longer exists)"
        r["status"] = idea.status.label if idea else ""
    return rows


def chart_data(problem: dict, result: dict, shares: dict | None = None) -> dict:
    """What the charts of a solved run show: spend, use of pools, splits, analysis."""
    periods = problem.get("periods", [])
    budget = problem.get("budget", {})
    data: dict = {
        "spend": [(p, result.get("spend", {}).get(p, 0.0), budget.get(p)) for p in periods],
        "usage": {
            pool: [
                (p, per.get(p, 0.0), problem.get("capacity", {}).get(pool, {}).get(p))
                for p in periods
            ]
            for pool, per in result.get("usage", {}).items()
        },
    }
    chosen = {s["id"] for s in result.get("selected", [])}
    data["by_department"], data["by_objective"] = _split(problem, chosen, shares)
    analysis = result.get("analysis") or {}
    data["analysis"] = analysis
    robust = (analysis.get("robustness") or {}).get("frequency") or {}
    top = sorted(robust.items(), key=lambda kv: (-kv[1], kv[0]))[:25]
    ideas = _titles(bridge.parse_ref(ref) for ref, _ in top)
    data["robustness"] = [
        {
            "ref": ref,
            "idea_id": bridge.parse_ref(ref),
            "title": getattr(ideas.get(bridge.parse_ref(ref)), "title", ""),
            "frequency": f,
            "selected": ref in chosen,
        }
        for ref, f in top
    ]
    return data


def run_report(run: Run, *, shown: int | None = SHOWN_ROWS) -> dict:
    """Everything the run page shows; the selected ideas' table is cut to `shown` rows."""
    problem, result = run.problem, run.result or {}
    periods = problem.get("periods", [])
    status = result.get("status")
    report: dict = {"status": status, "solved": status in SOLVED, "periods": periods}
    report["left_out"] = (run.settings or {}).get("left_out", [])
    report["candidates"] = len(problem.get("candidates", []))
    report["timings"] = timings(run)
    if not result:
        return report
    if report["solved"]:
        values = {c["id"]: c["value"] for c in problem.get("candidates", [])}
        costs = {c["id"]: sum(c.get("cost", {}).values()) for c in problem.get("candidates", [])}
        selected = result.get("selected", [])
        report["selected"] = _selection_rows(problem, result, shown)
        report["selected_count"] = len(selected)
        report["selected_cost"] = sum(costs.get(s["id"], 0.0) for s in selected)
        report.update(chart_data(problem, result, objective_shares_of(run)))
        out = [e for e in result.get("explanations", []) if not e.get("selected")]
        rows, blocked = limits(problem, result, out)
        report["binding"] = [b for b in rows if b["binding"] or b.get("limiting")]
        report["slack"] = [b for b in rows if not (b["binding"] or b.get("limiting"))]
        out.sort(key=lambda e: -values.get(e["id"], 0))
        report["not_selected_total"] = len(out)
        out = out[:SHOWN_ROWS]
        ideas = _titles(bridge.parse_ref(e["id"]) for e in out)
        report["not_selected"] = [
            {
                "ref": e["id"],
                "idea_id": bridge.parse_ref(e["id"]),
                "title": getattr(ideas.get(bridge.parse_ref(e["id"])), "title", ""),
                "value": values.get(e["id"], 0.0),
                "text": " ".join(
                    t for t in (blocked.get(e["id"]), _without_ref(e.get("text", ""), e["id"])) if t
                ),
            }
            for e in out
        ]
        skipped = (result.get("solver") or {}).get("explain_skipped")
        report["explain_skipped"] = skipped
    report["conflicts"] = [
        {
            "text": conflict.get("text", ""),
            "minimal": conflict.get("minimal"),
            "constraints": [
                {**c, "setting": _KIND_SETTING.get(c.get("kind"), "candidates")}
                for c in conflict.get("constraints", [])
            ],
        }
        for conflict in result.get("conflicts", [])
    ]
    report["errors"] = [
        {"text": e, "setting": setting_for_path(e.split(":", 1)[0])}
        for e in result.get("errors", [])
    ]
    report["anchors"] = SETTING_ANCHORS
    return report


# Reasons under which an idea is out because of what it needs (not a link or a force).
_NEEDS_REASONS = ("value", "infeasible")


def _shifts(c: dict, periods: list[str]) -> list[int]:
    """The start delays a candidate may take: its non-zero profile stays within the periods."""
    index = {p: k for k, p in enumerate(periods)}
    used = [index[p] for p, v in c.get("cost", {}).items() if v]
    used += [index[p] for per in c.get("effort", {}).values() for p, v in per.items() if v]
    last = max(used, default=0)
    most = int(c.get("may_start_later_by", 0) or 0)
    return [s for s in range(most + 1) if last + s < len(periods)] or [0]


def _needs(c: dict, periods: list[str], shift: int) -> dict[tuple, float]:
    """(kind, pool, period) -> what the candidate puts on that budget or capacity row."""
    index = {p: k for k, p in enumerate(periods)}
    out: dict[tuple, float] = {}
    for p, v in c.get("cost", {}).items():
        if v:
            out[("budget", None, periods[index[p] + shift])] = v
    for pool, per in c.get("effort", {}).items():
        for p, v in per.items():
            if v:
                out[("capacity", pool, periods[index[p] + shift])] = v
    return out


def _row_name(row: dict) -> str:
    if row["kind"] == "budget":
        return f"the {row['period']} budget"
    return f"{row['pool']} {row['period']}"


def limits(problem: dict, result: dict, out: list[dict]) -> tuple[list[dict], dict[str, str]]:
    """The limit rows as the run page shows them, and why each left-out idea does not fit.

    A budget or capacity row is *limiting* when it is used up (binding) or when what is left
    (its slack) is less than the cheapest need in that period among the ideas left out for
    their value (not those out for a force or a link): then no idea left out fits there
    without taking something out. Each such idea gets a sentence naming every row it does
    not fit in at any start it may take (the first start's rows are named).
    """
    periods = problem.get("periods", [])
    cands = {c["id"]: c for c in problem.get("candidates", [])}
    rows = [dict(b) for b in result.get("binding", [])]
    by_key = {
        (b["kind"], b.get("pool"), b.get("period")): b
        for b in rows
        if b["kind"] in ("budget", "capacity")
    }
    count_full = next((b for b in rows if b["kind"] == "count_max" and b.get("binding")), None)
    cheapest: dict[tuple, float] = {}
    blocked: dict[str, str] = {}
    for e in out:
        c = cands.get(e["id"])
        if c is None or e.get("reason") not in _NEEDS_REASONS:
            continue
        first = _needs(c, periods, 0)
        for key, need in first.items():
            if key in by_key:
                cheapest[key] = min(need, cheapest.get(key, need))
        tight = [
            [(by_key[k], v) for k, v in _needs(c, periods, s).items() if k in by_key]
            for s in _shifts(c, periods)
        ]
        tight = [[(b, v) for b, v in per if v > b["slack"] + 1e-9] for per in tight]
        if all(tight):
            over_limit = [(b, v) for b, v in tight[0] if v > b["limit"] + 1e-9]
            if over_limit:
                b, v = over_limit[0]
                if b["kind"] == "budget":
                    blocked[e["id"]] = (
                        f"On its own it costs {amount(v)} in {b['period']}, more than the whole "
                        f"{b['period']} budget ({amount(b['limit'])})."
                    )
                else:
                    blocked[e["id"]] = (
                        f"On its own it needs {amount(v)} of {b['pool']} in {b['period']}, more "
                        f"than the pool's whole capacity ({amount(b['limit'])})."
                    )
            else:
                parts = [
                    f"{amount(v)} of {_row_name(b)} ({amount(max(b['slack'], 0))} left)"
                    for b, v in tight[0]
                ]
                blocked[e["id"]] = f"Does not fit: it needs {_and(parts)}."
        elif count_full is not None:
            blocked[e["id"]] = (
                f"The count limit is reached: at most {amount(count_full['limit'])} ideas "
                "may be selected."
            )
        elif e.get("reason") == "value" and (e.get("value_lost") or 0) > 0:
            blocked[e["id"]] = (
                "It fits in what is left of every budget and capacity, so another setting "
                "(a share, the count or a together link) keeps it out."
            )
    for key, b in by_key.items():
        head = b["text"].rsplit("; ", 1)[0]  # 'Budget 2027: 483k of 600k spent'
        need = cheapest.get(key)
        if b["binding"]:
            b["text"] = f"{head}; used up."
        elif need is not None and b["slack"] < need - 1e-9:
            b["limiting"] = True
            b["text"] = (
                f"{head}; {amount(b['slack'])} left, less than the {amount(need)} the cheapest "
                f"idea left out needs in {b['period']}."
            )
        else:
            b["text"] = f"{head}; {amount(b['slack'])} left."
    return rows, blocked


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _without_ref(text: str, ref: str) -> str:
    """'IDEA-3 is not selected: forcing ...' -> 'Forcing ...' (the table names the idea)."""
    for head in (f"{ref} is not selected: ", f"{ref}: "):
        if text.startswith(head):
            rest = text[len(head) :]
            return rest[:1].upper() + rest[1:]
    return text


def timings(run: Run) -> dict:
    """Where the time went, in seconds (None where not known yet)."""
    settings, result = run.settings or {}, run.result or {}
    total = None
    queued = None
    if run.finished_at:
        total = (run.finished_at - run.created_at).total_seconds()
    if run.started_at:
        queued = (run.started_at - run.created_at).total_seconds()
    solver = (result.get("portal") or {}).get("solver_wall_seconds")
    return {
        "freeze": settings.get("freeze_seconds"),
        "queued": queued,
        "build": run.build_seconds,
        "solve": run.solve_seconds,
        "solver_total": solver,
        "total": total,
        "analysis": (result.get("analysis") or {}).get("seconds"),
    }


# ------------------------------------------------------------------ charts

CHARTS = ("spend", "capacity", "departments", "objectives", "frontier", "robustness")
RESULT_CHARTS = ("spend", "capacity", "departments", "objectives")  # drawn before the analysis


def run_charts(run: Run, fmt: str = "svg") -> dict[str, bytes]:
    """Every chart of a solved run, by name (capacity charts as capacity-<n>)."""
    result = run.result or {}
    if result.get("status") not in SOLVED:
        return {}
    data = chart_data(run.problem, result, objective_shares_of(run))
    return _draw(data, run.problem, run.objective_value, fmt)


def draw_charts(run: Run, *, problem: dict, result: dict) -> dict:
    """The run's SVG charts as they are kept on the run (`Run.charts`): drawn once, since a
    finished run does not change; drawn again only when its analysis state changed."""
    if result.get("status") not in SOLVED:
        return {"analysis": None, "svg": {}}
    data = chart_data(problem, result, objective_shares_of(run))
    svgs = _draw(data, problem, result.get("objective"), "svg")
    return {
        "analysis": data["analysis"].get("state"),
        "svg": {name: body.decode("utf-8") for name, body in svgs.items()},
    }


def page_charts(run: Run, analysis_state: str | None, names=None) -> dict[str, Markup]:
    """SVG markup of a solved run's charts for a page, from the run's stored charts.

    The job stores them right after the result and again with the analysis. While the
    analysis is pending the stored ones are shown (none yet: the page says they are being
    drawn). Otherwise, when none are stored for the current state (a run from before they
    were kept, or a job that died), they are drawn now and stored for the next view.
    """
    stored = run.charts or {}
    svgs = stored.get("svg") or {}
    current = "svg" in stored and stored.get("analysis") == analysis_state
    if not current and analysis_state != "pending":
        fresh = draw_charts(run, problem=run.problem, result=run.result or {})
        svgs = fresh["svg"]
        _keep_charts(run.id, fresh)
    return {
        name: charts.as_svg_markup(body.encode("utf-8"))
        for name, body in svgs.items()
        if names is None or name in names
    }


def _keep_charts(run_id: int, drawn: dict) -> None:
    """Store charts drawn by a page on their own connection (the page's transaction only
    reads); a failure only means they are drawn again next time."""
    try:
        with writing(), db.engine.begin() as connection:
            connection.execute(sa.update(Run).where(Run.id == run_id).values(charts=drawn))
    except sa.exc.SQLAlchemyError:
        current_app.logger.warning("could not keep the charts of run %s", run_id, exc_info=True)


def _draw(data: dict, problem: dict, objective: float | None, fmt: str) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    spend = data["spend"]
    out["spend"] = charts.budget_chart(
        [p for p, _, _ in spend],
        [s for _, s, _ in spend],
        [b for _, _, b in spend],
        title="Spend against budget",
        fmt=fmt,
    )
    for n, (pool, rows) in enumerate(sorted(data["usage"].items()), start=1):
        out[f"capacity-{n}"] = charts.budget_chart(
            [p for p, _, _ in rows],
            [u for _, u, _ in rows],
            [c for _, _, c in rows],
            title=f"{pool}: use against capacity",
            fmt=fmt,
        )
    for name, split, label in (
        ("departments", data["by_department"], "department"),
        ("objectives", data["by_objective"], "objective"),
    ):
        if split:
            out[name] = charts.paired_bar_chart(
                list(split),
                [v["value"] for v in split.values()],
                [v["cost"] for v in split.values()],
                left_title="Value",
                right_title="Spend (all periods)",
                title=f"By {label}",
                fmt=fmt,
            )
    frontier = (data.get("analysis") or {}).get("frontier") or {}
    points = [p for p in frontier.get("points", []) if p.get("status") in SOLVED]
    if points:
        x = [sum(p["budget"].values()) for p in points]
        here = sum(problem.get("budget", {}).values())
        out["frontier"] = charts.line_chart(
            x,
            {"best value": [p["objective"] for p in points]},
            title="Efficient frontier: value against total budget",
            xlabel="Total budget (all periods)",
            ylabel="Value",
            marker_point=(here, objective or 0.0, "this scenario"),
            fmt=fmt,
        )
    robust = data.get("robustness") or []
    if robust:
        out["robustness"] = charts.bar_chart(
            [f"{r['ref']} {r['title']}" for r in robust],
            {"selected in % of samples": [100 * r["frequency"] for r in robust]},
            title="Robustness: how often each idea is\nselected when values vary",
            horizontal=True,
            fmt=fmt,
        )
    return out


# ------------------------------------------------------------------ compare


def comparison(runs: list[Run]) -> dict:
    """Side by side: objective, spend per period, ideas added and removed, splits, settings."""
    labels = [run_label(r) for r in runs]
    periods: list[str] = []
    for r in runs:
        periods += [p for p in r.problem.get("periods", []) if p not in periods]
    selections = [{s["id"] for s in (r.result or {}).get("selected", [])} for r in runs]
    base = selections[0]
    changed_refs = set().union(*[(s - base) | (base - s) for s in selections[1:]])
    ideas = _titles(bridge.parse_ref(ref) for ref in changed_refs)

    def describe(refs):
        return [
            {
                "ref": ref,
                "idea_id": bridge.parse_ref(ref),
                "title": getattr(ideas.get(bridge.parse_ref(ref)), "title", ""),
            }
            for ref in sorted(refs, key=lambda x: bridge.parse_ref(x) or 0)
        ]

    columns = []
    splits = []
    for r, chosen in zip(runs, selections, strict=True):
        result = r.result or {}
        dept, theme = _split(r.problem, chosen, objective_shares_of(r))
        splits.append((dept, theme))
        columns.append(
            {
                "run": r,
                "label": run_label(r),
                "status": result.get("status"),
                "objective": result.get("objective"),
                "count": len(chosen),
                "spend": {p: result.get("spend", {}).get(p) for p in periods},
                "budget": {p: r.problem.get("budget", {}).get(p) for p in periods},
                "total": sum((result.get("spend") or {}).values()),
                "added": describe(chosen - base),
                "removed": describe(base - chosen),
            }
        )
    departments = sorted({d for dept, _ in splits for d in dept})
    themes = sorted({t for _, theme in splits for t in theme})
    displays = [(r.settings or {}).get("display", {}) for r in runs]
    keys: list[str] = []
    for d in displays:
        keys += [k for k in d if k not in keys]
    differ = [
        (k, [d.get(k, "—") for d in displays])
        for k in keys
        if len({d.get(k, "—") for d in displays}) > 1
    ]
    return {
        "labels": labels,
        "periods": periods,
        "columns": columns,
        "departments": [
            (
                d,
                [s[0].get(d, {}).get("value", 0.0) for s in splits],
                [s[0].get(d, {}).get("cost", 0.0) for s in splits],
            )
            for d in departments
        ],
        "objectives": [
            (
                t,
                [s[1].get(t, {}).get("value", 0.0) for s in splits],
                [s[1].get(t, {}).get("cost", 0.0) for s in splits],
            )
            for t in themes
        ],
        "settings_differ": differ,
        "even_split": any(objective_shares_of(r) is None for r in runs),
    }


def comparison_charts(data: dict, fmt: str = "svg") -> dict[str, bytes]:
    labels = data["labels"]
    out = {
        "spend": charts.bar_chart(
            data["periods"],
            {
                lab: [c["spend"].get(p) or 0 for p in data["periods"]]
                for lab, c in zip(labels, data["columns"], strict=True)
            },
            title="Spend per period",
            fmt=fmt,
        )
    }
    if data["departments"]:
        out["departments"] = charts.bar_chart(
            [d for d, _, _ in data["departments"]],
            {lab: [v[k] for _, v, _ in data["departments"]] for k, lab in enumerate(labels)},
            title="Value by department",
            fmt=fmt,
        )
    if data["objectives"]:
        out["objectives"] = charts.bar_chart(
            [t for t, _, _ in data["objectives"]],
            {lab: [v[k] for _, v, _ in data["objectives"]] for k, lab in enumerate(labels)},
            title="Value by objective",
            fmt=fmt,
        )
    return out


# ------------------------------------------------------------------ exports

_COLUMNS = [
    ("Reference", "ref"),
    ("Title", "title"),
    ("Department", "department"),
    ("Objectives", "themes"),
    ("Status now", "status"),
    ("Value", "value"),
    ("Value low", "value_low"),
    ("Value high", "value_high"),
    ("Total cost", "cost"),
    ("Start", "start"),
]


def _number(value):
    """Amounts as people write them: 204000.0 -> 204000, 20.97671 -> 20.98."""
    if isinstance(value, float):
        return int(value) if value.is_integer() else round(value, 2)
    return value


def _export_rows(run: Run) -> tuple[list[str], list[list]]:
    periods = run.problem.get("periods", [])
    header = [h for h, _ in _COLUMNS] + [f"Cost {p}" for p in periods]
    rows = [
        [_number(row[key]) for _, key in _COLUMNS]
        + [_number(row["cost_by_period"][p]) for p in periods]
        for row in selection_rows(run)
    ]
    return header, rows


def selection_csv(run: Run) -> str:
    header, rows = _export_rows(run)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def selection_xlsx(run: Run) -> bytes:
    header, rows = _export_rows(run)
    book = Workbook()
    sheet = book.active
    sheet.title = "Selection"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    spend = book.create_sheet("Spend")
    spend.append(["Period", "Spend", "Budget"])
    budget = run.problem.get("budget", {})
    for p in run.problem.get("periods", []):
        spend.append([p, (run.result or {}).get("spend", {}).get(p, 0.0), budget.get(p)])
    settings = book.create_sheet("Settings")
    settings.append(["Setting", "Value"])
    for key, value in ((run.settings or {}).get("display") or {}).items():
        settings.append([key, value])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
