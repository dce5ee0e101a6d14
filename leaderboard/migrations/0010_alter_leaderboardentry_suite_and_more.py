"""The suite of an entry and of a ranking version is catalogue's now: only Django's state moves."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0001_initial"),
        ("leaderboard", "0009_entry_format_gap_co2"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="leaderboardentry",
                    name="suite",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="entries", to="catalogue.suite"
                    ),
                ),
                migrations.AlterField(
                    model_name="rankingversion",
                    name="suite",
                    field=models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="ranking_version",
                        serialize=False,
                        to="catalogue.suite",
                    ),
                ),
            ]
        )
    ]
