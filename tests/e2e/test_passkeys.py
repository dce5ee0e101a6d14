"""Passkeys (allauth.mfa's WebAuthn) in Chromium with a virtual authenticator: a staff user whom two-factor is
required of adds one from the two-factor page, then logs in with it alone, and that session has passed two-factor
(the admin lets it in)."""

import re

from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from tests.factories import verified_user

PASSWORD = "a-long-passphrase-9"


def test_a_passkey_is_added_then_logs_in_on_its_own(page, settings):
    settings.OTP_ADMIN_REQUIRED = True
    user = verified_user(username="pat", password=PASSWORD, is_staff=True)
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {"protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True}
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {**options, "isUserVerified": True}})

    page.goto("/accounts/login/")
    page.fill("input[name=login]", "pat")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:text('Log in')")
    page.wait_for_url(re.compile(r"^(?!.*login)"))

    page.goto("/accounts/2fa/webauthn/add/")
    page.fill("input[name=password]", PASSWORD)  # adding a way in asks for the password again
    page.click("main button[type=submit]")
    page.fill("input[name=name]", "laptop")
    page.check("input[name=passwordless]")
    page.click("#mfa_webauthn_add")
    page.wait_for_url(re.compile(r"^(?!.*webauthn/add)"))
    key = Authenticator.objects.get(user=user, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().name == "laptop" and key.wrap().is_passwordless

    page.click("header button:text('Log out')")
    page.goto("/accounts/login/")
    page.click("#passkey_login")
    page.wait_for_url(re.compile(r"^(?!.*login)"))
    assert page.request.get("/api/me/").json()["username"] == "pat"
    page.goto("/admin/")
    expect(page.locator("h1")).to_have_text("Site administration")
