"""Suite and SuiteTask are catalogue's now (catalogue 0001): their tables stay, only Django's state drops them here."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("evaluation", "0008_generative_scoring"),
        ("leaderboard", "0010_alter_leaderboardentry_suite_and_more"),
        ("submissions", "0010_alter_modelsubmission_suite"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="suitetask",
                    name="suite",
                ),
                migrations.DeleteModel(
                    name="Suite",
                ),
                migrations.DeleteModel(
                    name="SuiteTask",
                ),
            ]
        )
    ]
