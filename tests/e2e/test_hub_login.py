"""Sign in with Hugging Face in Chromium: the log-in page's button, the hub's consent page (a real OpenID Connect
server on localhost standing in for the hub), back on the site signed in, the organisations on the profile."""

import copy
import re

import pytest

from tests.hub_oidc import HubServer, org

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hub(settings):
    server = HubServer().start()
    settings.SOCIALACCOUNT_PROVIDERS = server.providers()
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"] = [*policy["DIRECTIVES"]["form-action"], server.url]  # as HF_OAUTH_URL's
    settings.CONTENT_SECURITY_POLICY = policy
    yield server
    server.stop()


def test_sign_in_with_the_hub_in_chromium(browser, live_server, hub):
    hub.user_set("hf-browser", preferred_username="kim-hf", orgs=[org("acme-health")])
    context = browser.new_context(base_url=live_server.url)
    # Only the site and the stand-in hub: the hub's page asks a CDN for its stylesheet, refused here.
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith((live_server.url, hub.url)) else route.abort(),
    )
    page = context.new_page()
    refused = []
    page.on("console", lambda message: "Content Security Policy" in message.text and refused.append(message.text))
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Log in with Hugging Face").click()
    page.wait_for_url(re.compile(rf"^{re.escape(hub.url)}/oauth2/authorize"))
    page.fill("input[name=sub]", "hf-browser")
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("link", name="kim-hf").is_visible()
    page.goto("/accounts/profile/")
    assert "acme-health" in page.locator("#hub-account").inner_text()
    context.close()
    assert not refused, refused
    assert hub.token_requests and hub.token_requests[0]["code_verifier"]
