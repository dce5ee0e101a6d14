"""Moderation in the Django admin: each bulk action, the submission page, quotas, trusted organisations, blocks."""

import pytest
from django.contrib.admin.models import LogEntry

from evaluation.models import EvalRun, RunStatus
from pipeline.intake import submission_approve
from submissions.models import (
    BlockedModel,
    ModelSubmission,
    Organisation,
    Status,
    UserQuota,
)
from submissions.transitions import submission_transition
from tests.factories import ModelSubmissionFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/submissions/modelsubmission/"


@pytest.fixture
def moderator(client, staff):
    client.force_login(staff)
    return client


def act(client, action: str, submissions, **extra):
    return client.post(CHANGELIST, {"action": action, "_selected_action": [s.pk for s in submissions], **extra})


def statuses(*submissions):
    return [ModelSubmission.objects.get(pk=s.pk).status for s in submissions]


def test_approve(moderator, user, staff):
    pending = ModelSubmissionFactory(user=user, model_id="org/a")
    finished = ModelSubmissionFactory(user=user, model_id="org/b", status=Status.FINISHED)
    response = act(moderator, "approve", [pending, finished])
    assert response.status_code == 302
    assert statuses(pending, finished) == [Status.QUEUED, Status.FINISHED]
    assert EvalRun.objects.get().submission_id == pending.pk
    assert pending.events.get().actor == staff
    messages = [str(m) for m in moderator.get(CHANGELIST).context["messages"]]
    assert any("1 submission(s) approved" in m for m in messages)
    assert any("a finished submission cannot be approved" in m for m in messages)


def test_reject_asks_for_a_reason_then_rejects(moderator, user, mailoutbox, django_capture_on_commit_callbacks):
    a, b = ModelSubmissionFactory(user=user, model_id="org/a"), ModelSubmissionFactory(user=user, model_id="org/b")
    page = act(moderator, "reject", [a, b])
    assert page.status_code == 200 and b"Reject 2 pending submissions" in page.content
    assert statuses(a, b) == [Status.PENDING_REVIEW] * 2

    no_reason = act(moderator, "reject", [a, b], apply="Reject", reason="  ")
    assert no_reason.status_code == 200 and b"This field is required" in no_reason.content
    assert statuses(a, b) == [Status.PENDING_REVIEW] * 2

    with django_capture_on_commit_callbacks(execute=True):
        done = act(moderator, "reject", [a, b], apply="Reject", reason="Not a <em>medical</em> model.")
    assert done.status_code == 302
    assert statuses(a, b) == [Status.REJECTED] * 2
    assert ModelSubmission.objects.get(pk=a.pk).failure_reason == "Not a <em>medical</em> model."
    assert sorted(m.subject for m in mailoutbox) == ["[leaderboard] org/a: rejected", "[leaderboard] org/b: rejected"]
    assert "Not a <em>medical</em> model." in mailoutbox[0].body


def test_requeue(moderator, user):
    failed = ModelSubmissionFactory(user=user, status=Status.FAILED, failure_reason="out of GPU memory")
    running = ModelSubmissionFactory(user=user, status=Status.RUNNING)
    act(moderator, "requeue", [failed, running])
    assert statuses(failed, running) == [Status.QUEUED, Status.RUNNING]
    assert ModelSubmission.objects.get(pk=failed.pk).failure_reason == ""
    assert EvalRun.objects.get().submission_id == failed.pk


def test_cancel(moderator, user, staff):
    queued = ModelSubmissionFactory(user=user)
    submission_approve(queued, actor=staff)
    pending, finished = ModelSubmissionFactory(user=user), ModelSubmissionFactory(user=user, status=Status.FINISHED)
    act(moderator, "cancel", [queued, pending, finished])
    assert statuses(queued, pending, finished) == [Status.CANCELLED, Status.CANCELLED, Status.FINISHED]
    assert EvalRun.objects.get(submission=queued).status == RunStatus.CANCELLED


def test_raise_priority(moderator, user):
    a = ModelSubmissionFactory(user=user, model_id="org/a", priority=2)
    b = ModelSubmissionFactory(user=user, model_id="org/b")
    act(moderator, "raise_priority", [a, b])
    assert list(ModelSubmission.objects.order_by("model_id").values_list("priority", flat=True)) == [3, 1]
    assert LogEntry.objects.filter(change_message="priority raised to 3").exists()


