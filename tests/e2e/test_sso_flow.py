"""Single sign-on in Chromium: the button on the sign-in page (desktop and phone width), the
provider's own sign-in page, back signed in with the role from the groups, and the offer to
sign out of the provider too."""

import os
from pathlib import Path

import pytest

from tests.conftest import PROVIDER_WARNINGS, sso_config

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
