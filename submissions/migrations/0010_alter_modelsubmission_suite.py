"""The suite a submission is for is catalogue's now: the same table and constraint, only Django's state moves."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0001_initial"),
        ("submissions", "0009_votes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="modelsubmission",
                    name="suite",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="submissions", to="catalogue.suite"
                    ),
                ),
            ]
        )
    ]
