"""What a run's results and a comparison show, read from the frozen run.

Everything here reads the run's frozen problem and stored result (plus idea titles and
current states), so a report looks the same however the estimates changed since. Which
limits hold the portfolio back is the optimizer's to say (`problem.limits`); the charts are
drawn in `run_charts`, the downloads written in `exports`.
"""

from collections import defaultdict

import sqlalchemy as sa

from portal import lifecycle
from portal.extensions import db
from portal.models import Idea, Run
from portal.portfolio import explanations
from portal.portfolio import problem as bridge
from portal.portfolio.forms import SETTING_ANCHORS
from portal.portfolio.problem import SOLVED
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
    "theme_share_max": "themes",
    "run_cost_past_horizon": "time",
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
    ("theme_share", "themes"),
    ("run_cost_past_horizon", "time"),
    ("discount_rate", "time"),
    ("count", "count"),
    ("force_", "force"),
    ("requires", "links"),
    ("exclusive", "links"),
    ("together", "links"),
    ("periods", "periods"),
    ("solver", "solver"),
]


def setting_for_path(path: str) -> str:
    """The scenario form section an optimizer error path points at (`budget.2027` -> budget)."""
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
    return {row.id: row for row in db.session.execute(_TITLES, {"ids": ids})}


# Built once: building the statement anew cost about as much as running it.
_TITLES = sa.select(Idea.id, Idea.title, Idea.status).where(
    Idea.id.in_(sa.bindparam("ids", expanding=True))
)


class _Titles:
    """The rows of a report (dicts with an "idea_id") that show their idea's title, filled
    in for the whole report with one query (`fill`), not one per table."""

    def __init__(self) -> None:
        self._wanted: list[tuple[list[dict], str, bool]] = []

    def want(self, rows: list[dict], missing: str = "", status: bool = False) -> list[dict]:
        """`rows` get a "title" (`missing` for an idea that no longer exists) and with
        `status` a "status" label, when the report is filled."""
        self._wanted.append((rows, missing, status))
        return rows

    def fill(self) -> None:
        ideas = _titles(r["idea_id"] for rows, _, _ in self._wanted for r in rows)
        for rows, missing, status in self._wanted:
            for r in rows:
                idea = ideas.get(r["idea_id"])
                r["title"] = idea.title if idea else missing
                if status:
                    r["status"] = idea.status.label if idea else ""
        self._wanted.clear()


def _filled(make, *args):
    """`make(*args, titles)` with its titles filled in (a report part used on its own)."""
    titles = _Titles()
    out = make(*args, titles)
    titles.fill()
    return out


def stated_value(candidate: dict) -> float:
    """A candidate's value as stated, undiscounted and unshifted: its one-off `value` plus
    its value over time."""
    return float(candidate.get("value", 0.0)) + sum(
        (candidate.get("value_by_period") or {}).values()
    )


def run_label(run: Run) -> str:
    """How pages name a run: '<scenario> · run <number>'."""
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
            target["value"] += stated_value(c) * share
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
    return _filled(_selection_rows, run.problem, run.result or {}, shown)


