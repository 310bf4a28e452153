"""Dashboard pictures: each function turns one report into inline SVG charts."""

from markupsafe import Markup

from portal import charts, workflow
from portal.reports import service


def _svg(data: bytes) -> Markup:
    return charts.as_svg_markup(data)


def pipeline(report: service.PipelineReport) -> list[Markup]:
    if not report.departments and not any(sum(r.values()) for r in report.trend.values()):
        return []
    states = [
        s
        for s in workflow.SUBMITTED_ONCE
        if report.total(s) or any(r.get(s) for r in report.trend.values())
    ]
    out = []
    if report.departments:
        out.append(
            _svg(
                charts.bar_chart(
                    report.departments,
                    {
                        s.label: [report.counts[d].get(s, 0) for d in report.departments]
                        for s in states
                    },
                    title="Ideas by state and department",
                    ylabel="ideas",
                    stacked=True,
                    horizontal=True,
                    legend_outside=True,
                    size=(
                        charts.WIDTH - charts.HORIZONTAL_LABELS,
                        0.8 + 0.45 * max(len(report.departments), 5),
                    ),
                )
            )
        )
    out.append(
        _svg(
            charts.bar_chart(
                report.months,
                {s.label: [report.trend[m].get(s, 0) for m in report.months] for s in states},
                title="State of the pipeline at each month's end",
                ylabel="ideas",
                stacked=True,
                legend_outside=True,
                size=(6, 3.2),
            )
        )
    )
    return out


def flow(report: service.FlowReport) -> list[Markup]:
    out = []
    for title, rows in (("By department", report.by_department), ("By BRM", report.by_brm)):
        if rows:
            out.append(
                _svg(
                    charts.bar_chart(
                        [r.group for r in rows],
                        {"median": [r.median for r in rows], "p90": [r.p90 for r in rows]},
                        title=f"Days from submission to decision — {title.lower()}",
                        ylabel="days",
                        horizontal=True,
                        size=(
                            charts.WIDTH - charts.HORIZONTAL_LABELS,
                            0.6 + 0.5 * max(len(rows), 2),
                        ),
                    )
                )
            )
    return out


def workload(report: service.WorkloadReport) -> list[Markup]:
    if not report.rows:
        return []
    return [
        _svg(
            charts.bar_chart(
                [r.brm for r in report.rows],
                {
                    "open reviews": [r.open_reviews for r in report.rows],
                    "unclaimed": [r.unclaimed for r in report.rows],
                    "overdue": [r.overdue for r in report.rows],
                    "touchpoints": [r.touchpoints for r in report.rows],
                },
                title="Workload per BRM",
                horizontal=True,
                size=(
                    charts.WIDTH - charts.HORIZONTAL_LABELS,
                    0.6 + 0.6 * max(len(report.rows), 2),
                ),
            )
        )
    ]


def portfolio(report: service.PortfolioReport) -> list[Markup]:
    if report.run is None:
        return []
    out = []
    if report.periods:
        out.append(
            _svg(
                charts.budget_chart(
                    report.periods,
                    [report.planned[p] for p in report.periods],
                    [report.budget.get(p) for p in report.periods],
                    title="Planned spend against budget",
                    ylabel="cost",
                )
            )
        )
        if any(report.actual.values()):
            out.append(
                _svg(
                    charts.bar_chart(
                        report.periods,
                        {
                            "budget": [report.budget.get(p) or 0 for p in report.periods],
                            "planned": [report.planned[p] for p in report.periods],
                            "actual": [report.actual[p] for p in report.periods],
                        },
                        title="Budget, planned and actual spend",
                        ylabel="cost",
                    )
                )
            )
    for title, rows in (("department", report.by_department), ("objective", report.by_objective)):
        if rows:
            out.append(
                _svg(
                    charts.dual_bar_chart(
                        [g.name for g in rows],
                        ("estimated value", [g.value for g in rows]),
                        ("estimated cost", [g.cost for g in rows]),
                        title=f"Adopted plan by {title}",
                    )
                )
            )
    return out


def value_delivered(report: service.ValueReport) -> list[Markup]:
    out = []
    for title, rows in (("department", report.by_department), ("objective", report.by_objective)):
        if rows:
            out.append(
                _svg(
                    charts.bar_chart(
                        [g.name for g in rows],
                        {
                            "estimated value": [g.estimated_value for g in rows],
                            "realized value": [g.realized_value for g in rows],
                        },
                        title=f"Value by {title} (measured ideas)",
                        ylabel="value points",
                    )
                )
            )
            out.append(
                _svg(
                    charts.bar_chart(
                        [g.name for g in rows],
                        {
                            "estimated cost": [g.estimated_cost for g in rows],
                            "actual cost": [g.actual_cost for g in rows],
                        },
                        title=f"Cost by {title} (ideas with actual costs)",
                        ylabel="cost",
                    )
                )
            )
    measured = [i for i in report.ideas if i.measured]
    if measured:
        out.append(
            _svg(
                charts.scatter_chart(
                    [(i.estimated_value, i.realized_value, i.reference) for i in measured],
                    title="Realized against estimated value per idea",
                    xlabel="estimated value",
                    ylabel="realized value",
                    diagonal=True,
                )
            )
        )
    return out


def calibration(report: service.CalibrationReport) -> list[Markup]:
    out = []
    rows = [r for r in report.rows if r.value_n]
    if rows:
        out.append(
            _svg(
                charts.bias_chart(
                    [r.estimator for r in rows],
                    [r.value_bias for r in rows],
                    [r.value_spread for r in rows],
                    title="Value: realized minus estimated (points)",
                    xlabel="bias ± spread (points)",
                )
            )
        )
    rows = [r for r in report.rows if r.cost_n]
    if rows:
        out.append(
            _svg(
                charts.bias_chart(
                    [r.estimator for r in rows],
                    [r.cost_bias * 100 for r in rows],
                    [r.cost_spread * 100 if r.cost_spread is not None else None for r in rows],
                    title="Cost: actual against estimated (%)",
                    xlabel="bias ± spread (% of estimate)",
                )
            )
        )
    return out