def test_a_submission_page_shows_facts_history_runs_and_failure_reason(moderator, user, staff):
    submission = ModelSubmissionFactory(user=user, facts__num_params=270912, facts__license="apache-2.0")
    submission_approve(submission, actor=staff)
    run = submission.runs.get()
    submission_transition(submission, Status.RUNNING)
    EvalRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, failure_reason="out of GPU memory: <oom>")
    ModelSubmission.objects.filter(pk=submission.pk).update(failure_reason="out of GPU memory: <oom>")
    submission_transition(submission, Status.FAILED, note="out of GPU memory: <oom>")

    page = moderator.get(f"{CHANGELIST}{submission.pk}/change/").content.decode()
    assert "<th>num_params</th><td>270912</td>" in page and "<th>license</th><td>apache-2.0</td>" in page
    assert page.count("out of GPU memory: &lt;oom&gt;") >= 3  # the reason, the run and the history
    assert "<oom>" not in page
    for label in ("Pending review", "Queued", "Running", "Failed"):
        assert label in page or label.lower() in page
    assert f"/admin/evaluation/evalrun/{run.pk}/change/" in page


def test_submissions_cannot_be_added_or_deleted_in_the_admin(moderator, user):
    submission = ModelSubmissionFactory(user=user)
    assert moderator.get(f"{CHANGELIST}add/").status_code == 403
    assert moderator.post(f"{CHANGELIST}{submission.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ModelSubmission.objects.filter(pk=submission.pk).exists()


@pytest.mark.parametrize(
    "query,shown",
    [
        ("status__exact=FAILED", ["org/b"]),
        ("precision__exact=float16", ["org/c"]),
        ("model_type__exact=merge", ["org/c"]),
        ("q=org/a", ["org/a"]),
        ("q=bob", ["org/a", "org/b", "org/c"]),
        ("suite__id__exact={suite}", ["org/a", "org/b", "org/c"]),
        ("created_at__gte=2000-01-01+00:00:00%2B00:00", ["org/a", "org/b", "org/c"]),
    ],
)
def test_filters_and_search(moderator, user, suite, query, shown):
    ModelSubmissionFactory(user=user, suite=suite, model_id="org/a")
    ModelSubmissionFactory(user=user, suite=suite, model_id="org/b", status=Status.FAILED)
    ModelSubmissionFactory(user=user, suite=suite, model_id="org/c", precision="float16", model_type="merge")
    response = moderator.get(f"{CHANGELIST}?{query.format(suite=suite.pk)}")
    assert response.status_code == 200
    assert sorted(s.model_id for s in response.context["cl"].result_list) == shown


def test_quotas_trusted_organisations_and_blocked_models_are_edited_there(moderator, user, staff):
    org = Organisation.objects.create(name="big-lab")
    response = moderator.post(
        "/admin/submissions/organisation/",
        {
            "form-TOTAL_FORMS": 1,
            "form-INITIAL_FORMS": 1,
            "form-0-id": org.pk,
            "form-0-trusted": "on",
            "form-0-max_submissions": 20,
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.trusted, org.max_submissions) == (True, 20)

    response = moderator.post("/admin/submissions/userquota/add/", {"user": user.pk, "max_submissions": 12, "note": ""})
    assert response.status_code == 302 and UserQuota.objects.get(user=user).max_submissions == 12

    response = moderator.post(
        "/admin/submissions/blockedmodel/add/", {"model_id": " org/Bad ", "reason": "Contaminated."}
    )
    assert response.status_code == 302
    blocked = BlockedModel.objects.get()
    assert (blocked.model_id, blocked.reason, blocked.created_by) == ("org/Bad", "Contaminated.", staff)

    again = moderator.post("/admin/submissions/blockedmodel/add/", {"model_id": "ORG/bad", "reason": "Twice."})
    assert again.status_code == 200 and BlockedModel.objects.count() == 1
    bad = moderator.post("/admin/submissions/blockedmodel/add/", {"model_id": "../etc", "reason": "x"})
    assert bad.status_code == 200 and b"organisation/name" in bad.content