def _selection_rows(problem: dict, result: dict, shown: int | None, titles: _Titles) -> list[dict]:
    """`selection_rows` over a frozen problem and result (also for the run page's report)."""
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
        tco, npv = lifecycle.planned_cost(
            c.get("cost", {}),
            periods,
            shift,
            float(c.get("run_cost", 0.0)),
            c.get("lifetime"),
            float(problem.get("discount_rate", 0.0)),
        )
        rows.append(
            {
                "tco": tco,
                "npv_cost": npv,
                "negative_impact": c.get("negative_impact", 0.0),
                "ref": ref,
                "idea_id": bridge.parse_ref(ref),
                "department": c.get("department", ""),
                "themes": ", ".join(c.get("themes", [])),
                "value": start.get("value", stated_value(c)),
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
    return titles.want(rows, "(idea no longer exists)", status=True)


def chart_data(problem: dict, result: dict, shares: dict | None = None) -> dict:
    """What the charts of a solved run show: spend, use of pools, splits, analysis."""
    return _filled(_chart_data, problem, result, shares)


def _chart_data(problem: dict, result: dict, shares: dict | None, titles: _Titles) -> dict:
    """`chart_data`, its robustness rows' titles filled in with the report's."""
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
    data["robustness"] = titles.want(
        [
            {
                "ref": ref,
                "idea_id": bridge.parse_ref(ref),
                "frequency": f,
                "selected": ref in chosen,
            }
            for ref, f in top
        ]
    )
    return data


def run_report(run: Run, *, shown: int | None = SHOWN_ROWS, merged: bool = False) -> dict:
    """Everything the run page shows; the selected ideas' table is cut to `shown` rows.
    `merged`: every part of the explanations is merged, as the caller has just read
    (`explanations.progress`)."""
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
        # The parts of the explanations still being worked out, laid over the stored ones.
        result = {**result, "explanations": explanations.known(run, result, merged=merged)}
        values = {c["id"]: stated_value(c) for c in problem.get("candidates", [])}
        costs = {c["id"]: sum(c.get("cost", {}).values()) for c in problem.get("candidates", [])}
        selected = result.get("selected", [])
        titles = _Titles()  # every table's titles in one query
        report["selected"] = _selection_rows(problem, result, shown, titles)
        report["selected_count"] = len(selected)
        report["selected_cost"] = sum(costs.get(s["id"], 0.0) for s in selected)
        report.update(_chart_data(problem, result, objective_shares_of(run), titles))
        report.update(_limits_and_left_out(problem, result, values, titles))
        report["time"] = _time_report(problem, result, titles)
        titles.fill()
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


def left_out(run: Run) -> dict:
    """What the run page's "why these ideas are not in" shows, with the explanations as
    known now (the part of the page that fills in while they are worked out)."""
    problem, result = run.problem, run.result or {}
    result = {**result, "explanations": explanations.known(run, result)}
    values = {c["id"]: stated_value(c) for c in problem.get("candidates", [])}
    return _filled(_limits_and_left_out, problem, result, values)


def _limits_and_left_out(
    problem: dict, result: dict, values: dict[str, float], titles: _Titles
) -> dict:
    """The limits that hold the portfolio back and why each idea left out is not in, the
    most valuable first (cut to SHOWN_ROWS)."""
    out = [e for e in result.get("explanations", []) if not e.get("selected")]
    rows, blocked = bridge.limits(problem, result, out)
    out.sort(key=lambda e: -values.get(e["id"], 0))
    shown = out[:SHOWN_ROWS]
    return {
        "binding": [b for b in rows if b["binding"] or b.get("limiting")],
        "slack": [b for b in rows if not (b["binding"] or b.get("limiting"))],
        "not_selected_total": len(out),
        "not_selected": titles.want(
            [
                {
                    "ref": e["id"],
                    "idea_id": bridge.parse_ref(e["id"]),
                    "value": values.get(e["id"], 0.0),
                    "text": " ".join(
                        t
                        for t in (blocked.get(e["id"]), _without_ref(e.get("text", ""), e["id"]))
                        if t
                    ),
                }
                for e in shown
            ]
        ),
        "explain_skipped": (result.get("solver") or {}).get("explain_skipped"),
    }


def time_report(problem: dict, result: dict) -> dict:
    """The plan in time: value per period (undiscounted and discounted), the yearly run cost
    the selection commits to after the horizon, and the selected ideas that hinder later
    (negative impacts, run cost past the horizon) with what the optimizer says of them."""
    return _filled(_time_report, problem, result)


def _time_report(problem: dict, result: dict, titles: _Titles) -> dict:
    """`time_report`, the hindering ideas' titles filled in with the report's."""
    periods = problem.get("periods", [])
    per_year = lifecycle.periods_per_year(periods)
    plain = result.get("value_by_period") or {}
    discounted = result.get("discounted_value_by_period") or {}
    after = result.get("run_cost_after_horizon") or {}
    cands = {c["id"]: c for c in problem.get("candidates", [])}
    # The optimizer says why a selected idea stays in despite what it hinders (`despite`).
    said = {
        e["id"]: e.get("text", "")
        for e in result.get("explanations", [])
        if e.get("selected") and e.get("despite") and e.get("text")
    }
    hinder = []
    for chosen in result.get("selected", []):
        c = cands.get(chosen["id"], {})
        tail = float(chosen.get("run_cost_past_horizon") or 0.0)
        if not (c.get("negative_impact") or tail or chosen["id"] in said):
            continue
        parts = []
        if c.get("negative_impact"):
            parts.append(f"negative impacts take {c['negative_impact']:.1f} of its value")
        if tail:
            parts.append(f"{bridge.amount(tail)} of run cost past the horizon")
        text = _without_ref(said.get(chosen["id"], ""), chosen["id"])
        hinder.append(
            {
                "ref": chosen["id"],
                "idea_id": bridge.parse_ref(chosen["id"]),
                "what": "" if text else "; ".join(parts),
                "text": text,
            }
        )
    titles.want(hinder)
    yearly = float(after.get("yearly") or 0.0) * per_year
    return {
        "rate": problem.get("discount_rate", 0.0),
        "rows": [
            (p, float(plain.get(p, 0.0)), float(discounted.get(p, 0.0)))
            for p in periods
            if p in plain or p in discounted
        ]
        if any(plain.values())
        else [],
        "run_cost_yearly": yearly,
        "run_cost_from": lifecycle.after_horizon_label(periods) or "after the last period",
        "tail": problem.get("run_cost_past_horizon"),
        "tail_total": after.get("total"),
        "hinders": hinder,
    }


def _delta(value: float | None, base: float | None) -> float | None:
    return None if value is None or base is None else value - base


def _without_ref(text: str, ref: str) -> str:
    """'IDEA-3 is not selected: forcing ...' -> 'Forcing ...' (the table names the idea)."""
    for head in (f"{ref} is not selected: ", f"{ref} is selected: ", f"{ref}: ", f"{ref} is "):
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


def comparison(runs: list[Run], baseline: Run | None = None) -> dict:
    """Side by side: objective, spend per period, ideas added and removed, splits, settings.

    Every difference is taken against `baseline` (one of `runs`; the first by default) and
    says so: `baseline_label`, and per column the deltas of value, count and spend."""
    labels = [run_label(r) for r in runs]
    periods: list[str] = []
    for r in runs:
        periods += [p for p in r.problem.get("periods", []) if p not in periods]
    selections = [{s["id"] for s in (r.result or {}).get("selected", [])} for r in runs]
    at = runs.index(baseline) if baseline is not None else 0
    base = selections[at]
    base_result = runs[at].result or {}
    changed_refs = set().union(*[(s - base) | (base - s) for s in selections])
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
        # What the baseline holds and this run never weighed (not among its candidates) is
        # not dropped by it: adopting it leaves those ideas as they are.
        weighed = {c["id"] for c in r.problem.get("candidates", [])}
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
                "removed": describe((base - chosen) & weighed),
                "not_weighed": describe((base - chosen) - weighed),
                "baseline": r is runs[at],
                "objective_delta": _delta(result.get("objective"), base_result.get("objective")),
                "count_delta": len(chosen) - len(base),
                "total_delta": sum((result.get("spend") or {}).values())
                - sum((base_result.get("spend") or {}).values()),
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
        "baseline_label": labels[at],
        "baseline_id": runs[at].id,
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


ROADMAP_GROUPS = {"department": "Department", "objective": "Objective"}


def roadmap(
    run: Run,
    by: str = "department",
    *,
    earlier: dict[int, dict] | None = None,
    commitments: list[dict] | None = None,
) -> dict:
    """What lands when: one bar per selected idea from its chosen start over its cost (and
    effort) periods, grouped by department or by the objective with the largest share of its
    weighted impact; and the budget and capacity use per period under it.

    For the whole plan, `earlier` adds the earlier plans' ideas that stay in it
    (`service.earlier_plans`: over their current estimates' periods, marked "earlier"),
    `commitments` (`service.commitments`) gives the budget row what the plan commits, and
    their effort is added to the pools' use."""
    problem, result = run.problem, run.result or {}
    periods = problem.get("periods", [])
    index = {p: j for j, p in enumerate(periods)}
    shares = objective_shares_of(run) or {}
    cands = {c["id"]: c for c in problem.get("candidates", [])}

    def bar(ref: str, c: dict, split: dict, delay: int, hinders: bool, earlier_plan: bool):
        used = [index[p] for p, v in c.get("cost", {}).items() if v and p in index]
        used += [index[p] for per in c.get("effort", {}).values() for p, v in per.items() if v]
        first = min(used, default=0) + delay
        last = max(used, default=first - delay) + delay
        if earlier_plan and not used:  # nothing left in these periods: listed, no bar
            first, last = len(periods), -1
        if by == "objective":
            group = max(split, key=lambda k: (split[k], k)) if split else NO_OBJECTIVE
        else:
            group = c.get("department") or "—"
        return {
            "ref": ref,
            "idea_id": bridge.parse_ref(ref),
            "group": group,
            "first": first,
            "last": min(last, len(periods) - 1),
            "start": periods[first] if first < len(periods) else "",
            "lands": periods[min(last, len(periods) - 1)] if periods and last >= 0 else "",
            "cost": sum(v for p, v in c.get("cost", {}).items() if p in index),
            "run_cost": float(c.get("run_cost", 0.0)),
            "hinders": hinders,
            "earlier": earlier_plan,
        }

    bars = []
    for chosen in result.get("selected", []):
        c = cands.get(chosen["id"], {})
        hinders = bool(c.get("negative_impact") or chosen.get("run_cost_past_horizon"))
        delay = int(chosen.get("delay", 0) or 0)
        bars.append(bar(chosen["id"], c, shares.get(chosen["id"]) or {}, delay, hinders, False))
    for idea_id, c in (earlier or {}).items():
        within = {
            "department": c["department"],
            "cost": {p: v for p, v in c["cost"].items() if p in index},
            "effort": {
                pool: {p: v for p, v in per.items() if p in index}
                for pool, per in c["effort"].items()
            },
        }
        bars.append(bar(bridge.idea_ref(idea_id), within, c["objective_shares"], 0, False, True))
    ideas = _titles(b["idea_id"] for b in bars)
    for b in bars:
        b["title"] = getattr(ideas.get(b["idea_id"]), "title", "(idea no longer exists)")
    bars.sort(
        key=lambda b: (b["group"] == NO_OBJECTIVE, b["group"], b["first"], b["last"], b["ref"])
    )
    budget = problem.get("budget", {})
    spend = result.get("spend", {})
    if commitments is not None:  # the whole plan, against the budget as the plan page has it
        budget = {row["period"]: row["budget"] for row in commitments}
        spend = {row["period"]: row["committed"] for row in commitments}
    usage = [
        {
            "name": f"Budget {p}",
            "period": p,
            "used": float(spend.get(p, 0.0)),
            "limit": budget.get(p),
            "share": (float(spend.get(p, 0.0)) / budget[p]) if budget.get(p) else None,
        }
        for p in periods
    ]
    used_by_pool = {pool: dict(per) for pool, per in (result.get("usage") or {}).items()}
    for c in (earlier or {}).values():
        for pool, per in c["effort"].items():
            total = used_by_pool.setdefault(pool, {})
            for p, v in per.items():
                if p in index:
                    total[p] = total.get(p, 0.0) + v
    pools = []
    for pool, per in used_by_pool.items():
        caps = (problem.get("capacity") or {}).get(pool, {})
        pools.append(
            {
                "pool": pool,
                "rows": [
                    {
                        "period": p,
                        "used": float(per.get(p, 0.0)),
                        "limit": caps.get(p),
                        "share": (float(per.get(p, 0.0)) / caps[p]) if caps.get(p) else None,
                    }
                    for p in periods
                ],
            }
        )
    groups: dict[str, list[dict]] = {}
    for b in bars:
        groups.setdefault(b["group"], []).append(b)
    return {
        "periods": periods,
        "bars": bars,
        "groups": list(groups.items()),
        "by": by,
        "budget": usage,
        "pools": pools,
    }
