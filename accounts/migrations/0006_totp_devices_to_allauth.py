"""Two-factor moves from django-otp to allauth.mfa: every confirmed TOTP device with the settings allauth's TOTP uses
(30-second steps, 6 digits, no offset) becomes that user's allauth TOTP authenticator with the same secret, so its
authenticator app keeps giving valid codes. A device with other settings is left out: its owner sets TOTP up again
on /accounts/2fa/. Recovery codes are generated there too (allauth makes them with a new TOTP; a moved one has none
until its owner asks)."""

import base64

from django.db import migrations


def totp_devices_to_allauth(apps, schema_editor):
    from allauth.mfa.utils import encrypt

    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    Authenticator = apps.get_model("mfa", "Authenticator")
    has_totp = set(Authenticator.objects.filter(type="totp").values_list("user_id", flat=True))
    for device in TOTPDevice.objects.filter(confirmed=True, step=30, digits=6, t0=0).order_by("pk"):
        if device.user_id in has_totp:
            continue
        secret = base64.b32encode(bytes.fromhex(device.key)).decode()
        Authenticator.objects.create(user_id=device.user_id, type="totp", data={"secret": encrypt(secret)})
        has_totp.add(device.user_id)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_allauth_email_addresses"),
        ("mfa", "0003_authenticator_type_uniq"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(totp_devices_to_allauth, migrations.RunPython.noop)]
