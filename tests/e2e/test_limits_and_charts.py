"""In the browser: limits people can see (a counter, the text kept whole, the server's field
error with the limit), a draft parked with only its title and the fields submitting needs
marked, and charts whose text stays at 11 px or more on a desktop and on a phone."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from portal.demo import DEMO_PASSWORD, load_demo
from portal.extensions import db
from portal.models import Run
from tests.conftest import PASSWORD
from tests.e2e.conftest import DESKTOP, PHONE, assert_no_sideways_scroll, new_context, sign_in

# Each chart's smallest text as drawn on the screen (font size times the SVG's scale), and
# how wide the chart is against the box it sits in.
CHART_TEXT = """() => Array.from(document.querySelectorAll('.chart svg')).map(svg => {
  const sizes = Array.from(svg.querySelectorAll('text')).filter(t => t.getBBox().width)
    .map(t => { const m = t.getScreenCTM(); return parseFloat(getComputedStyle(t).fontSize)
      * Math.hypot(m.a, m.b); });
  const box = svg.parentElement;
  return {label: (svg.getAttribute('aria-label') || '').slice(0, 40),
          smallest: Math.min(...sizes), width: svg.getBoundingClientRect().width,
          room: box.clientWidth, drawn: svg.width.baseVal.value};
})"""


def test_a_long_text_is_counted_kept_whole_and_refused_with_its_limit(page, employee):
    sign_in(page, employee.email, PASSWORD)
    page.goto("/ideas/new")
    counter = page.locator("#problem-limit")
    assert counter.inner_text() == "0 / 5,000 characters"
    page.fill("input[name=title]", "Paste a long problem statement")
    page.fill("textarea[name=problem]", "x" * 5001)  # as pasted: one change, the whole text
    assert counter.inner_text() == "5,001 / 5,000 characters — 1 too many"
    assert "text-danger" in counter.get_attribute("class")
    assert len(page.input_value("textarea[name=problem]")) == 5001  # nothing cut
    page.click("input[name=save]")
    feedback = page.locator("textarea[name=problem] ~ .invalid-feedback")
    assert "At most 5,000 characters; this text has 5,001." in feedback.inner_text()
    assert len(page.input_value("textarea[name=problem]")) == 5001  # given back whole


def test_a_draft_parks_with_only_its_title_and_marks_what_submitting_needs(page, employee):
    sign_in(page, employee.email, PASSWORD)
    page.goto("/ideas/new")
    for name in ("title", "problem", "proposal", "expected_benefit"):
        field = page.locator(f"[name={name}]")
        assert field.get_attribute("aria-required") == "true", name
        label = page.locator(f"label[for={name}]")
        marker = label.evaluate("l => getComputedStyle(l, '::after').content")
        assert "*" in marker, name
    page.fill("input[name=title]", "Half-written idea about invoices")
    page.click("input[name=save]")
    expect(page.locator(".alert[role=alert]")).to_contain_text("Draft saved")
    page.click("text=Edit draft")
    page.click("input[name=submit_idea]")
    feedback = page.locator("textarea[name=problem] ~ .invalid-feedback")
    expect(feedback).to_have_count(1)
    assert feedback.inner_text()


def test_forms_mark_the_fields_they_cannot_go_without(page, pm):
    """A form drawn field by field (here: a new campaign) marks its required fields before
    anything is sent, and only those."""
    sign_in(page, pm.email, PASSWORD)
    page.goto("/campaigns/new")
    for name, needed in (
        ("title", True),
        ("question", True),
        ("opens_on", True),
        ("closes_on", True),
        ("context", False),
        ("budget_envelope", False),
    ):
        label = page.locator(f"label[for={name}]")
        marker = label.evaluate("l => getComputedStyle(l, '::after').content")
        assert ("*" in marker) is needed, name


@pytest.fixture
def demo_runs(app):
    load_demo()
    return [r.id for r in db.session.scalars(sa.select(Run).order_by(Run.id))]


def test_chart_text_stays_legible_on_a_desktop_and_a_phone(browser, portal_server, demo_runs):
    pages = [
        f"/portfolio/runs/{demo_runs[1]}",
        f"/portfolio/compare?run={demo_runs[0]}&run={demo_runs[1]}&run={demo_runs[2]}",
        "/portfolio/plan/roadmap",
        "/reports/portfolio",
        "/reports/pipeline",
    ]
    for viewport in (DESKTOP, PHONE):
        context, page = new_context(browser, portal_server, viewport)
        sign_in(page, "pm@converge.example", DEMO_PASSWORD)
        for path in pages:
            page.goto(path)
            assert_no_sideways_scroll(page)
            charts = page.evaluate(CHART_TEXT)
            assert charts, path
            for chart in charts:
                assert chart["smallest"] >= 10.9, (viewport, path, chart)
                assert chart["label"], (path, chart)  # a text alternative
                # A chart is as wide as its box allows, or as narrow as its text allows.
                legible = chart["drawn"] * 0.75
                assert chart["width"] <= max(chart["room"], legible) + 1, (path, chart)
                if chart["room"] < chart["drawn"]:
                    assert chart["width"] < chart["drawn"], (path, chart)  # it shrank
        context.close()
