"""At phone width (390 px) no page of the demo company is wider than the screen: tables stack
into cards or scroll inside their own box, and charts shrink with the page."""

import pytest
import sqlalchemy as sa

from portal.demo import DEMO_PASSWORD, load_demo
from portal.extensions import db
from portal.models import Idea, IdeaStatus, Run, Scenario
from tests.e2e.conftest import PHONE, sign_in


@pytest.fixture
def demo(app):
    load_demo()
    first = db.session.scalars(sa.select(Run).order_by(Run.id)).all()
    in_review = db.session.scalar(
        sa.select(Idea).where(Idea.status == IdeaStatus.IN_REVIEW).order_by(Idea.id)
    )
    scenario = db.session.scalar(sa.select(Scenario).order_by(Scenario.id))
    return {
        "idea": db.session.scalar(sa.select(Idea.id).order_by(Idea.id)),
        "in_review": in_review.id,
        "scenario": scenario.id,
        "runs": [run.id for run in first],
    }


def _pages(demo: dict) -> dict[str, list[str]]:
    """The pages each demo login looks at, as that role."""
    runs = demo["runs"]
    return {
        "employee": [
            "/",
            "/ideas/",
            "/ideas/mine",
            "/ideas/new",
            f"/ideas/{demo['idea']}",
            "/notifications",
            "/account/",
            "/campaigns/",
            "/reports/me",
            "/portfolio/plan",
        ],
        "brm": [
            "/",
            "/review/",
            f"/ideas/{demo['in_review']}",
            f"/review/ideas/{demo['in_review']}/estimate",
            "/review/similar",
            "/review/departments",
        ],
        "leader": ["/leader/"],
        "pm": [
            "/portfolio/",
            "/portfolio/scenarios/new",
            f"/portfolio/scenarios/{demo['scenario']}",
            f"/portfolio/runs/{runs[0]}",
            f"/portfolio/compare?run={runs[0]}&run={runs[1]}",
            f"/portfolio/runs/{runs[1]}/adopt",
            f"/portfolio/runs/{runs[1]}/roadmap",
            "/portfolio/plan",
            "/portfolio/plan/roadmap",
            "/reports/",
            "/reports/portfolio",
            "/reports/flow",
            "/reports/value",
            "/reports/workload",
            "/reports/calibration",
            "/delivery/",
            "/review/pools",
            "/review/objectives",
            "/review/objectives/ahp",
        ],
        "admin": ["/admin/users", "/admin/users/new", "/admin/departments", "/transfer/"],
    }


def test_no_page_is_wider_than_a_phone(browser, portal_server, demo):
    too_wide = []
    for login, paths in _pages(demo).items():
        context = browser.new_context(base_url=portal_server, viewport=PHONE)
        page = context.new_page()
        page.set_default_timeout(20_000)
        sign_in(page, f"{login}@converge.example", DEMO_PASSWORD)
        for path in paths:
            response = page.goto(path)
            assert response.status == 200, (login, path, response.status)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                too_wide.append((login, path, width))
        context.close()
    assert too_wide == []


def test_the_review_queue_stacks_into_labelled_cards(browser, portal_server, demo):
    context = browser.new_context(base_url=portal_server, viewport=PHONE)
    page = context.new_page()
    sign_in(page, "pm@converge.example", DEMO_PASSWORD)
    page.goto("/review/")
    row = page.locator("table.queue tbody tr").first
    department = row.locator("td[data-label=Department]")
    assert department.is_visible()
    assert (
        page.evaluate("getComputedStyle(document.querySelector('table.queue tbody tr')).display")
        == "block"
    )
    # The bulk-assign bar and every row's own button are on the screen.
    for locator in (page.get_by_role("button", name="Assign selected"), row.locator("button")):
        box = locator.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    context.close()
