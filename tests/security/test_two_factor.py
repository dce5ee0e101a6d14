"""Optional TOTP two-factor log-in to the admin (django-otp): staff with a device give its code; staff without
one are let in as before unless OTP_ADMIN_REQUIRED."""

import pytest
from django.contrib.auth.models import User
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-passphrase-9"
LOGIN = "/admin/login/?next=/admin/"


def code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


@pytest.fixture
def staff(db):
    return User.objects.create_user("mod", password=PASSWORD, is_staff=True, is_superuser=True)


def test_staff_without_a_device_log_in_as_before(client, staff):
    response = client.post(LOGIN, {"username": "mod", "password": PASSWORD})
    assert response.status_code == 302 and client.get("/admin/").status_code == 200


def test_staff_with_a_device_need_its_code(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="phone")
    assert client.post(LOGIN, {"username": "mod", "password": PASSWORD}).status_code == 200  # asks for the code
    assert client.get("/admin/").status_code == 302
    # Signed in on the site without the code, the admin still asks for it.
    client.force_login(staff)
    assert client.get("/admin/").status_code == 302
    ok = client.post(
        LOGIN, {"username": "mod", "password": PASSWORD, "otp_device": device.persistent_id, "otp_token": code(device)}
    )
    assert ok.status_code == 302 and client.get("/admin/").status_code == 200


def test_required_two_factor_keeps_staff_without_a_device_out(client, staff, settings):
    settings.OTP_ADMIN_REQUIRED = True
    client.post(LOGIN, {"username": "mod", "password": PASSWORD})
    assert client.get("/admin/").status_code == 302
