"""What a run's results, a comparison and the exports show, computed from the frozen run.

Everything here reads the run's frozen problem and stored result (plus idea titles and
current states), so a report looks the same however the estimates changed since.
"""

import csv
import io
from collections import defaultdict

import sqlalchemy as sa
from openpyxl import Workbook

from portal import charts
from portal.extensions import db
from portal.models import Idea, Run
from portal.portfolio import problem as bridge
from portal.portfolio.service import SETTING_ANCHORS, SOLVED

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


def _titles(ids) -> dict[int, Idea]:
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    return {i.id: i for i in db.session.scalars(sa.select(Idea).where(Idea.id.in_(ids)))}


def run_label(run: Run) -> str:
    return f"{run.scenario.name} · run {run.number}"


def _split(problem: dict, chosen: set[str]) -> tuple[dict, dict]:
    """Value and cost of the selected candidates by department and by theme."""
    by_dept: dict[str, dict] = defaultdict(lambda: {"value": 0.0, "cost": 0.0, "count": 0})
    by_theme: dict[str, dict] = defaultdict(lambda: {"value": 0.0, "cost": 0.0, "count": 0})
    for c in problem.get("candidates", []):
        if c["id"] not in chosen:
            continue
        cost = sum(c.get("cost", {}).values())
        targets = [by_dept[c.get("department") or "—"]]
        targets += [by_theme[t] for t in c.get("themes", [])]
        for t in targets:
            t["value"] += c["value"]
            t["cost"] += cost
            t["count"] += 1
    return dict(sorted(by_dept.items())), dict(sorted(by_theme.items()))


def selection_rows(run: Run) -> list[dict]:
    """One row per selected idea: reference, title, department, value, cost, start."""
    result = run.result or {}
    cands = {c["id"]: c for c in run.problem.get("candidates", [])}
    starts = {s["id"]: s for s in result.get("selected", [])}
    ideas = _titles(bridge.parse_ref(ref) for ref in starts)
    periods = run.problem.get("periods", [])
    rows = []
    for ref, start in starts.items():
        c = cands.get(ref, {})
        idea = ideas.get(bridge.parse_ref(ref))
        shift = int(start.get("delay", 0) or 0)
        cost = {p: 0.0 for p in periods}
        for p, v in c.get("cost", {}).items():
            k = periods.index(p) + shift
            cost[periods[k]] += v
        rows.append(
            {
                "ref": ref,
                "idea_id": bridge.parse_ref(ref),
                "title": idea.title if idea else "(idea no longer exists)",
                "status": idea.status.label if idea else "",
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
    return rows


def run_report(run: Run) -> dict:
    """Everything the run page shows."""
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
        rows = selection_rows(run)
        report["selected"] = rows
        report["selected_cost"] = sum(r["cost"] for r in rows)
        budget = problem.get("budget", {})
        report["spend"] = [(p, result.get("spend", {}).get(p, 0.0), budget.get(p)) for p in periods]
        report["usage"] = {
            pool: [
                (p, per.get(p, 0.0), problem.get("capacity", {}).get(pool, {}).get(p))
                for p in periods
            ]
            for pool, per in result.get("usage", {}).items()
        }
        chosen = {r["ref"] for r in rows}
        report["by_department"], report["by_objective"] = _split(problem, chosen)
        report["binding"] = [b for b in result.get("binding", []) if b.get("binding")]
        report["slack"] = [b for b in result.get("binding", []) if not b.get("binding")]
        values = {c["id"]: c["value"] for c in problem.get("candidates", [])}
        out = [e for e in result.get("explanations", []) if not e.get("selected")]
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
                "text": _without_ref(e.get("text", ""), e["id"]),
            }
            for e in out
        ]
        analysis = result.get("analysis") or {}
        report["analysis"] = analysis
        robust = (analysis.get("robustness") or {}).get("frequency") or {}
        top = sorted(robust.items(), key=lambda kv: (-kv[1], kv[0]))[:25]
        ideas = _titles(bridge.parse_ref(ref) for ref, _ in top)
        report["robustness"] = [
            {
                "ref": ref,
                "idea_id": bridge.parse_ref(ref),
                "title": getattr(ideas.get(bridge.parse_ref(ref)), "title", ""),
                "frequency": f,
                "selected": ref in chosen,
            }
            for ref, f in top
        ]
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


def run_charts(run: Run, report: dict | None = None, fmt: str = "svg") -> dict[str, bytes]:
    """Every chart of a solved run, by name (capacity charts as capacity-<n>)."""
    report = report or run_report(run)
    out: dict[str, bytes] = {}
    if not report.get("solved"):
        return out
    spend = report["spend"]
    out["spend"] = charts.budget_chart(
        [p for p, _, _ in spend],
        [s for _, s, _ in spend],
        [b for _, _, b in spend],
        title="Spend against budget",
        fmt=fmt,
    )
    for n, (pool, rows) in enumerate(sorted(report["usage"].items()), start=1):
        out[f"capacity-{n}"] = charts.budget_chart(
            [p for p, _, _ in rows],
            [u for _, u, _ in rows],
            [c for _, _, c in rows],
            title=f"{pool}: use against capacity",
            fmt=fmt,
        )
    for name, split, label in (
        ("departments", report["by_department"], "department"),
        ("objectives", report["by_objective"], "objective"),
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
    frontier = (report.get("analysis") or {}).get("frontier") or {}
    points = [p for p in frontier.get("points", []) if p.get("status") in SOLVED]
    if points:
        x = [sum(p["budget"].values()) for p in points]
        here = sum(run.problem.get("budget", {}).values())
        out["frontier"] = charts.line_chart(
            x,
            {"best value": [p["objective"] for p in points]},
            title="Efficient frontier: value against total budget",
            xlabel="Total budget (all periods)",
            ylabel="Value",
            marker_point=(here, run.objective_value or 0.0, "this scenario"),
            fmt=fmt,
        )
    robust = report.get("robustness") or []
    if robust:
        out["robustness"] = charts.bar_chart(
            [f"{r['ref']} {r['title'][:28]}" for r in robust],
            {"selected in % of samples": [100 * r["frequency"] for r in robust]},
            title="Robustness: how often each idea is selected when values vary",
            horizontal=True,
            size=(7, max(2.0, 0.26 * len(robust) + 0.8)),
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
        dept, theme = _split(r.problem, chosen)
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


def _export_rows(run: Run) -> tuple[list[str], list[list]]:
    periods = run.problem.get("periods", [])
    header = [h for h, _ in _COLUMNS] + [f"Cost {p}" for p in periods]
    rows = [
        [row[key] for _, key in _COLUMNS] + [row["cost_by_period"][p] for p in periods]
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
