from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_apitoken_table")]

    operations = [
        # Tokens made before scopes could do whatever their owner can: they keep the widest scope.
        migrations.AddField(
            model_name="apitoken",
            name="scope",
            field=models.CharField(
                choices=[
                    ("read", "read: only GET"),
                    ("submit", "submit: also submit, cancel, flag and comment"),
                    ("moderate", "moderate: also approve, reject, requeue and cancel others' submissions (staff)"),
                ],
                default="moderate",
                max_length=10,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(blank=True, help_text="Refused from then on; empty: never expires", null=True),
        ),
    ]
