import pytest
from django.urls import reverse
from rest_framework.throttling import SimpleRateThrottle

from pipeline.intake import submission_check
from submissions.models import ModelSubmission, Status
from tests.factories import ModelSubmissionFactory, SampleLogFactory


def test_submit_with_a_token_uses_the_forms_checks_and_messages(api_for, suites, tiny_model):
    alice = api_for("user")
    response = alice.post(
        reverse("api-submissions"), {"model_id": "../x", "precision": "float32", "suite": "demo-medical"}
    )
    assert response.status_code == 400 and "organisation/name" in response.json()["model_id"][0]
    response = alice.post(reverse("api-submissions"), {"model_id": tiny_model[0], "precision": "fp8", "suite": "nope"})
    assert response.status_code == 400 and set(response.json()) == {"precision", "suite"}
    assert not ModelSubmission.objects.exists()

    response = alice.post(
        reverse("api-submissions"), {"model_id": tiny_model[0], "precision": "float32", "suite": "demo-medical"}
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["commit_sha"] == tiny_model[1] and created["status"] == Status.CHECKING
    submission_check(created["id"])  # as the checks cluster does
    detail = alice.get(reverse("api-submission", args=[created["id"]])).json()
    assert detail["status"] == Status.PENDING_REVIEW and detail["facts"]["num_params"] > 0
    again = alice.post(
        reverse("api-submissions"), {"model_id": tiny_model[0], "precision": "float32", "suite": "demo-medical"}
    )
    assert again.status_code == 400 and "already submitted" in again.json()["model_id"][0]

    assert [s["id"] for s in alice.get(reverse("api-submissions")).json()["results"]] == [created["id"]]
    assert api_for("other").get(reverse("api-submissions")).json()["results"] == []
    assert api_for("other").get(reverse("api-submission", args=[created["id"]])).status_code == 404


def test_the_submitter_cancels_a_queued_submission_but_not_a_running_one(api_for, people):
    alice = api_for("user")
    queued = ModelSubmissionFactory(user=people["user"], status=Status.QUEUED)
    response = alice.post(reverse("api-submission-cancel", args=[queued.pk]))
    assert response.status_code == 200 and response.json()["status"] == Status.CANCELLED
    running = ModelSubmissionFactory(user=people["user"], status=Status.RUNNING)
    response = alice.post(reverse("api-submission-cancel", args=[running.pk]))
    assert response.status_code in (403, 409)
    running.refresh_from_db()
    assert running.status == Status.RUNNING
    assert api_for("staff").post(reverse("api-submission-cancel", args=[running.pk])).status_code == 200


def test_staff_moves_are_refused_from_the_wrong_state(api_for, people):
    staff = api_for("staff")
    finished = ModelSubmissionFactory(user=people["user"], status=Status.FINISHED)
    response = staff.post(reverse("api-submission-approve", args=[finished.pk]))
    assert response.status_code == 409 and response.json()["detail"]
    response = staff.post(reverse("api-submission-reject", args=[ModelSubmissionFactory(user=people["user"]).pk]), {})
    assert response.status_code == 400 and "reason" in response.json()


def test_the_leaderboard_keeps_its_shape_and_pages(api_for, ranked):
    submission, _ = ranked
    data = api_for("anonymous").get(reverse("api-leaderboard", args=["demo-medical"])).json()
    assert data["suite"] == "demo-medical" and data["count"] == 1
    [row] = data["rows"]
    assert row["model"] == submission.model_id and row["revision"] == submission.commit_sha
    assert set(row["scores"]) == set(data["tasks"])
    searched = api_for("anonymous").get(
        reverse("api-leaderboard", args=["demo-medical"]), {"search": "nothing-like-it"}
    )
    assert searched.json()["rows"] == []
    assert api_for("anonymous").get(reverse("api-leaderboard", args=["demo-medical"]), {"page": 9}).status_code == 404


def test_samples_page_with_a_cursor_and_filter_by_outcome(api_for, ranked):
    _, run = ranked
    task = run.submission.suite.tasks.first().task
    for doc_id in range(7):
        SampleLogFactory(run=run, task=task, doc_id=doc_id, doc={"q": doc_id}, metrics={"acc": float(doc_id % 2)})
    api = api_for("anonymous")
    url = reverse("api-samples", args=[run.pk, task])
    first = api.get(url, {"page_size": 3}).json()
    assert [s["doc_id"] for s in first["results"]] == [0, 1, 2]
    second = api.get(first["next"]).json()
    assert [s["doc_id"] for s in second["results"]] == [3, 4, 5]
    correct = api.get(url, {"outcome": "correct"}).json()["results"]
    assert [s["doc_id"] for s in correct] == [1, 3, 5]
    assert api.get(url, {"outcome": "maybe"}).status_code == 400
    assert api.get(reverse("api-samples", args=[run.pk, "no-such-task"])).status_code == 404


@pytest.fixture
def low_rates(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/min", "user": "5/min"})


def test_throttling_answers_429_with_retry_after(api_for, suites, low_rates):
    anonymous, alice = api_for("anonymous"), api_for("user")
    assert [anonymous.get(reverse("api-suites")).status_code for _ in range(3)] == [200] * 3
    response = anonymous.get(reverse("api-suites"))
    assert response.status_code == 429 and 0 < int(response["Retry-After"]) <= 60
    assert [alice.get(reverse("api-suites")).status_code for _ in range(5)] == [200] * 5  # users count apart
    assert alice.get(reverse("api-suites")).status_code == 429
