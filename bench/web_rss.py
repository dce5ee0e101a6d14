"""The web process's resident memory (RSS) before and after 100 submissions through the submit form.

Serves the site with gunicorn (one worker, as `make run` does) on the development database, builds 100 tiny
models into a scratch hub cache (HF_HUB_OFFLINE=1), signs in a user (with a quota of its own for them) and posts /submit/ once
per model; prints the worker's RSS (psutil) after start, after a first page and after the 100 submissions. The
submissions it made are deleted at the end. The hub checks are not run (no checks cluster): the web request's
part is what is measured.

    .venv/bin/python bench/web_rss.py [--port 8765]
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import requests

REPO = Path(__file__).resolve().parent.parent
N = 100


def rss_mib(worker: psutil.Process) -> float:
    return worker.memory_info().rss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8765)
    port = parser.parse_args().port
    hf_home = tempfile.mkdtemp(prefix="web-rss-hf-")
    os.environ.update(
        HF_HOME=hf_home, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", DJANGO_SETTINGS_MODULE="config.settings"
    )
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from catalogue.services import suites_load_all
    from devtools.tiny_model import build_tiny_model
    from submissions.models import ModelSubmission, UserQuota

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    suites_load_all()
    models = [f"web-rss/m{i:03d}" for i in range(N)]
    for model_id in models:
        build_tiny_model(model_id, hub_cache=Path(hf_home) / "hub")
    ModelSubmission.objects.filter(model_id__startswith="web-rss/").delete()
    user, _ = get_user_model().objects.get_or_create(username="web-rss-submitter")
    UserQuota.objects.update_or_create(user=user, defaults={"max_submissions": 10 * N, "note": "bench/web_rss.py"})
    session = SessionStore()
    session.update(
        {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
            "_auth_user_hash": user.get_session_auth_hash(),
        }
    )
    session.create()

    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=REPO,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=open(Path(hf_home) / "gunicorn.log", "wb"),  # noqa: SIM115 - the server's, for as long as it runs
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                requests.get(f"{url}/queue/", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.5)
        worker = psutil.Process(server.pid).children()[0]
        print(f"gunicorn worker {worker.pid}: {rss_mib(worker):.0f} MiB after its first page")
        web = requests.Session()
        web.cookies.set(settings.SESSION_COOKIE_NAME, session.session_key)
        page = web.get(f"{url}/submit/")
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if found is None:
            log = (Path(hf_home) / "gunicorn.log").read_text()[-3000:]
            raise SystemExit(f"no submit form at {page.url} ({page.status_code}):\n{log}")
        token = found.group(1)
        before = rss_mib(worker)
        print(f"before the submissions (the submit page served): {before:.0f} MiB")
        codes, started = [], time.perf_counter()
        for model_id in models:
            form = {
                "csrfmiddlewaretoken": token,
                "model_id": model_id,
                "revision": "main",
                "precision": "float32",
                "weight_type": "Original",
                "model_type": "pretrained",
                "suite": "demo-medical",
            }
            codes.append(
                web.post(f"{url}/submit/", data=form, headers={"Referer": url}, allow_redirects=False).status_code
            )
        seconds = time.perf_counter() - started
        after = rss_mib(worker)
        print(f"after {N} submissions ({codes.count(302)} accepted, {seconds / N * 1000:.0f} ms each): {after:.0f} MiB")
        heavy = [m for m in worker.memory_maps() if re.search(r"libtorch|/torch/|/transformers/", m.path)]
        print(f"torch or transformers mapped in the web process: {'yes' if heavy else 'no'}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        ModelSubmission.objects.filter(model_id__startswith="web-rss/").delete()


if __name__ == "__main__":
    main()
