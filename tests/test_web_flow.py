"""Point 5 of the foundation: sign up, submit, an admin approves, a real cluster evaluates, / ranks it."""

import re

from django.contrib.auth.models import User
from django.http import HttpRequest

from evaluation.models import EvalRun, RunStatus
from submissions.models import ModelSubmission, Status
from tests.conftest import wait_for


def test_submit_approve_evaluate_rank(client, settings, tiny_model, suites, start_cluster, tmp_path):
    model_id, sha = tiny_model
    settings.DEFAULT_SUITE = "demo-medical"
    settings.DATA_DIR = tmp_path  # the web host's disk, which the checks cluster beside it shares
    start_cluster()
    start_cluster("checks", DATA_DIR=str(tmp_path))  # the hub checks' and the downloads' CPU queue

    response = client.post(
        "/accounts/signup/",
        {
            "username": "alice",
            "email": "alice@example.org",
            "password1": "a-long-passphrase-9",
            "password2": "a-long-passphrase-9",
        },
    )
    assert response.status_code == 302
    response = client.get("/submit/")
    assert response.status_code == 200 and b"Before you submit" in response.content
    response = client.post(
        "/submit/",
        {
            "model_id": model_id,
            "revision": "main",
            "precision": "float32",
            "weight_type": "Original",
            "model_type": "pretrained",
            "suite": "demo-medical",
        },
    )
    assert response.status_code == 302, response.content.decode()
    submission = ModelSubmission.objects.get()
    assert (submission.status, submission.commit_sha, submission.user.username) == (Status.CHECKING, sha, "alice")
    wait_for(
        lambda: ModelSubmission.objects.filter(pk=submission.pk, status=Status.PENDING_REVIEW).exists(),
        timeout=180,
        what="the checks cluster to pass the submission",
    )
    assert model_id.encode() in client.get("/accounts/profile/").content

    User.objects.create_superuser("admin", "admin@example.org", "admin-pass-123")
    client.logout()
    client.login(request=HttpRequest(), username="admin", password="admin-pass-123")  # django-axes needs the request
    response = client.post(
        "/admin/submissions/modelsubmission/", {"action": "approve", "_selected_action": [submission.pk]}
    )
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status in (Status.QUEUED, Status.RUNNING, Status.FINISHED)

    run = wait_for(
        lambda: EvalRun.objects.filter(
            submission=submission, status__in=[RunStatus.FINISHED, RunStatus.FAILED]
        ).first(),
        timeout=300,
        what="the cluster to evaluate the submission",
    )
    assert run.status == RunStatus.FINISHED, run.failure_reason
    submission.refresh_from_db()
    assert submission.status == Status.FINISHED
    assert list(submission.events.values_list("to_status", flat=True)) == [
        Status.CHECKING,
        Status.PENDING_REVIEW,
        Status.QUEUED,
        Status.RUNNING,
        Status.FINISHED,
    ]

    page = client.get("/").content.decode()
    suite_tasks = list(suites["demo-medical"].tasks.all())
    for suite_task in suite_tasks:
        assert suite_task.name in page
    row = re.search(
        rf'<tr[^>]*data-model="{re.escape(model_id)}">.*?<a[^>]*>{re.escape(model_id)}</a>.*?</td>(.*?)</tr>',
        page,
        re.S,
    )
    assert row, "the model's row on /"
    # a score cell: the score, then both ends of its interval (<small>[…–…]</small>)
    cells = re.findall(r"<td[^>]*>\s*([^<]*?)\s*(?:<small[^>]*>[^<]*</small>)?\s*</td>", row.group(1))
    scores = {r.task: r.value for r in run.results.filter(metric="acc", metric_filter="none")}
    expected = [sum(scores[t.task] for t in suite_tasks) / len(suite_tasks)] + [scores[t.task] for t in suite_tasks]
    assert cells[: len(expected)] == [f"{value * 100:.1f}" for value in expected]

    data = client.get("/api/leaderboard/demo-medical/").json()
    assert data["suite"] == "demo-medical" and data["tasks"] == [t.task for t in suite_tasks]
    [entry] = data["rows"]
    assert entry["model"] == model_id and entry["revision"] == sha and entry["precision"] == "float32"
    assert entry["scores"] == {t.task: scores[t.task] for t in suite_tasks}
    assert entry["average"] == expected[0]

    # The run's download was built by the checks cluster when the run finished, and is served as that file.
    built = wait_for(
        lambda: next((tmp_path / "downloads").glob(f"run-{run.pk}-*.zip"), None),
        timeout=120,
        what="the checks cluster to build the run's download",
    )
    before = built.stat()
    response = client.get(f"/runs/{run.pk}/download.zip")
    assert response.status_code == 200 and b"".join(response.streaming_content) == built.read_bytes()
    assert (built.stat().st_ino, built.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
