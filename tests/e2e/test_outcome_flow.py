"""The whole path in a browser: an employee submits two ideas, a BRM estimates and approves
them, a portfolio manager runs a scenario whose budget fits one and adopts the plan, and the
employee sees both outcomes, in the plan and left out with the run's reason."""

import os
import shutil

from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Idea, IdeaStatus
from tests.conftest import PASSWORD
from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    assert_no_sideways_scroll,
    new_context,
    sign_in,
)


def _shoot(page, tmp_path, name: str) -> None:
    """A full-page screenshot, also kept in PORTAL_SCREENSHOTS when that folder is set."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if folder := os.environ.get("PORTAL_SCREENSHOTS"):
        os.makedirs(folder, exist_ok=True)
        shutil.copy(path, os.path.join(folder, path.name))


def test_employee_sees_in_and_out_outcomes_with_the_reason(
    browser, portal_server, employee, brm, pm, make_objective, tmp_path
):
    make_objective("Improve customer experience", weight=2)

    # The employee submits two ideas.
    context, page = new_context(browser, portal_server)
    sign_in(page, employee.email, PASSWORD)
    for title in ("Customer portal for order status", "Chatbot for delivery questions"):
        page.goto("/ideas/new")
        page.fill("input[name=title]", title)
        page.fill("textarea[name=problem]", "Customers call to ask where their order is.")
        page.fill("textarea[name=proposal]", "Show the order status online.")
        page.fill("textarea[name=expected_benefit]", "Fewer calls.")
        page.check("text=Improve customer experience")
        page.click("input[name=submit_idea]")
        expect(page.locator(".alert[role=alert]")).to_contain_text("was submitted")
    context.close()
    db.session.rollback()
    portal, chatbot = (
        db.session.scalar(db.select(Idea).where(Idea.title == t))
        for t in ("Customer portal for order status", "Chatbot for delivery questions")
    )

    # The BRM claims, estimates and approves both: the portal is worth more.
    context, page = new_context(browser, portal_server)
    sign_in(page, brm.email, PASSWORD)
    for idea, impact in ((portal, "3"), (chatbot, "2")):
        page.goto("/review/")
        row = page.locator("tr", has_text=idea.title)
        with page.expect_navigation():
            row.get_by_role("button", name="Claim").click()
        page.goto(f"/review/ideas/{idea.id}/estimate")
        page.select_option("select.impact", impact)
        page.fill("input[name=capex_2027]", "300000")
        with page.expect_navigation():
            page.get_by_role("button", name="Save as version 1").click()
        page.goto(f"/ideas/{idea.id}")
        page.get_by_role("button", name="Approve as candidate").click()
        expect(page.locator(".alert[role=alert]")).to_contain_text("“Approved”")
    context.close()

    # The portfolio manager runs a scenario with room for one and adopts it.
    context, page = new_context(browser, portal_server)
    sign_in(page, pm.email, PASSWORD)
    page.goto("/portfolio/scenarios/new")
    page.fill("input[name=name]", "FY27")
    page.fill("input[name=periods]", "2027")
    page.fill("textarea[name=budget]", "2027: 500k")
    page.get_by_role("button", name="Save scenario").click()
    page.get_by_role("button", name="▶ Run").click()
    page.wait_for_selector("text=Adopt as plan…")
    page.click("text=Adopt as plan…")
    with page.expect_navigation():
        page.get_by_role("button", name="Adopt the plan").click()
    expect(page.locator(".alert[role=alert]")).to_contain_text("have been told the outcome")
    context.close()
    db.session.rollback()
    assert db.session.get(Idea, portal.id).status == IdeaStatus.SELECTED
    assert db.session.get(Idea, chatbot.id).status == IdeaStatus.APPROVED

    # The employee hears of both and reads why one was left out, on desktop and phone.
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context, page = new_context(browser, portal_server, viewport)
        sign_in(page, employee.email, PASSWORD)
        if name == "desktop":  # news waits in the badge until the inbox is opened
            assert int(page.locator("[data-unread]").inner_text()) >= 2  # the two outcomes
        page.goto("/notifications")
        page.wait_for_load_state("networkidle")  # the visit is recorded by a POST
        inbox = page.content()
        assert "In the FY27 plan" in inbox and "Not in the FY27 plan" in inbox
        page.goto(f"/ideas/{portal.id}")
        selected = page.locator("[data-plan-outcome=in]").inner_text()
        assert "In the FY27 plan, starting in 2027." in selected
        assert "starts its delivery" in selected
        page.goto(f"/ideas/{chatbot.id}")
        left_out = page.locator("[data-plan-outcome=out]")
        text = left_out.inner_text()
        assert (
            "Not in the FY27 plan: it needs 300k of the 2027 budget and only 200k is left; "
            "it would enter with a value of"
        ) in text
        assert "stays a candidate for the next portfolio run" in text
        assert page.locator("[data-unread], [data-unread-folded]").count() == 0  # seen
        assert_no_sideways_scroll(page)
        _shoot(page, tmp_path, f"idea-outcome-{name}")
        with page.expect_navigation():
            left_out.get_by_role("link", name="See the plan").click()
        assert "Customer portal for order status" in page.content()
        page.goto("/account/")
        page.locator("#notices").scroll_into_view_if_needed()
        assert_no_sideways_scroll(page)
        _shoot(page, tmp_path, f"account-preferences-{name}")
        context.close()
