"""Submission intake under hostile and concurrent input (issue 11): the web request does only what is cheap and
bounded, the hub checks run on the "checks" cluster in a limited child process, revisions are branches, tags and
commits of main, and the hub being down is said so."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from django.contrib.auth.models import User
from django.core import mail
from huggingface_hub import constants
from rest_framework.test import APIClient

from pipeline.intake import submission_check
from submissions.models import ModelSubmission, Status
from tests.conftest import REPO, database_url, wait_for
from tests.submissions.test_pages import form, text

MB = 1024 * 1024
BILLION_LAUGHS = "\n".join(
    [
        "---",
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{b}: &{b} [*{a},*{a},*{a},*{a},*{a},*{a},*{a},*{a},*{a}]"
            for a, b in zip("abcdefgh", "bcdefghi", strict=True)
        ),
        "license: *i",
        "---",
        "",
    ]
)
# Each hostile model, and the words its refusal must contain.
HOSTILE = {
    "i11-hostile/unclosed-comments": (
        {"README.md": b"---\nlicense: mit\n---\n" + b"<!-- " * (MB // 5)},
        "says too little",
    ),
    "i11-hostile/alias-bomb": ({"README.md": BILLION_LAUGHS.encode()}, "anchors and aliases are not allowed"),
    "i11-hostile/huge-tokenizer": (
        {"tokenizer.json": b'{"pad": "' + b"x" * (50 * MB) + b'"}'},
        "tokenizer.json of i11-hostile/huge-tokenizer is 50.0 MiB; the checks read files of at most 40 MiB",
    ),
    "i11-hostile/long-license": (
        {"README.md": b"---\nlicense: " + b"x" * 10_000 + b"\n---\n" + b"A model card with plenty of words. " * 20},
        "license of i11-hostile/long-license is 10,000 characters",
    ),
    "i11-hostile/remote-code": ({}, "needs trust_remote_code"),
}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def hub_down(monkeypatch):
    """The online source, pointed at a port nobody listens on."""
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{closed_port()}")


def burst(jobs: list[dict], settings) -> dict:
    """Run tests/submissions/burst.py (a fresh process, N threads at once) on the test database."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("burst.py")), json.dumps(jobs)],
        cwd=REPO,
        env={**os.environ, "DATABASE_URL": database_url(), "SECRET_KEY": settings.SECRET_KEY},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return {**json.loads(done.stdout.splitlines()[-1]), "log": done.stderr[-5000:]}


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_in_a_fresh_process(hub, suites, settings):
    settings.SUBMISSION_QUOTA_PER_USER, settings.SUBMISSION_QUOTA_PER_ORG = 5, 1000
    models = [f"i11-burst/m{i}" for i in range(20)]
    for model_id in models:
        hub.build(model_id)
    users = [User.objects.create_user(f"burst{i}") for i in range(20)]

    one_model = burst([{"username": user.username, "model_id": models[0]} for user in users], settings)
    codes = [o["status"] for o in one_model["outcomes"]]
    assert all(code < 500 for code in codes), one_model["log"]
    assert sorted(codes) == [302] + [400] * 19
    assert ModelSubmission.objects.filter(model_id=models[0]).count() == 1
    assert one_model["imported"] == []

    busy = User.objects.create_user("burst-busy")
    many_models = burst([{"username": busy.username, "model_id": model_id} for model_id in models], settings)
    codes = [o["status"] for o in many_models["outcomes"]]
    assert all(code < 500 for code in codes) and codes.count(302) == 5 and codes.count(400) == 15
    assert ModelSubmission.objects.filter(user=busy).count() == 5
    assert many_models["imported"] == []


@pytest.mark.django_db(transaction=True)
def test_hostile_models_are_refused_by_the_checks_with_their_own_message(hub, suites, user, start_cluster, client):
    for model_id, (files, _) in HOSTILE.items():
        hub.build(model_id, files=files, remote_code=model_id.endswith("remote-code"))
    cluster = start_cluster("checks", Q_WORKERS="2", HF_HUB_OFFLINE="1")
    client.force_login(user)
    client.get("/submit/")  # the site's first request loads its URLs and templates
    for model_id in HOSTILE:
        started = time.perf_counter()
        response = client.post("/submit/", form(model_id))
        assert response.status_code == 302 and time.perf_counter() - started < 1.0, model_id

    submissions = ModelSubmission.objects.filter(model_id__in=HOSTILE)
    assert set(submissions.values_list("status", flat=True)) <= {Status.CHECKING, Status.REJECTED}
    peak = {}

    def all_refused():
        for process in [psutil.Process(cluster.pid), *psutil.Process(cluster.pid).children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):  # a checks child that just ended
                peak[process.pid] = max(peak.get(process.pid, 0), process.memory_info().rss)
        return not submissions.filter(status=Status.CHECKING).exists()

    wait_for(all_refused, timeout=600, what="the checks of every hostile model")
    for submission in submissions:
        words = HOSTILE[submission.model_id][1]
        assert submission.status == Status.REJECTED and words in submission.failure_reason, submission.failure_reason
        assert len(submission.failure_reason) <= 2000 and len(json.dumps(submission.facts)) < 2000
        assert all(len(note) <= 2000 for note in submission.events.values_list("note", flat=True))
        page = client.get(f"/submissions/{submission.pk}/")
        assert words in page.content.decode() and len(page.content) < 100_000
    # the checks child has 4 GiB of address space; the cluster's own processes never load transformers
    assert max(peak.values()) < 4096 * MB


