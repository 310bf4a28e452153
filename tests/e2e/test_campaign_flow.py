"""A campaign in a browser, from the question to the outcome: a sponsor opens it for two
departments, an employee of one answers with the campaign's extra field, a BRM reviews the
answer from the campaign filter, a portfolio manager runs a campaign scenario within its
envelope and adopts it, and the employee sees what became of the idea. An employee of
another department never sees the campaign's form."""

import os
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Campaign, Idea, IdeaStatus, Notification, Role, utcnow
from tests.conftest import PASSWORD
from tests.e2e.conftest import (
    new_context,
    screenshots,
    sign_in,
)


def test_campaign_from_question_to_outcome(
    browser, portal_server, make_department, make_user, department, employee, brm, pm,
    make_objective, tmp_path,
):  # fmt: skip
    shots = Path(os.environ.get("PORTAL_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    make_objective("Improve cash flow", weight=2)
    sales = make_department("Sales")
    outsider = make_user(Role.EMPLOYEE, dept=make_department("Operations"), name="Olga Ops")
    today = utcnow().date()

    # The sponsor opens a campaign for Finance and Sales, with one extra field.
    context, page = new_context(browser, portal_server)
    sign_in(page, pm.email, PASSWORD)
    page.goto("/campaigns/new")
    page.fill("input[name=title]", "Cut invoice-to-cash time by 20%")
    page.fill("textarea[name=question]", "How can we be paid faster for what we deliver?")
    page.fill("textarea[name=context]", "Cash tied up in receivables costs us every week.")
    page.fill("input[name=opens_on]", str(today))
    page.fill("input[name=closes_on]", str(today + timedelta(days=21)))
    page.fill("input[name=budget_envelope]", "250000")
    page.get_by_label("Finance").check()
    page.get_by_label("Sales").check()
    page.fill("textarea[name=fields]", "Invoices per month: number *")
    with page.expect_navigation():
        page.get_by_role("button", name="Save campaign").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Publish").click()
    assert page.locator("[data-campaign-state]").inner_text() == "Open"
    context.close()
    db.session.rollback()  # a new transaction sees the server's commits
    campaign = db.session.scalar(sa.select(Campaign))
    assert {d.name for d in campaign.departments} == {"Finance", sales.name}

    # An employee of Finance sees it on the home page and answers it.
    context, page = new_context(browser, portal_server)
    sign_in(page, employee.email, PASSWORD)
    assert "Cut invoice-to-cash time by 20%" in page.locator("[data-open-campaigns]").inner_text()
    page.get_by_role("link", name="Answer it").click()
    page.wait_for_selector(f"[data-campaign-fields='{campaign.id}']:not(.d-none)")
    page.fill("input[name=title]", "Invoice on delivery, not at month end")
    page.fill("textarea[name=problem]", "Invoices wait for the month-end run.")
    page.fill("textarea[name=proposal]", "Send each invoice when the delivery note is signed.")
    page.fill("textarea[name=expected_benefit]", "Paid two weeks earlier on average.")
    screenshots(page, shots, "submission-form")
    page.fill(f"input[name='campaign-{campaign.id}-invoices_per_month']", "1200")
    with page.expect_navigation():
        page.get_by_role("button", name="Submit for review").click()
    assert "Your idea was submitted" in page.content()
    context.close()
    db.session.rollback()
    idea = db.session.scalar(sa.select(Idea))
    assert idea.campaign_id == campaign.id
    assert idea.campaign_answers == {"invoices_per_month": 1200}

    # An employee of Operations does not see the campaign, nor its form.
    context, page = new_context(browser, portal_server)
    sign_in(page, outsider.email, PASSWORD)
    assert "Cut invoice-to-cash time" not in page.content()
    page.goto(f"/ideas/new?campaign={campaign.id}")
    assert page.locator("[data-campaign-fields]").count() == 0
    assert "Cut invoice-to-cash time" not in page.content()
    assert page.goto(f"/campaigns/{campaign.id}").status == 404
    context.close()

    # The BRM finds it through the campaign filter, claims, estimates and approves it.
    context, page = new_context(browser, portal_server)
    sign_in(page, brm.email, PASSWORD)
    page.goto("/review/")
    page.select_option("select[name=campaign]", str(campaign.id))
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    row = page.locator("tr", has_text="Invoice on delivery, not at month end")
    with page.expect_navigation():
        row.get_by_role("button", name="Claim").click()
    page.goto(f"/review/ideas/{idea.id}/estimate")
    page.select_option("select.impact", "3")
    page.fill("input[name=capex_2027]", "120000")
    with page.expect_navigation():
        page.get_by_role("button", name="Save as version 1").click()
    page.goto(f"/ideas/{idea.id}")
    page.get_by_role("button", name="Approve as candidate").click()
    expect(page.locator(".alert[role=alert]")).to_contain_text("“Approved”")
    context.close()

    # The portfolio manager runs a scenario over the campaign's ideas within its envelope.
    context, page = new_context(browser, portal_server)
    sign_in(page, pm.email, PASSWORD)
    page.goto("/portfolio/scenarios/new")
    page.fill("input[name=name]", "Invoice-to-cash answers")
    page.fill("input[name=periods]", "2027")
    page.fill("textarea[name=budget]", "2027: 300k")
    page.select_option("select[name=campaign]", str(campaign.id))
    page.get_by_role("button", name="Save scenario").click()
    expect(page.locator("body")).to_contain_text("more than the campaign's envelope")
    page.fill("textarea[name=budget]", "2027: 200k")
    page.get_by_role("button", name="Save scenario").click()
    page.get_by_role("button", name="▶ Run").click()
    page.wait_for_selector("text=Adopt as plan…")
    assert "Invoice on delivery, not at month end" in page.content()
    page.click("text=Adopt as plan…")
    with page.expect_navigation():
        page.get_by_role("button", name="Adopt the plan").click()
    context.close()
    db.session.rollback()
    assert db.session.get(Idea, idea.id).status == IdeaStatus.SELECTED

    # The employee sees the outcome on the campaign page and in the inbox.
    context, page = new_context(browser, portal_server)
    sign_in(page, employee.email, PASSWORD)
    page.goto(f"/campaigns/{campaign.id}")
    outcome = page.locator(f"[data-idea='{idea.id}'] [data-outcome]").inner_text()
    assert "Selected in the adopted portfolio plan." in outcome
    assert "In the Invoice-to-cash answers plan, starting in 2027." in outcome
    assert "Invoices per month: 1200" in page.locator(f"[data-idea='{idea.id}']").inner_text()
    screenshots(page, shots, "campaign-page")
    page.goto("/notifications")
    assert f"IDEA-{idea.id}" in page.content()
    context.close()
    db.session.rollback()
    told = db.session.scalars(
        sa.select(Notification.message).where(Notification.user_id == employee.id)
    ).all()
    assert any(m.startswith(f"{idea.reference} ") and " plan" in m for m in told), told
