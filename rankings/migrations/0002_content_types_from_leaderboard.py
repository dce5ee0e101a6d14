"""The app was `leaderboard` until it was split: on a database made before, its content types move to this app,
and with them the permissions on its models granted to users and groups (``rankings.change_leaderboardentry``) and the admin's history."""

from django.db import migrations

MODELS = ["leaderboardentry", "rankingversion"]


def content_types_rename(apps, old: str, new: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not content_type.objects.filter(app_label=new, model=model).exists():
            content_type.objects.filter(app_label=old, model=model).update(app_label=new)


def forwards(apps, schema_editor):
    content_types_rename(apps, "leaderboard", "rankings")


def backwards(apps, schema_editor):
    content_types_rename(apps, "rankings", "leaderboard")


class Migration(migrations.Migration):
    dependencies = [
        ("rankings", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
