"""The migrations' rewrite: a database made by the old migrations (with data) upgrades with plain ``manage.py
migrate`` to the very schema a new install gets, and one at an older state is refused.

fixtures/released_a94b5ec.sql is ``pg_dump --no-owner --no-privileges`` of a database that the last release before
the rewrite (commit a94b5ec) made: ``manage.py migrate``, ``load_suites``, then a user with a finished run (an event,
a result, a sample), an API token and a flag, made with that release's tests/factories.py.
"""

import os
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django_q.signing import SignedPackage

from operations.backup import pg_binary
from pipeline.intake import CHECKS_TASK
from tests.conftest import database_url

REPO = Path(settings.BASE_DIR)
RELEASED_DUMP = Path(__file__).parent / "fixtures" / "released_a94b5ec.sql"


def _conninfo(name: str) -> dict:
    db = connection.settings_dict
    return {
        "dbname": name,
        "user": db["USER"],
        "host": db["HOST"],
        "port": db.get("PORT") or None,
        "password": db.get("PASSWORD") or None,
    }


def _admin(sql: str) -> None:
    with psycopg.connect(**_conninfo(connection.settings_dict["NAME"]), autocommit=True) as admin:
        admin.execute(sql)


@pytest.fixture
def database(transactional_db):
    """``database()``: a new empty database's name on the test server; all are dropped at the end."""
    made = []

    def make() -> str:
        name = f"upgrade_{uuid.uuid4().hex[:12]}"
        _admin(f'CREATE DATABASE "{name}"')
        made.append(name)
        return name

    yield make
    for name in made:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg(program: str, name: str, *args: str) -> str:
    info = _conninfo(name)
    where = [f"--dbname={info['dbname']}", f"--username={info['user']}", f"--host={info['host']}"]
    if info["port"]:
        where.append(f"--port={info['port']}")
    env = {**os.environ, "PGPASSWORD": info["password"] or ""}
    done = subprocess.run([pg_binary(program), *where, *args], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _restore(name: str, dump: Path) -> None:
    _pg("psql", name, "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", f"--file={dump}")


def _restore_released(name: str) -> None:
    _restore(name, RELEASED_DUMP)


def _dumped_and_restored(name: str, into: str, tmp_path: Path) -> None:
    """``name`` as the fixture was made: through pg_dump and psql (Postgres prints some definitions back in
    another, equivalent form: a partial index's ``IN`` list, for one)."""
    dump = tmp_path / f"{name}.sql"
    dump.write_text(_pg("pg_dump", name, "--no-owner", "--no-privileges", "--format=plain"))
    _restore(into, dump)


def _migrate(name: str) -> subprocess.CompletedProcess:
    url = database_url().rsplit("/", 1)[0] + f"/{name}"
    return subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=REPO,
        env={**os.environ, "DATABASE_URL": url, "SECRET_KEY": settings.SECRET_KEY},
        capture_output=True,
        text=True,
        timeout=600,
    )


def _query(name: str, sql: str) -> list[tuple]:
    with psycopg.connect(**_conninfo(name)) as db:
        return db.execute(sql).fetchall()