@pytest.mark.django_db
def test_a_submission_is_checking_until_its_checks_pass(hub, suites, user, client):
    hub.build("i11-flow/valid")
    client.force_login(user)
    response = client.post("/submit/", form("i11-flow/valid"), follow=True)
    submission = ModelSubmission.objects.get(model_id="i11-flow/valid")
    assert submission.status == Status.CHECKING and "the hub checks are running" in response.content.decode()
    assert client.get(f"/submissions/{submission.pk}/status.json").json()["status"] == Status.CHECKING
    assert "i11-flow/valid" in client.get("/queue/?status=CHECKING").content.decode()
    assert "checking" in client.get("/accounts/profile/").content.decode()

    assert submission_check(submission.pk) == f"submission {submission.pk}: {Status.PENDING_REVIEW}"
    assert client.get(f"/submissions/{submission.pk}/status.json").json()["status"] == Status.PENDING_REVIEW
    submission.refresh_from_db()
    assert submission.facts["num_params"] > 0 and submission.facts["license"] == "apache-2.0"
    # at-least-once delivery: a second delivery leaves it alone
    assert "nothing to do" in submission_check(submission.pk)
    assert list(submission.events.values_list("to_status", flat=True)) == [Status.CHECKING, Status.PENDING_REVIEW]


@pytest.mark.django_db
def test_a_pull_request_is_refused_saying_why(hub, suites, user, client):
    hub.build("i11-rev/valid")
    client.force_login(user)
    response = client.post("/submit/", form("i11-rev/valid", revision="refs/pr/1"))
    assert response.status_code == 400 and "is a pull request: anyone can open one" in response.content.decode()
    assert not ModelSubmission.objects.exists()


@pytest.mark.django_db
def test_a_commit_outside_mains_history_is_refused(hub, suites, user, client):
    main = hub.build("i11-rev/pr")
    pull_request = hub.build("i11-rev/pr", card_text="Weights someone else pushed in a pull request. " * 5)
    ref_dir = hub.root / "models--i11-rev--pr" / "refs"
    (ref_dir / "main").write_text(main)  # the second commit is only in a pull request
    (ref_dir / "pr").mkdir(exist_ok=True)
    (ref_dir / "pr" / "1").write_text(pull_request)
    client.force_login(user)
    response = client.post("/submit/", form("i11-rev/pr", revision=pull_request))
    assert response.status_code == 400
    assert f"Commit {pull_request[:7]} is not in the history of i11-rev/pr's main branch" in text(response)
    assert client.post("/submit/", form("i11-rev/pr", revision=main)).status_code == 302


@pytest.mark.django_db
def test_the_hub_unreachable(hub, suites, user, client, hub_down):
    client.force_login(user)
    response = client.post("/submit/", form("i11-down/valid"))
    assert (
        response.status_code == 503
        and "The Hugging Face hub did not answer (ConnectError)" in response.content.decode()
    )
    api = APIClient()
    api.force_authenticate(user)
    response = api.post("/api/submissions/", form("i11-down/valid"), format="json")
    assert response.status_code == 503 and "did not answer" in response.json()["detail"]
    assert not ModelSubmission.objects.exists()


@pytest.mark.django_db
def test_checks_that_cannot_reach_the_hub_are_retried_then_fail_saying_so(
    hub, suites, user, submit, settings, monkeypatch
):
    hub.build("i11-down/valid")
    submission = submit(user, "i11-down/valid", check_now=False)  # resolved while the hub answered
    settings.CHECKS_ATTEMPTS, settings.CHECKS_RETRY_S = 2, 0
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    submission_check(submission.pk)
    submission.refresh_from_db()
    assert submission.status == Status.REJECTED
    assert submission.failure_reason.startswith("The hub checks could not run: The Hugging Face hub did not answer")
    assert "(2 attempts)" in submission.failure_reason


@pytest.mark.django_db
def test_a_refusal_is_on_the_page_the_profile_the_api_and_in_an_email(
    hub, suites, user, client, submit, django_capture_on_commit_callbacks
):
    hub.build("i11-flow/no-license", license=None)
    submission = submit(user, "i11-flow/no-license", check_now=False)
    with django_capture_on_commit_callbacks(execute=True):
        submission_check(submission.pk)
    submission.refresh_from_db()
    said = "The model card of i11-flow/no-license has no license"
    assert submission.status == Status.REJECTED and said in submission.failure_reason
    client.force_login(user)
    assert said in text(client.get(f"/submissions/{submission.pk}/"))
    assert said in text(client.get("/accounts/profile/"))
    api = APIClient()
    api.force_authenticate(user)
    assert said in api.get(f"/api/submissions/{submission.pk}/").json()["failure_reason"]
    assert [m.to for m in mail.outbox] == [
        [user.email]
    ] and f"The hub checks refused i11-flow/no-license: {said}" in mail.outbox[0].body
