"""ApiToken now belongs to accounts (see accounts 0001): forget it here without dropping its table."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_api_tokens"),
        ("accounts", "0001_apitoken_from_api"),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="ApiToken")])]
