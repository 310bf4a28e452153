"""The path of an idea through the portal in a browser: a BRM claims and estimates it,
approves it, a portfolio manager runs a scenario that selects it and adopts the plan."""

import sqlalchemy as sa
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Idea, IdeaStatus, PoolCapacity, ResourcePool
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in


def test_from_review_to_adopted_plan(
    browser, portal_server, employee, brm, pm, make_idea, make_objective, tmp_path
):
    make_objective("Improve customer experience", weight=2)
    pool = ResourcePool(name="Engineering", unit="FTE")
    pool.capacities.append(PoolCapacity(period="2027", capacity=10))
    db.session.add(pool)
    db.session.commit()
    idea = make_idea(employee, title="Customer portal for order status")

    # The BRM claims the idea from the queue and estimates it.
    context = browser.new_context(base_url=portal_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, brm.email, PASSWORD)
    page.goto("/review/")
    row = page.locator("tr", has_text="Customer portal for order status")
    with page.expect_navigation():
        row.get_by_role("button", name="Claim").click()
    page.goto(f"/review/ideas/{idea.id}/estimate")
    page.select_option("select.impact", "3")
    assert page.locator("#live-value").inner_text() == "75.0"
    page.fill("input[name=capex_2027]", "120000")
    with page.expect_navigation():
        page.get_by_role("button", name="Save as version 1").click()
    db.session.rollback()  # a new transaction sees the server's commits
    assert db.session.get(Idea, idea.id).status == IdeaStatus.ESTIMATED
    page.goto(f"/ideas/{idea.id}")
    page.get_by_role("button", name="Approve as candidate").click()
    expect(page.locator(".alert[role=alert]")).to_contain_text("“Approved”")
    context.close()

    # The portfolio manager defines a scenario, runs it and adopts the result.
    context = browser.new_context(base_url=portal_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, pm.email, PASSWORD)
    page.goto("/portfolio/scenarios/new")
    page.fill("input[name=name]", "Next year")
    page.fill("input[name=periods]", "2027")
    page.fill("textarea[name=budget]", "2027: 500k")
    page.get_by_role("button", name="Save scenario").click()
    page.get_by_role("button", name="▶ Run").click()
    page.wait_for_selector("text=Adopt as plan…")
    assert "Customer portal for order status" in page.content()
    page.screenshot(path=str(tmp_path / "run.png"), full_page=True)
    page.click("text=Adopt as plan…")
    with page.expect_navigation():
        page.get_by_role("button", name="Adopt the plan").click()
    db.session.rollback()  # a new transaction sees the server's commits
    assert db.session.get(Idea, idea.id).status == IdeaStatus.SELECTED
    page.goto("/portfolio/plan")
    assert "Customer portal for order status" in page.content()
    context.close()
    assert db.session.scalar(sa.select(sa.func.count(Idea.id))) == 1
