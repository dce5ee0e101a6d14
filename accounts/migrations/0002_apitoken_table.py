from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_apitoken_from_api"),
        ("api", "0002_apitoken_to_accounts"),
    ]

    operations = [migrations.AlterModelTable(name="apitoken", table=None)]
