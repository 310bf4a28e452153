"""The demo company's campaign pages in a browser, as each person who meets them: the
sponsor, an employee of a department the open campaign asks and one of a department it does
not, a BRM and a department leader; at desktop width and at 390 px (never wider than the
screen), with screenshots kept in $PORTAL_SCREENSHOTS when it is set."""

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from portal.demo import DEMO_PASSWORD, load_demo
from portal.extensions import db
from portal.models import Campaign, CampaignState, Department, Role, User, utcnow
from tests.conftest import PASSWORD
from tests.e2e.conftest import DESKTOP, PHONE, assert_no_sideways_scroll, new_context, sign_in


@pytest.fixture
def demo(app):
    load_demo()
    today = utcnow().date()
    by_state = {c.state_on(today): c for c in db.session.scalars(sa.select(Campaign))}
    service = db.session.scalar(sa.select(Department).where(Department.name == "Customer Service"))
    asked = User(
        role=Role.EMPLOYEE,
        department=service,
        name="Casey Service",
        email="casey@converge.example",
        password_hash=generate_password_hash(PASSWORD),
    )
    db.session.add(asked)
    db.session.commit()
    return {
        "open": by_state[CampaignState.OPEN].id,
        "decided": by_state[CampaignState.DECIDED].id,
        "asked": asked.email,
    }


def _look(page, folder: Path, name: str, path: str) -> str:
    """Open `path` at desktop and phone width, keep both screenshots; the page's text."""
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        response = page.goto(path)
        assert response.status == 200, (name, path, response.status)
        page.screenshot(path=str(folder / f"campaign-{name}-{label}.png"), full_page=True)
        if label == "phone":
            assert_no_sideways_scroll(page)
    page.set_viewport_size(DESKTOP)
    return page.locator("main").inner_text()


def _controls(page) -> set[str]:
    """The names of the buttons and links of the campaign's own card and its updates."""
    names = page.eval_on_selector_all(
        "main .card-footer a, main .card-footer button, main #updates button,"
        " main #updates input[type=submit]",
        "els => els.map(e => (e.innerText || e.value || '').trim())",
    )
    return set(names)


def test_each_person_sees_the_campaigns_meant_for_them(browser, portal_server, demo, tmp_path):
    shots = Path(os.environ.get("PORTAL_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    opened, decided = f"/campaigns/{demo['open']}", f"/campaigns/{demo['decided']}"

    # The sponsor: both campaigns, their actions, the report, a new campaign's form.
    context, page = new_context(browser, portal_server)
    sign_in(page, "pm@converge.example", DEMO_PASSWORD)
    text = _look(page, shots, "sponsor-list", "/campaigns/")
    assert "Serve customers without the wait" in text and "Get paid faster" in text
    text = _look(page, shots, "sponsor-open", opened)
    assert _controls(page) >= {"Close now", "Edit", "Report", "Post update"}
    text = _look(page, shots, "sponsor-decided", decided)
    assert "What became of it" in text and "Thank you for 6 answers" in text
    text = _look(page, shots, "sponsor-report", decided + "/report")
    assert "Participation by department" in page.content() and "All departments" in text
    _look(page, shots, "sponsor-new", "/campaigns/new")
    context.close()

    # An employee the open campaign asks: on the home page, with its form and extra fields.
    context, page = new_context(browser, portal_server)
    sign_in(page, demo["asked"], PASSWORD)
    assert "Serve customers without the wait" in _look(page, shots, "asked-home", "/")
    text = _look(page, shots, "asked-open", opened)
    assert "Answer this campaign" in _controls(page)
    assert not _controls(page) & {"Close now", "Edit", "Report", "Post update"}
    _look(page, shots, "asked-form", f"/ideas/new?campaign={demo['open']}")
    assert page.locator(f"[data-campaign-fields='{demo['open']}']:not(.d-none)").count() == 1
    assert page.locator(f"select[name='campaign-{demo['open']}-channel']").count() == 1
    context.close()

    # An employee of Finance: the decided campaign that asked Finance, not the open one.
    context, page = new_context(browser, portal_server)
    sign_in(page, "employee@converge.example", DEMO_PASSWORD)
    text = _look(page, shots, "outsider-list", "/campaigns/")
    assert "Get paid faster" in text and "Serve customers without the wait" not in text
    assert page.goto(opened).status == 404
    _look(page, shots, "outsider-form", f"/ideas/new?campaign={demo['open']}")
    assert page.locator("[data-campaign-fields]").count() == 0
    assert "Serve customers without the wait" not in page.content()
    text = _look(page, shots, "outsider-decided", decided)
    assert "This campaign takes no more ideas." in text
    context.close()

    # A BRM and a department leader read both or theirs; the BRM reads the report.
    context, page = new_context(browser, portal_server)
    sign_in(page, "brm@converge.example", DEMO_PASSWORD)
    _look(page, shots, "brm-open", opened)
    assert "Report" in _controls(page)
    assert not _controls(page) & {"Close now", "Edit", "Answer this campaign", "Post update"}
    _look(page, shots, "brm-report", opened + "/report")
    page.goto(f"/review/?campaign={demo['open']}")
    assert page.locator("select[name=campaign]").input_value() == str(demo["open"])
    context.close()

    context, page = new_context(browser, portal_server)
    sign_in(page, "leader@converge.example", DEMO_PASSWORD)
    _look(page, shots, "leader-decided", decided)
    assert not _controls(page) & {"Edit", "Report", "Post update", "Answer this campaign"}
    assert page.goto(decided + "/report").status == 403
    assert page.goto(opened).status == 404  # Finance's leader: not asked
    context.close()
