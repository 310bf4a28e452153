"""Layout details a user trial caught: the review queue's lists show their choice whole at
desktop width, and the landing page's two buttons line up on a phone."""

from portal.extensions import db
from portal.models import IdeaStatus
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, new_context, sign_in

DESKTOP_1366 = {"width": 1366, "height": 900}

# The width the chosen option's text needs against the room inside its list.
TEXT_AND_ROOM = """select => {
    const style = getComputedStyle(select);
    const probe = document.createElement('span');
    probe.style.font = style.font;
    probe.style.whiteSpace = 'pre';
    probe.style.position = 'absolute';
    probe.textContent = select.options[select.selectedIndex].text;
    document.body.appendChild(probe);
    const text = probe.getBoundingClientRect().width;
    probe.remove();
    const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    const room = select.clientWidth - padding;
    return [text, room];
}"""


def test_the_queue_lists_show_their_choice_whole(browser, portal_server, brm, employee, make_idea):
    brm.covered_departments = [employee.department]
    db.session.commit()
    make_idea(employee, IdeaStatus.SUBMITTED)
    context, page = new_context(browser, portal_server, DESKTOP_1366)
    sign_in(page, brm.email, PASSWORD)
    page.goto("/review/")
    for name in ("view", "department", "campaign", "sort"):
        text, room = page.locator(f"select[name={name}]").evaluate(TEXT_AND_ROOM)
        assert text <= room, (name, text, room)
    context.close()


def test_the_landing_buttons_line_up_on_a_phone(browser, portal_server):
    context, page = new_context(browser, portal_server, PHONE)
    page.goto("/")
    sign_in_box = page.get_by_role("link", name="Sign in").bounding_box()
    create_box = page.get_by_role("link", name="Create an account").bounding_box()
    assert abs(sign_in_box["x"] - create_box["x"]) < 1  # wrapped under it, not indented
    context.close()
