"""The API's Swagger UI works under the site's Content-Security-Policy (no inline script)."""

import pytest

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_api_docs_render_under_the_csp(page):
    response = page.goto("/api/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock-summary-path", timeout=30_000)  # the operations, read from the schema
    assert page.locator(".opblock-summary-path").count() > 10
    screenshot(page, "api-docs")
