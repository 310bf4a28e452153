"""The demo's department leader signs in, lands on Finance's page, endorses an idea, and the
page holds at desktop and phone width (screenshots of both)."""

import os
from pathlib import Path

import sqlalchemy as sa
from playwright.sync_api import expect

from portal.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo
from portal.extensions import db
from portal.models import Idea, IdeaStatus
from tests.e2e.conftest import sign_in


def _shots(tmp_path) -> Path:
    """Where the screenshots go: PORTAL_SCREENSHOT_DIR to keep them, else the test's folder."""
    folder = Path(os.environ.get("PORTAL_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_leader_signs_in_and_sees_their_department(browser, portal_server, tmp_path):
    load_demo()
    email = next(e for e, role, _ in DEMO_LOGINS if role == "leader")
    shots = _shots(tmp_path)

    context = browser.new_context(base_url=portal_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, email, DEMO_PASSWORD)
    assert page.url.endswith("/leader/")
    assert page.locator("h1").inner_text() == "Hello, Catherine"
    section = page.locator("[data-leader-department]")
    assert section.locator("h2").inner_text() == "Finance"
    assert section.locator("[data-pipeline] [data-waiting]").count() >= 3
    assert "Single sign-on" in section.locator("[data-questions]").inner_text()
    assert section.locator("[data-plan] [data-planned]").count() >= 2
    assert "Catherine" in section.locator("[data-touchpoints]").inner_text()
    assert section.locator("[data-endorsed]").count() >= 1
    page.screenshot(path=str(shots / "leader-home-desktop.png"), full_page=True)

    # Endorse an open Finance idea not endorsed yet, from its page.
    idea = db.session.scalar(
        sa.select(Idea)
        .where(
            Idea.status == IdeaStatus.SUBMITTED,
            Idea.endorsed_at.is_(None),
            Idea.department.has(name="Finance"),
        )
        .limit(1)
    ) or db.session.scalar(
        sa.select(Idea)
        .where(
            Idea.status.in_([IdeaStatus.APPROVED, IdeaStatus.IN_REVIEW]),
            Idea.endorsed_at.is_(None),
            Idea.department.has(name="Finance"),
        )
        .limit(1)
    )
    page.goto(f"/ideas/{idea.id}")
    page.click("button:has-text('Endorse as department leader')")
    expect(page.locator(".alert[role=alert]")).to_contain_text("Endorsed")
    expect(page.locator("[data-endorsed]")).to_have_count(1)
    expect(page.locator("button:has-text('Withdraw endorsement')")).to_have_count(1)
    context.close()

    phone = browser.new_context(base_url=portal_server, viewport={"width": 390, "height": 844})
    page = phone.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, email, DEMO_PASSWORD)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / "leader-home-390.png"), full_page=True)
    phone.close()
