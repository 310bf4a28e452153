"""The charts of a run and of a comparison, drawn with the shared `portal.charts` helpers.

A run's SVG charts are drawn by its job and kept on the run (`Run.charts`); pages show the
kept ones and draw (without keeping) only for runs that have none for their analysis state.
"""

import functools
import json

import sqlalchemy as sa
from markupsafe import Markup

from portal import charts
from portal.extensions import db
from portal.models import ResourcePool, Run
from portal.portfolio.problem import SOLVED
from portal.portfolio.report import chart_data, objective_shares_of


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


def page_charts(
    run: Run, analysis_state: str | None, names=None, kept_text: str | None = None
) -> dict[str, Markup]:
    """SVG markup of a solved run's charts for a page, from the run's kept charts.

    The job keeps them right after the result and again with the analysis. While the
    analysis is pending the kept ones are shown (none yet: the page says they are being
    drawn). Otherwise, when none are kept for the current state (a run from before they
    were kept, or a job that died), they are drawn for this view only: a page never writes.
    Kept charts are the run's record and stay as they were drawn.

    `kept_text`: the kept charts as their stored JSON text (the run page reads them so), for
    `_kept_markup` to turn into markup once per text rather than on every view.
    """
    if kept_text is not None:
        kept_analysis, has_svg, markup = _kept_markup(kept_text)
    else:
        stored = run.charts or {}
        kept_analysis, has_svg, markup = stored.get("analysis"), "svg" in stored, None
    if not (has_svg and kept_analysis == analysis_state) and analysis_state != "pending":
        markup = _markup(draw_charts(run, problem=run.problem, result=run.result or {})["svg"])
    elif markup is None:
        markup = _markup(stored.get("svg") or {})
    return {name: svg for name, svg in markup.items() if names is None or name in names}


def _markup(svgs: dict[str, str]) -> dict[str, Markup]:
    return {name: charts.as_svg_markup(body.encode("utf-8")) for name, body in svgs.items()}


@functools.lru_cache(maxsize=16)
def _kept_markup(text: str) -> tuple[str | None, bool, dict[str, Markup]]:
    """(analysis state, whether any SVG is kept, markup by name) of kept charts' JSON text.
    The same text always gives the same markup, so the run page decodes about 80 KB of JSON
    and scans every chart once per process, not on every view (a tenth of its CPU)."""
    stored = (json.loads(text) if text else None) or {}
    return stored.get("analysis"), "svg" in stored, _markup(stored.get("svg") or {})


def _draw(data: dict, problem: dict, objective: float | None, fmt: str) -> dict[str, bytes]:
    """Draw every chart `data` (from `chart_data`) has something for, in `fmt`."""
    out: dict[str, bytes] = {}
    spend = data["spend"]
    out["spend"] = charts.budget_chart(
        [p for p, _, _ in spend],
        [s for _, s, _ in spend],
        [b for _, _, b in spend],
        title="Spend against budget",
        ylabel="spend",
        fmt=fmt,
    )
    units = (
        dict(db.session.execute(sa.select(ResourcePool.name, ResourcePool.unit)).all())
        if data["usage"]
        else {}
    )
    for n, (pool, rows) in enumerate(sorted(data["usage"].items()), start=1):
        out[f"capacity-{n}"] = charts.budget_chart(
            [p for p, _, _ in rows],
            [u for _, u, _ in rows],
            [c for _, _, c in rows],
            title=f"{pool}: use against capacity",
            ylabel=f"used ({units[pool]})" if units.get(pool) else f"{pool} used",
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
            xlabel="Total budget, all periods",
            ylabel="Value (points)",
            marker_point=(here, objective or 0.0, "this scenario"),
            fmt=fmt,
        )
    robust = data.get("robustness") or []
    if robust:
        out["robustness"] = charts.bar_chart(
            [f"{r['ref']} {r['title']}" for r in robust],
            {"selected in % of samples": [100 * r["frequency"] for r in robust]},
            title="Robustness: how often each idea is selected when values vary",
            ylabel="selected in % of samples",
            percent_axis=True,
            horizontal=True,
            fmt=fmt,
        )
    return out


def plan_spend_chart(commitments: list[dict], fmt: str = "svg") -> bytes:
    """The plan page's spend chart: what the plan commits per period (`service.commitments`:
    this plan's ideas on top of the earlier plans' that stay) against the budget."""
    return charts.budget_chart(
        [c["period"] for c in commitments],
        [c["run"] for c in commitments],
        [c["budget"] for c in commitments],
        earlier=[c["earlier"] for c in commitments],
        title="Spend against budget",
        ylabel="spend",
        fmt=fmt,
    )


def comparison_charts(data: dict, fmt: str = "svg") -> dict[str, bytes]:
    """The comparison page's charts: spend per period, value by department and objective."""
    labels = data["labels"]
    out = {
        "spend": charts.bar_chart(
            data["periods"],
            {
                lab: [c["spend"].get(p) or 0 for p in data["periods"]]
                for lab, c in zip(labels, data["columns"], strict=True)
            },
            title="Spend per period",
            ylabel="spend",
            fmt=fmt,
        )
    }
    if data["departments"]:
        out["departments"] = charts.bar_chart(
            [d for d, _, _ in data["departments"]],
            {lab: [v[k] for _, v, _ in data["departments"]] for k, lab in enumerate(labels)},
            title="Value by department",
            ylabel="value points",
            fmt=fmt,
        )
    if data["objectives"]:
        out["objectives"] = charts.bar_chart(
            [t for t, _, _ in data["objectives"]],
            {lab: [v[k] for _, v, _ in data["objectives"]] for k, lab in enumerate(labels)},
            title="Value by objective",
            ylabel="value points",
            fmt=fmt,
        )
    return out
