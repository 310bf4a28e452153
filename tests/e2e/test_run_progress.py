"""The run page in a browser while the explanations come in: the selection is there at once,
the "why not in" card fills in part by part without reloading the page, and the page stops
polling when they are all in; at phone width and on the desktop."""

import threading

import pytest

from portal.portfolio import explanations
from tests.conftest import PASSWORD
from tests.e2e.conftest import DESKTOP, PHONE, assert_no_sideways_scroll, new_context, sign_in

# The portfolio factories, through `request.getfixturevalue`.
from tests.portfolio.conftest import (  # noqa: F401
    make_candidate,
    make_estimate,
    make_scenario,
    objective,
    search_small_problems,
)

pytestmark = pytest.mark.usefixtures("search_small_problems")


@pytest.fixture
def app_config():
    """Runs in the background thread, one idea per part, no frontier or robustness."""
    return {
        "SERVER_NAME": None,
        "RUNS_INLINE": False,
        "REDIS_URL": None,
        "PORTFOLIO_EXPLAIN_PART": 1,
        "PORTFOLIO_FRONTIER_POINTS": 0,
        "PORTFOLIO_ROBUSTNESS_SAMPLES": 0,
    }


def test_reasons_fill_in_while_the_selection_stays_on_the_page(
    request, browser, portal_server, pm, monkeypatch
):
    candidate = request.getfixturevalue("make_candidate")
    big = candidate(4, 200.0)
    candidate(3, 150.0)
    candidate(2, 100.0)
    candidate(1, 100.0)
    scenario = request.getfixturevalue("make_scenario")(budget={"2027": 250.0})
    explain = explanations.explain
    turns = threading.Semaphore(0)  # one part may be worked per release

    def explain_in_turn(*args):
        assert turns.acquire(timeout=60), "the test never let the part through"
        return explain(*args)

    monkeypatch.setattr(explanations, "explain", explain_in_turn)
    context, page = new_context(browser, portal_server, DESKTOP)
    phone_context, phone = new_context(browser, portal_server, PHONE)
    try:
        sign_in(page, pm.email, PASSWORD)
        sign_in(phone, pm.email, PASSWORD)
        page.goto(f"/portfolio/scenarios/{scenario.id}")
        page.get_by_role("button", name="▶ Run").click()
        card = page.locator("[data-not-selected]")
        card.get_by_text("0 of 4 ideas explained").wait_for()
        assert page.locator("[data-selected]").is_visible()
        assert page.locator("[data-limit=binding]").get_by_text("used up").is_visible()
        page.evaluate("window.notReloaded = true")
        phone.goto(page.url)
        assert phone.locator("[data-explaining]").is_visible()
        assert_no_sideways_scroll(phone)

        turns.release()  # the first part: the most valuable idea left out
        card.get_by_text("1 of 4 ideas explained").wait_for()
        row = card.locator("tr", has_text=big.title)
        assert "would need a value of at least 125" in row.inner_text()
        assert page.evaluate("window.notReloaded === true")  # swapped in, not reloaded
        assert_no_sideways_scroll(page)

        for _ in range(3):
            turns.release()
        # All in: the page reloads once more and stops polling.
        page.locator("script[src*='run-status.js']").wait_for(state="detached")
        assert page.locator("[data-explaining]").count() == 0
        assert "being worked out" not in card.inner_text()
        # The phone polls too and reloads itself once all is in (a reload of our own could
        # race that one): wait for it to stop polling.
        phone.locator("script[src*='run-status.js']").wait_for(state="detached")
        assert (
            "would need a value of at least 125"
            in phone.locator("[data-not-selected]").inner_text()
        )
        assert_no_sideways_scroll(phone)
    finally:
        for _ in range(4):
            turns.release()
        context.close()
        phone_context.close()
