"""Single sign-on in Chromium: the button on the sign-in page (desktop and phone width), the
provider's own sign-in page, back signed in with the role from the groups, and the offer to
sign out of the provider too."""

import os
from pathlib import Path

import pytest

from tests.conftest import PROVIDER_WARNINGS, sso_config
from tests.e2e.conftest import PHONE

pytestmark = PROVIDER_WARNINGS


@pytest.fixture
def app_config(oidc_provider):
    return {"SERVER_NAME": None, **sso_config(oidc_provider)}


def shot(page, tmp_path, name: str) -> None:
    # PORTAL_E2E_SCREENSHOTS keeps the pictures somewhere to look at them.
    folder = Path(os.environ.get("PORTAL_E2E_SCREENSHOTS") or tmp_path)
    page.screenshot(path=str(folder / name), full_page=True)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_sign_in_with_the_provider(
    app, page, browser, portal_server, oidc_provider, department, tmp_path
):
    app.config["PORTAL_BASE_URL"] = portal_server  # the provider sends the browser back here
    oidc_provider.put_user(
        "jamie",
        email="jamie@acme.example",
        email_verified=True,
        name="Jamie Chen",
        department="finance",
        groups=["converge-brm"],
    )
    page.goto("/auth/login")
    assert page.locator("a[data-sso]").inner_text() == "Sign in with Acme ID"
    shot(page, tmp_path, "sso-login-desktop.png")

    phone = browser.new_context(base_url=portal_server, viewport={"width": 390, "height": 844})
    small = phone.new_page()
    small.goto("/auth/login")
    assert small.locator("a[data-sso]").is_visible()
    assert no_sideways_scroll(small)
    shot(small, tmp_path, "sso-login-390.png")
    phone.close()

    page.click("a[data-sso]")
    page.wait_for_url(f"{oidc_provider.issuer}/oauth2/authorize*")
    page.fill("input[name=sub]", "jamie")
    page.click("button:has-text('Authorize')")
    page.wait_for_url(f"{portal_server}/")
    assert page.locator("h1").inner_text().startswith("Hello, Jamie")
    assert "Reports" in page.locator("nav").inner_text()  # a BRM (from the groups) reads them

    page.click("nav >> text=Jamie Chen")
    page.click("text=Sign out")
    page.wait_for_url("**/auth/login")
    offer = page.locator("a[data-idp-logout]")
    assert offer.inner_text() == "Sign out of Acme ID too"
    shot(page, tmp_path, "sso-signed-out.png")
    offer.click()
    page.wait_for_url(f"{oidc_provider.issuer}/oauth2/end_session*")


def test_a_refused_sign_in_and_a_leader_at_phone_width(
    app, browser, portal_server, oidc_provider, department, tmp_path
):
    """An unverified e-mail ends on the sign-in page with its reason; the leader named on
    Finance signs in with the provider at 390 px and lands on Finance's page."""
    app.config["PORTAL_BASE_URL"] = portal_server
    claims = {"name": "Fiona Leader", "department": "Finance", "groups": ["converge-leaders"]}
    oidc_provider.put_user("mallory", email="mallory@acme.example", **claims)  # not verified
    oidc_provider.put_user("fiona", email="fiona@x.example", email_verified=True, **claims)
    for label, viewport in (("desktop", {"width": 1280, "height": 900}), ("390", PHONE)):
        context = browser.new_context(base_url=portal_server, viewport=viewport)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto("/auth/login")
        page.click("a[data-sso]")
        page.fill("input[name=sub]", "mallory")
        with page.expect_response("**/auth/sso/callback*") as answer:
            page.click("button:has-text('Authorize')")
        assert answer.value.status == 401
        alert = page.locator("[data-sso-error]")
        assert "has not verified the e-mail address mallory@acme.example" in alert.inner_text()
        assert alert.is_visible() and no_sideways_scroll(page)
        shot(page, tmp_path, f"sso-refused-{label}.png")
        context.close()

    phone = browser.new_context(base_url=portal_server, viewport=PHONE)
    page = phone.new_page()
    page.set_default_timeout(10_000)
    page.goto("/auth/login")
    page.click("a[data-sso]")
    page.fill("input[name=sub]", "fiona")
    page.click("button:has-text('Authorize')")
    page.wait_for_url(f"{portal_server}/leader/")
    section = page.locator("[data-leader-department]")
    assert section.locator("h2").inner_text() == "Finance"
    assert no_sideways_scroll(page)
    shot(page, tmp_path, "sso-leader-390.png")
    phone.close()
