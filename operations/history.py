"""An upgrade across the migrations' rewrite: a database made by the old migrations takes the new ones as applied.

Until the layers of issue 20 the apps' migrations grew one by one, and some pointed up the layers (evaluation 0002 ->
submissions 0001 -> evaluation 0001; accounts <-> api). They were rewritten as one initial migration per app, making
the same tables. A database made by the old ones has their schema but another history, so before ``migrate`` runs
(operations' ``migrate`` command), ``history_rewrite`` recognises that history, checks that every table and column the
new migrations make is there, then records the new migrations as applied in place of the old ones, gives the tables
the old migrations renamed the names of constraints, indexes and sequences a new install gives them, and moves the
content types of models that changed app (their permissions and admin history with them).

A database whose history stops before the old migrations' end is refused: migrate it with the last release before the
rewrite first. So is one that ran migrations neither set knows (a development branch's).
"""

import re
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from pipeline.intake import checks_resend

# Every migration of the apps at the last release before the rewrite (commit a94b5ec).
RELEASED: dict[str, tuple[str, ...]] = {
    "accounts": (
        "0001_apitoken_from_api",
        "0002_apitoken_table",
        "0003_apitoken_scope_expiry",
        "0004_hub_identity",
        "0005_allauth_email_addresses",
        "0006_totp_devices_to_allauth",
    ),
    "api": ("0001_api_tokens", "0002_apitoken_to_accounts"),
    "evaluation": (
        "0001_initial",
        "0002_initial",
        "0003_run_attempts_routing_progress",
        "0004_run_events",
        "0005_suitetask_aliases",
        "0006_subject_breakdowns",
        "0007_sample_index_covers_comparisons",
        "0008_generative_scoring",
    ),
    "leaderboard": (
        "0001_initial",
        "0002_entry_metadata_flags",
        "0003_score_arrays_ranks",
        "0004_ranking_order_indexes",
        "0005_ranking_version",
        "0006_ranking_version_related_name",
        "0007_intervals_bands_setting",
        "0008_unflagged_count_index",
        "0009_entry_format_gap_co2",
    ),
    "submissions": (
        "0001_initial",
        "0002_priority",
        "0003_quotas_trusted_orgs_blocked_models",
        "0004_precision_labels",
        "0005_modelsubmission_imported",
        "0006_checking",
        "0007_think_end_token",
        "0008_by_organisation",
        "0009_votes",
    ),
}
RELEASED_KEYS = {(app, name) for app, names in RELEASED.items() for name in names}
# Tables the old migrations made under another name ({first name: name now}): their constraints, indexes and sequence
# still carry the first name, where a new install's carry the table's.
RENAMED_TABLES = {"api_apitoken": "accounts_apitoken"}
# Django's generated names: <table>_<column>_<8 hex digits of a hash of both><suffix>.
HASHED_NAME = re.compile(r"^(?P<column>.+)_[0-9a-f]{8}(?P<suffix>_like|_uniq|_fk_.+)?$")


def project_apps() -> set[str]:
    """The labels of this project's apps (not Django's or third parties'), and of those the old migrations had."""
    base = Path(settings.BASE_DIR).resolve()
    return {c.label for c in apps.get_app_configs() if Path(c.path).resolve().is_relative_to(base)} | set(RELEASED)


def _schema_gaps(connection, state_apps, labels: set[str]) -> list[str]:
    """The tables and columns the new migrations make that the database lacks."""
    gaps = []
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        for model in state_apps.get_models(include_auto_created=True):
            meta = model._meta
            if meta.app_label not in labels or not meta.managed or meta.proxy:
                continue
            if meta.db_table not in tables:
                gaps.append(f"table {meta.db_table}")
                continue
            columns = {c.name for c in connection.introspection.get_table_description(cursor, meta.db_table)}
            gaps += [
                f"column {meta.db_table}.{f.column}" for f in meta.local_concrete_fields if f.column not in columns
            ]
    return gaps


def _content_types_move(connection, state_apps, labels: set[str]) -> int:
    """Point the content types of models that moved between the project's apps to their new app; how many."""
    with connection.cursor() as cursor:
        if "django_content_type" not in connection.introspection.table_names(cursor):
            return 0
        homes: dict[str, list[str]] = {}
        for model in state_apps.get_models():
            if model._meta.app_label in labels:
                homes.setdefault(model._meta.model_name, []).append(model._meta.app_label)
        cursor.execute("SELECT app_label, model FROM django_content_type")
        existing = set(cursor.fetchall())
        moved = 0
        for app_label, model in sorted(existing):
            home = homes.get(model, [])
            if app_label in labels and app_label not in home and len(home) == 1 and (home[0], model) not in existing:
                cursor.execute(
                    "UPDATE django_content_type SET app_label = %s WHERE app_label = %s AND model = %s",
                    [home[0], app_label, model],
                )
                moved += 1
        return moved


