"""``python tests/submissions/burst.py JOBS_JSON``: N threads of a freshly started process (nothing of the site
imported before the first request) each POST /submit/ once through Django's test client, all released at once.

JOBS_JSON: [{"username": ..., "model_id": ...}, ...]. Prints one JSON line: the status codes, the bodies of
any 5xx, each request's seconds, and which of torch, transformers and lm_eval the process imported."""

import json
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402

setup_test_environment()  # the test client's host, and emails kept in memory
# as the tests' own process: static files without the manifest `collectstatic` writes
override_settings(
    STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
).enable()
jobs = json.loads(sys.argv[1])
users = {u.username: u for u in User.objects.filter(username__in=[job["username"] for job in jobs])}
barrier = threading.Barrier(len(jobs))
outcomes = [None] * len(jobs)


def submit(i: int) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(users[jobs[i]["username"]])
    form = {
        "model_id": jobs[i]["model_id"],
        "revision": "main",
        "precision": "float32",
        "weight_type": "Original",
        "model_type": "pretrained",
        "suite": "demo-medical",
    }
    try:
        barrier.wait()
        started = time.perf_counter()
        response = client.post("/submit/", form)
        body = response.content.decode(errors="replace")[-2000:] if response.status_code >= 500 else ""
        outcomes[i] = {"status": response.status_code, "seconds": time.perf_counter() - started, "body": body}
    finally:
        connection.close()


threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(jobs))]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
heavy = sorted(name for name in ("torch", "transformers", "lm_eval") if name in sys.modules)
print(json.dumps({"outcomes": outcomes, "imported": heavy}))
