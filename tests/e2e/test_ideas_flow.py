"""An employee signs in, writes a draft, submits it and sees it in My ideas; another votes."""

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in


def test_employee_shares_an_idea(page, employee, make_objective, tmp_path):
    make_objective("Reduce operating cost")
    sign_in(page, employee.email, PASSWORD)
    assert page.locator("h1").inner_text().startswith("Hello, Erin")

    page.click("text=+ New idea")
    page.fill("input[name=title]", "Self-service travel expenses")
    page.fill("textarea[name=problem]", "Claims are typed twice.")
    page.fill("textarea[name=proposal]", "A mobile form that reads receipts.")
    page.fill("textarea[name=expected_benefit]", "Two hours saved per claim.")
    page.check("text=Reduce operating cost")
    page.click("input[name=save]")
    expect(page.locator(".alert[role=alert]")).to_contain_text("Draft saved")
    expect(page.locator(".badge", has_text="Draft")).to_have_count(1)

    page.click("text=Edit draft")
    page.click("input[name=submit_idea]")
    expect(page.locator(".alert[role=alert]")).to_contain_text("Submitted for review")
    assert "Draft → Submitted" in page.locator(".timeline").inner_text()
    page.screenshot(path=str(tmp_path / "idea.png"), full_page=True)

    page.goto("/ideas/mine")
    assert "Self-service travel expenses" in page.content()
    assert "Waiting for a business relationship manager" in page.content()


def test_bad_input_is_shown_beside_the_field(page, employee):
    sign_in(page, employee.email, PASSWORD)
    page.goto("/ideas/new")
    page.fill("input[name=title]", "abc")
    page.click("input[name=save]")
    feedback = page.locator("input[name=title] ~ .invalid-feedback")
    assert "between 5 and 200" in feedback.inner_text()


def test_vote_toggles(page, make_user, employee, make_idea):
    idea = make_idea(employee, title="Shared drive clean-up")
    voter = make_user(name="Vera Voter", email="vera@converge.example")
    sign_in(page, voter.email, PASSWORD)
    page.goto(f"/ideas/{idea.id}")
    page.click("button:has-text('Vote')")
    expect(page.locator("button:has-text('Voted · 1')")).to_have_count(1)
    page.click("button:has-text('Voted')")
    expect(page.locator("button:has-text('Vote · 0')")).to_have_count(1)


def test_a_missing_field_is_named_by_its_label_and_its_message_goes_once_filled(page, employee):
    sign_in(page, employee.email, PASSWORD)
    page.goto("/ideas/new")
    page.fill("input[name=title]", "Faster invoice matching")
    page.fill("textarea[name=problem]", "Matching takes days.")
    page.fill("textarea[name=proposal]", "Match on order numbers.")
    page.click("input[name=submit_idea]")
    page.wait_for_load_state("load")  # converge.js listens for the corrections from then on
    message = page.locator("textarea[name=expected_benefit] ~ .invalid-feedback")
    assert message.inner_text() == "Expected benefit is required."
    assert "expected_benefit" not in page.locator("main, body").first.inner_text()
    page.fill("textarea[name=expected_benefit]", "Two days saved a month.")
    assert not message.is_visible()
    assert page.locator("textarea[name=expected_benefit].is-invalid").count() == 0
    page.click("input[name=submit_idea]")
    expect(page.locator(".alert[role=alert]")).to_contain_text("Your idea was submitted")


def test_an_empty_answer_is_refused_on_the_idea_page(page, employee, brm, make_idea):
    from portal.models import IdeaStatus

    idea = make_idea(employee, status=IdeaStatus.NEEDS_INFO, status_reason="Which ERP?")
    sign_in(page, employee.email, PASSWORD)
    page.goto(f"/ideas/{idea.id}")
    page.get_by_role("button", name="Answer", exact=True).click()
    page.wait_for_load_state("load")  # converge.js has put back the page's own address
    feedback = page.locator("#reason-answer ~ .invalid-feedback")
    assert feedback.inner_text() == "Write your answer first."
    assert page.url.endswith(f"/ideas/{idea.id}")  # not /transition/answer
    page.reload()  # reading the page again asks for it, not for the refused post
    assert page.url.endswith(f"/ideas/{idea.id}") and feedback.count() == 0
    page.fill("#reason-answer", "SAP S/4HANA.")
    page.get_by_role("button", name="Answer", exact=True).click()
    expect(page.locator(".alert[role=alert]")).to_contain_text("“In review”")