def _name_for(editor, old_table: str, table: str, name: str) -> str | None:
    """The name a new install gives what the old migrations named ``name`` on ``old_table``; None when ``name`` is
    not one of the generated names."""
    if not name.startswith(f"{old_table}_"):
        return None
    rest = name[len(old_table) + 1 :]
    hashed = HASHED_NAME.match(rest)
    if not hashed:
        return f"{table}_{rest}"  # Postgres's: <table>_pkey, <table>_<column>_key, _not_null, _id_seq
    column, suffix = hashed["column"], hashed["suffix"] or ""
    if editor._create_index_name(old_table, [column], suffix=suffix) != name:
        return None
    return editor._create_index_name(table, [column], suffix=suffix)


def _renamed_tables_names(connection) -> int:
    """Give the constraints, indexes and sequences of RENAMED_TABLES a new install's names; how many."""
    renamed = 0
    with connection.schema_editor(atomic=False) as editor, connection.cursor() as cursor:
        quote = editor.quote_name
        for old_table, table in RENAMED_TABLES.items():
            cursor.execute("SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s)", [table])
            for (name,) in cursor.fetchall():
                if new := _name_for(editor, old_table, table, name):
                    cursor.execute(f"ALTER TABLE {quote(table)} RENAME CONSTRAINT {quote(name)} TO {quote(new)}")
                    renamed += 1
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s", [table]
            )
            for (name,) in cursor.fetchall():
                if new := _name_for(editor, old_table, table, name):
                    cursor.execute(f"ALTER INDEX {quote(name)} RENAME TO {quote(new)}")
                    renamed += 1
            cursor.execute(
                "SELECT relname FROM pg_class WHERE relkind = 'S' AND relnamespace = current_schema()::regnamespace "
                "AND relname = %s",
                [f"{old_table}_id_seq"],
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f"ALTER SEQUENCE {quote(name)} RENAME TO {quote(f'{table}_id_seq')}")
                renamed += 1
    return renamed


def history_rewrite(connection) -> str | None:
    """Take a database made by the old migrations over to the new ones (see above); what was done, or None where
    there was nothing to do (a new database, or one made or taken over by the new migrations). CommandError when the
    database is at an older or unknown state: nothing is changed then."""
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return None
    applied = set(recorder.applied_migrations())
    labels = project_apps()
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    new = {key for key in loader.disk_migrations if key[0] in labels}
    if not applied & (RELEASED_KEYS - new):
        return None
    missing = sorted(RELEASED_KEYS - applied)
    if missing:
        raise CommandError(
            "This database's migrations stop before those of the last release before the migrations were rewritten "
            f"(not applied: {', '.join('.'.join(key) for key in missing)}). Migrate it with that release first "
            "(commit a94b5ec: `manage.py migrate`), then with this one."
        )
    unknown = sorted(key for key in applied if key[0] in labels and key not in RELEASED_KEYS | new)
    if unknown:
        raise CommandError(
            "This database ran migrations that neither the old nor the new migrations know (a development branch's?): "
            f"{', '.join('.'.join(key) for key in unknown)}. Restore it from a backup made by a release."
        )
    state_apps = loader.project_state().apps
    gaps = _schema_gaps(connection, state_apps, labels)
    if gaps:
        raise CommandError(
            "This database's history is the old migrations', but its schema lacks what they made: "
            f"{', '.join(gaps)}. Restore it from a backup."
        )
    with transaction.atomic(using=connection.alias):
        old = applied & (RELEASED_KEYS - new)
        for app, name in sorted(old):
            recorder.record_unapplied(app, name)
        for app, name in sorted(new - applied):
            recorder.record_applied(app, name)
        renamed = _renamed_tables_names(connection)
        moved = _content_types_move(connection, state_apps, labels)
        checks = checks_resend()  # any queued under the task's old name would fail
    return (
        f"The migrations were rewritten: this database's {len(old)} old migrations are replaced in its history by "
        f"the {len(new - applied)} new ones it already has the schema of; {renamed} name(s) of renamed tables' "
        f"constraints, indexes and sequences are a new install's; {moved} content type(s) moved app; the checks of "
        f"{checks} checking submission(s) sent again under the task's new name."
    )
