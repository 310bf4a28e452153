"""Issue 13 in a browser on the demo company: an idea whose value ramps up, that hinders an
objective and whose run cost outlives the horizon shows it on its idea page and its estimate
page; the adopted plan's run page shows value over time and the run cost it commits to; the
roadmap shows what lands when. Each page at desktop and 390 px (screenshots of both, no
sideways scroll on the phone)."""

import os
from pathlib import Path

import sqlalchemy as sa

from portal.demo import DEMO_PASSWORD, SCENARIO_NAME, load_demo
from portal.extensions import db
from portal.models import Estimate, Run, Scenario
from portal.portfolio.problem import idea_ref
from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    new_context,
    screenshots,
    sign_in,
)


def _thinking_ahead() -> Estimate:
    """A current demo estimate with value over time, a negative impact and a run cost."""
    estimates = db.session.scalars(
        sa.select(Estimate)
        .where(Estimate.is_current, Estimate.run_cost_per_year > 0)
        .order_by(Estimate.idea_id)
    ).all()
    return next(e for e in estimates if e.value_profile and any(i.impact < 0 for i in e.impacts))


def test_value_and_cost_over_time_and_the_roadmap(browser, portal_server, tmp_path):
    load_demo()
    shots = Path(os.environ.get("PORTAL_SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    estimate = _thinking_ahead()
    idea_id = estimate.idea_id
    plan = db.session.scalar(sa.select(Run).where(Run.adopted_at.is_not(None)))

    context, page = new_context(browser, portal_server)
    sign_in(page, "pm@converge.example", DEMO_PASSWORD)

    # The idea page: TCO, NPV of cost, value over time, and what it hinders later.
    page.goto(f"/ideas/{idea_id}")
    hinders = page.locator("[data-hinders-later]").first
    assert "Hinders" in hinders.inner_text() and "run cost of" in hinders.inner_text()
    assert page.locator("[data-tco]").is_visible() and page.locator("[data-npv]").is_visible()
    assert page.locator("[data-negative]").count() >= 1
    screenshots(page, shots, "time-idea")

    # The estimate page: the value profile, run cost and lifetime; TCO and NPV of the saved
    # version; a negative impact in red.
    page.goto(f"/review/ideas/{idea_id}/estimate")
    assert page.locator("[data-lifecycle]").is_visible()
    assert "TCO" in page.locator("[data-lifecycle]").inner_text()
    assert page.locator("input[name=run_cost_per_year]").input_value() == "180000"
    colours = page.eval_on_selector_all(
        "select.impact", "els => els.map(e => [e.value, getComputedStyle(e).color])"
    )
    red = "rgb(220, 53, 69)"  # Bootstrap's danger
    assert {c for v, c in colours if v.startswith("-")} == {red}
    assert red not in {c for v, c in colours if not v.startswith("-")}
    screenshots(page, shots, "time-estimate")
    page.set_viewport_size(PHONE)  # every digit of an amount stays in sight
    clipped = page.eval_on_selector_all(
        "table.estimate-costs input", "els => els.filter(e => e.scrollWidth > e.clientWidth).length"
    )
    assert clipped == 0
    page.set_viewport_size(DESKTOP)

    # The adopted plan's run page: value per period, the run cost it commits to.
    page.goto(f"/portfolio/runs/{plan.id}")
    in_time = page.locator("[data-plan-in-time]")
    assert "of yearly run cost from" in in_time.inner_text()
    assert page.locator("[data-value-over-time]").is_visible()
    screenshots(page, shots, "time-run")

    # A run that weighs the idea: chosen despite what it hinders, or why it is not in.
    weighing = next(
        r
        for r in db.session.scalars(
            sa.select(Run).join(Scenario).where(Scenario.name == SCENARIO_NAME).order_by(Run.id)
        )
        if any(c["id"] == idea_ref(idea_id) for c in r.problem["candidates"])
    )
    page.goto(f"/portfolio/runs/{weighing.id}")
    chosen = {s["id"] for s in weighing.result["selected"]}
    title = estimate.idea.title
    if idea_ref(idea_id) in chosen:
        said = page.locator("[data-plan-in-time] [data-hinders-later] li", has_text=title)
        assert "selected despite negative impacts" in said.inner_text()
    else:
        said = page.locator("tr", has_text=title).first.inner_text()
        assert "As a value per period it would need" in said, said
    screenshots(page, shots, "time-run-weighing")

    # The roadmap of the run and of the adopted plan: one bar per selected idea.
    page.goto(f"/portfolio/runs/{plan.id}/roadmap")
    bars = page.locator("[data-bar]")
    assert bars.count() == len(plan.result["selected"]) > 0
    assert page.locator("[data-budget-use]").is_visible()
    screenshots(page, shots, "time-roadmap")
    page.goto(f"/portfolio/runs/{plan.id}/roadmap?by=objective")
    assert page.locator("[data-bar]").count() == bars.count()
    context.close()

    # Everyone sees what the adopted plan lands when.
    context, page = new_context(browser, portal_server)
    sign_in(page, "employee@converge.example", DEMO_PASSWORD)
    page.goto("/portfolio/plan/roadmap")
    ours = page.locator("[data-bar]:not([data-earlier-plan])")
    assert ours.count() == len(plan.result["selected"])  # and the earlier plans' that stay
    screenshots(page, shots, "time-plan-roadmap")
    context.close()
