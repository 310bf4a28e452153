"""No Content-Security-Policy violation in a real browser, for any role, on the demo data:
the main pages of each role and the pages whose scripts do something (similar ideas while
writing, the live estimate value, confirmations, select-all, run polling, Swagger UI, the
import preview)."""

import pytest
import sqlalchemy as sa

from portal.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo
from portal.extensions import db
from portal.models import Idea, IdeaStatus, Role, Scenario, User
from tests.e2e.conftest import sign_in


@pytest.fixture
def app_config():
    # Runs go to a background thread, so the run page has to poll until it is done.
    return {
        "SERVER_NAME": None,
        "RUNS_INLINE": False,
        "PORTFOLIO_FRONTIER_POINTS": 3,
        "PORTFOLIO_ROBUSTNESS_SAMPLES": 4,
    }


class Console:
    """What the browser reported: CSP violations apart, and script errors."""

    def __init__(self, page):
        self.violations, self.errors, self.dialogs = [], [], []
        page.on("console", self._message)
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        page.on("dialog", self._dialog)
        self.page = page

    def _message(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.violations.append(f"{self.page.url}: {message.text}")

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()  # the confirmation was asked; go no further


def open_as(browser, portal_server, email):
    context = browser.new_context(base_url=portal_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    console = Console(page)
    sign_in(page, email, DEMO_PASSWORD)
    return context, page, console


def visit_menu(page):
    """Every page the role's menu links to, and the start page."""
    links = page.eval_on_selector_all(
        "nav a.nav-link[href^='/'], nav a.dropdown-item[href^='/']",
        "links => links.map(link => link.getAttribute('href'))",
    )
    for href in ["/", *dict.fromkeys(links)]:
        page.goto(href)
    return links


def first(query):
    return db.session.scalars(query.limit(1)).first()


def test_no_csp_violation_for_any_role(browser, portal_server, tmp_path):
    load_demo()
    logins = {role: email for email, role, _ in DEMO_LOGINS}
    brm = db.session.scalar(sa.select(User).where(User.email == logins["brm"]))
    reviewable = first(
        sa.select(Idea).where(
            Idea.status == IdeaStatus.IN_REVIEW,
            Idea.assignee_id == brm.id,
        )
    )
    shared = first(sa.select(Idea).where(Idea.status == IdeaStatus.SUBMITTED))
    seen = []

    # The listener does see a violation: an injected inline script is refused and reported.
    context, page, console = open_as(browser, portal_server, logins["employee"])
    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.injected = true'; document.body.append(s); }"
        )
    assert console.violations and page.evaluate("window.injected") is None
    console.violations.clear()

    visit_menu(page)
    page.goto("/ideas/new")
    page.fill("#title", shared.title)
    page.fill("#problem", shared.problem)
    page.wait_for_selector("#similar-box:not(.d-none) #similar-list li")
    seen += console.violations + console.errors
    context.close()

    context, page, console = open_as(browser, portal_server, logins["brm"])
    visit_menu(page)
    page.goto("/review/")
    select_all = page.locator("input[data-check-all]")
    if select_all.count():
        select_all.check()
        assert all(box.is_checked() for box in page.locator("input[name=idea_ids]").all())
    page.goto(f"/review/ideas/{reviewable.id}/estimate")
    before = page.locator("#live-value").inner_text()
    page.locator("select.impact").first.select_option("4")
    page.locator("select.impact").last.select_option("0")
    assert page.locator("#live-value").inner_text() != before
    page.goto(f"/ideas/{reviewable.id}")
    page.get_by_role("button", name="Merge").click()
    assert console.dialogs[-1].startswith("Merge this idea")
    assert page.url.endswith(f"/ideas/{reviewable.id}")  # dismissed: nothing was posted
    seen += console.violations + console.errors
    context.close()

    context, page, console = open_as(browser, portal_server, logins["portfolio_manager"])
    visit_menu(page)
    page.goto("/review/objectives")
    page.locator("button[data-confirm]").first.click()
    assert console.dialogs[-1].startswith("Retire")
    page.goto("/review/objectives/ahp")
    # A > B, B > C and C > A: inconsistent, so applying asks first.
    page.locator("select[name=cmp_0_1]").select_option(index=0)
    page.locator("select[name=cmp_1_2]").select_option(index=0)
    last = page.locator("select[name=cmp_0_2] option").count() - 1
    page.locator("select[name=cmp_0_2]").select_option(index=last)
    with page.expect_navigation():
        page.locator("[name=calculate]").click()
    page.locator("[name=apply][data-confirm]").click()
    assert console.dialogs[-1].startswith("The judgements are inconsistent")
    page.goto(f"/portfolio/scenarios/{first(sa.select(Scenario)).id}")
    with page.expect_request("**/status.json"):
        page.get_by_role("button", name="▶ Run").click()  # the run page polls …
    page.wait_for_selector(".chart svg", timeout=180_000)  # … and reloads when it is done
    page.goto("/api/v1/docs")
    page.wait_for_selector(".opblock")
    csv_path = tmp_path / "ideas.csv"
    csv_path.write_text(
        "title,problem,department,proposal,expected_benefit\n"
        f"Imported idea,Month-end takes a week,{reviewable.department.name},Automate,Days saved\n"
    )
    page.goto("/transfer/")
    page.set_input_files("input[type=file]", str(csv_path))
    with page.expect_navigation():
        page.get_by_role("button", name="Upload and check").click()
    assert "/transfer/import/" in page.url
    seen += console.violations + console.errors
    context.close()

    context, page, console = open_as(browser, portal_server, logins["admin"])
    visit_menu(page)
    page.goto("/account/")
    seen += console.violations + console.errors
    context.close()

    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) > 4
    assert {Role(role) for role in logins} == set(Role)
    assert seen == []
