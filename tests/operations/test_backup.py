"""`manage.py backup` then `manage.py restore` into an empty data directory: the restored site answers the same
ranking, model page and run download as the original."""

import json
import os
import subprocess
import sys

from django.conf import settings

from evaluation.export import run_export_file
from pipeline.intake import submission_submit
from pipeline.jobs import delivery_handle
from tests.conftest import REPO, database_url

PAGES = """
import json
from django.test import Client
client = Client()
pages = {}
for path in PATHS:
    response = client.get(path)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    pages[path] = [response.status_code, body.hex()]
print("PAGES" + json.dumps(pages))
"""


def manage(*args: str, **env) -> subprocess.CompletedProcess:
    base = {name: value for name, value in os.environ.items() if name not in ("DATABASE_URL", "SECRET_KEY", "DATA_DIR")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env={**base, "DEBUG": "1", "ALLOWED_HOSTS": "testserver", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def pages(paths: list[str], **env) -> dict:
    """What the site with this environment answers for ``paths`` (in a process of its own, like a host)."""
    shown = manage("shell", "-c", f"PATHS = {paths!r}\n{PAGES}", **env)
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout.split("PAGES", 1)[1])


def test_backup_then_restore_into_an_empty_data_directory_gives_the_same_site(
    transactional_db, tiny_model, suites, tmp_path
):
    model_id, _ = tiny_model
    submission = submission_submit(
        user=None,
        model_id=model_id,
        revision="main",
        precision="float32",
        suite=suites["demo-medical"],
        review=False,
        check_now=True,
    )
    run = submission.runs.get()
    assert delivery_handle(run.pk) == "finished"
    run.refresh_from_db()
    run_export_file(run)  # its download, as the checks cluster builds it
    paths = ["/leaderboards/demo-medical/", f"/models/{model_id}/", f"/runs/{run.pk}/download.zip", "/queue/"]
    original_site = {
        "DATABASE_URL": database_url(),
        "SECRET_KEY": settings.SECRET_KEY,
        "DATA_DIR": str(settings.DATA_DIR),
    }
    original = pages(paths, **original_site)
    assert all(status == 200 for status, _ in original.values()), {p: s for p, (s, _) in original.items()}
    assert model_id.encode() in bytes.fromhex(original["/leaderboards/demo-medical/"][1])  # ranked

    backup = tmp_path / "backup"
    made = manage("backup", str(backup), **original_site)
    assert made.returncode == 0, made.stderr
    manifest = json.loads((backup / "manifest.json").read_text())
    assert "database.dump" in manifest["files"]
    assert any(name.startswith(f"downloads/run-{run.pk}-") for name in manifest["files"])

    data_dir = tmp_path / "restored"
    data_dir.mkdir(mode=0o755)  # the embedded Postgres runs as its own user when we are root
    data_dir.chmod(0o755)
    restored = manage("restore", str(backup), DATA_DIR=str(data_dir))
    assert restored.returncode == 0, restored.stderr
    assert pages(paths, DATA_DIR=str(data_dir)) == original

    again = manage("restore", str(backup), DATA_DIR=str(data_dir))  # into a database that is no longer empty
    assert again.returncode == 1 and "the database is not empty" in again.stderr

    (backup / "downloads" / "extra.zip").write_bytes(b"not from the backup")
    tampered = manage("restore", str(backup), DATA_DIR=str(tmp_path / "other"))
    assert tampered.returncode == 1 and "does not match its manifest: downloads/extra.zip" in tampered.stderr
