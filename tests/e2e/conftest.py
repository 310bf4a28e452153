"""Browser tests: the portal served on loopback, driven by Playwright in Debian's Chromium."""

import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Werkzeug's development server leaves a static file open when the browser drops the
# connection while the file is being sent (it reads the dead socket before it closes the
# response), and the file is then reported when it is garbage collected. That is the test
# server's own leak, not the portal's: production serves under gunicorn.
DROPPED_STATIC_FILE = (
    r"ignore:Exception ignored in. <_io.(FileIO|BufferedReader) name='[^']*/static/"
    r":pytest.PytestUnraisableExceptionWarning"
)


def pytest_collection_modifyitems(items):
    for item in items:
        if "e2e" in item.nodeid.split("::")[0]:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.filterwarnings(DROPPED_STATIC_FILE))


@pytest.fixture
def app_config():
    # Scenario runs solve inside the request so the browser sees a finished run.
    return {
        "SERVER_NAME": None,
        "RUNS_INLINE": True,
        "PORTFOLIO_FRONTIER_POINTS": 3,
        "PORTFOLIO_ROBUSTNESS_SAMPLES": 4,
    }


@pytest.fixture
def portal_server(app):
    """Serve the test app on a free loopback port in a thread; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (make browser installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, portal_server):
    context = browser.new_context(base_url=portal_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def sign_in(page, email: str, password: str) -> None:
    page.goto("/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url("**/")


DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def new_context(browser, portal_server, viewport=DESKTOP):
    """A fresh browser context (its own cookies) at `viewport`, and its page."""
    context = browser.new_context(base_url=portal_server, viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(30_000)
    return context, page


def assert_no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide"


def screenshots(page, folder, name: str) -> None:
    """Screenshots `<name>-desktop.png` and `<name>-phone.png` in `folder`, with no sideways
    scroll at 390 px; the page is left at desktop width."""
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(folder / f"{name}-{label}.png"), full_page=True)
        if label == "phone":
            assert_no_sideways_scroll(page)
    page.set_viewport_size(DESKTOP)
