"""A real Chromium (Debian's, at /usr/bin/chromium) driven by Playwright against a live server.

Screenshots go to artifacts/ at the repository root (git-ignored), kept after the run.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

# Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are plain
# synchronous code all the same.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the browser tests, closed when they end: Playwright's sync API keeps an event loop in the
    main thread, under which later tests' async_to_sync (django-health-check's checks) refuses to run."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium chromium-driver (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
    # Offline by design: any request that leaves the live server fails the test.
    outside = []
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(live_server.url)
            else (outside.append(route.request.url), route.abort())
        ),
    )
    page = context.new_page()
    errors, refused = [], []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # What the Content-Security-Policy blocked: Chromium says so on the console.
    page.on("console", lambda message: "Content Security Policy" in message.text and refused.append(message.text))
    yield page
    context.close()
    assert not outside, f"the page reached outside the site: {outside}"
    assert not errors, f"JavaScript errors: {errors}"
    assert not refused, f"Content-Security-Policy violations: {refused}"


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
