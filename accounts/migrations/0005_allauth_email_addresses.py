"""Local accounts move to django-allauth: each user's address (attached by the old sign-up's confirmation link, or
set by an admin) becomes their verified, primary allauth EmailAddress, so that it logs in, resets the password and
gets mail as before. Users, passwords and API tokens stay where they are. An address two users share (only an admin
could do that) stays with the first of them."""

from django.db import migrations


def email_addresses_from_users(apps, schema_editor):
    User = apps.get_model("auth", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    taken = {email.lower() for email in EmailAddress.objects.values_list("email", flat=True)}
    has_one = set(EmailAddress.objects.values_list("user_id", flat=True))
    rows = []
    for user_id, email in User.objects.exclude(email="").order_by("pk").values_list("pk", "email"):
        if email.lower() in taken or user_id in has_one:
            continue
        taken.add(email.lower())
        rows.append(EmailAddress(user_id=user_id, email=email, verified=True, primary=True))
    EmailAddress.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_hub_identity"),
        ("account", "0009_emailaddress_unique_primary_email"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(email_addresses_from_users, migrations.RunPython.noop)]