def _schema(name: str) -> dict[str, Counter]:
    """Everything of the public schema but the order of columns: tables, columns and their types, constraints and
    indexes (with their names and definitions), sequences."""
    return {
        "tables": Counter(_query(name, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")),
        "columns": Counter(
            _query(
                name,
                "SELECT table_name, column_name, data_type, character_maximum_length, numeric_precision, is_nullable, "
                "column_default, is_identity, identity_generation FROM information_schema.columns "
                "WHERE table_schema = 'public'",
            )
        ),
        "constraints": Counter(
            _query(
                name,
                "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid), condeferrable, "
                "condeferred FROM pg_constraint WHERE connamespace = 'public'::regnamespace",
            )
        ),
        "indexes": Counter(
            _query(name, "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        ),
        "sequences": Counter(
            _query(name, "SELECT sequencename, data_type FROM pg_sequences WHERE schemaname = 'public'")
        ),
    }


def _schema_differences(one: str, other: str) -> dict[str, tuple[list, list]]:
    """What each database's schema has that the other's has not, by kind."""
    a, b = _schema(one), _schema(other)
    return {kind: (sorted(a[kind] - b[kind]), sorted(b[kind] - a[kind])) for kind in a if a[kind] != b[kind]}


def _history(name: str) -> set[tuple]:
    return set(_query(name, "SELECT app, name FROM django_migrations"))


def test_a_released_database_upgrades_with_migrate_to_a_new_installs_schema_keeping_its_data(database, tmp_path):
    released, new_install, fresh = database(), database(), database()
    _restore_released(released)
    seeded = _query(
        released,
        "SELECT u.username, s.model_id, r.status, t.task, t.value, k.name, f.model_id FROM auth_user u "
        "JOIN submissions_modelsubmission s ON s.user_id = u.id JOIN evaluation_evalrun r ON r.submission_id = s.id "
        "JOIN evaluation_taskresult t ON t.run_id = r.id JOIN accounts_apitoken k ON k.user_id = u.id "
        "JOIN leaderboard_flag f ON f.user_id = u.id",
    )
    assert seeded  # the fixture holds data

    upgrade = _migrate(released)
    assert upgrade.returncode == 0, upgrade.stderr
    assert _migrate(new_install).returncode == 0
    _dumped_and_restored(new_install, fresh, tmp_path)

    assert _schema_differences(released, fresh) == {}
    assert _history(released) == _history(fresh)
    content_types = "SELECT app_label, model FROM django_content_type"
    assert set(_query(released, content_types)) == set(_query(fresh, content_types))  # moved models' moved app
    assert (
        _query(
            released,
            "SELECT u.username, s.model_id, r.status, t.task, t.value, k.name, f.model_id FROM auth_user u "
            "JOIN submissions_modelsubmission s ON s.user_id = u.id JOIN evaluation_evalrun r ON r.submission_id = s.id "
            "JOIN evaluation_taskresult t ON t.run_id = r.id JOIN accounts_apitoken k ON k.user_id = u.id "
            "JOIN leaderboard_flag f ON f.user_id = u.id",
        )
        == seeded
    )
    again = _migrate(released)
    assert again.returncode == 0 and "No migrations to apply" in again.stdout


def test_a_database_older_than_the_last_release_is_refused_unchanged(database):
    older = database()
    _restore_released(older)
    _query(older, "DELETE FROM django_migrations WHERE app = 'submissions' AND name = '0009_votes' RETURNING id")
    before = _history(older)

    refused = _migrate(older)

    assert refused.returncode != 0
    assert "stop before those of the last release" in refused.stderr and "submissions.0009_votes" in refused.stderr
    assert _history(older) == before


def test_a_database_that_ran_migrations_neither_set_knows_is_refused_unchanged(database):
    branch = database()
    _restore_released(branch)
    _query(
        branch,
        "INSERT INTO django_migrations (app, name, applied) VALUES ('rankings', '0002_content_types_from_leaderboard', "
        "now()) RETURNING id",
    )
    before = _history(branch)

    refused = _migrate(branch)

    assert refused.returncode != 0
    assert "neither the old nor the new migrations know" in refused.stderr
    assert "rankings.0002_content_types_from_leaderboard" in refused.stderr
    assert _history(branch) == before


def test_the_upgrade_sends_the_checks_of_a_checking_submission_again_under_the_tasks_new_name(database):
    released = database()
    _restore_released(released)
    (pk,) = _query(released, "UPDATE submissions_modelsubmission SET status = 'CHECKING' RETURNING id")[0]

    upgrade = _migrate(released)

    assert upgrade.returncode == 0, upgrade.stderr
    assert "the checks of 1 checking submission(s) sent again" in upgrade.stdout
    queued = [SignedPackage.loads(payload) for (payload,) in _query(released, "SELECT payload FROM django_q_ormq")]
    assert [(task["func"], task["args"], task["cluster"]) for task in queued] == [
        (CHECKS_TASK, (pk,), settings.CHECKS_CLUSTER)
    ]
