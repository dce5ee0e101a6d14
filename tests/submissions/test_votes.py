"""Votes: one per user per model revision, withdrawable, only while a submission waits, counted only from accounts
old enough with a verified address; through the API, the pages and the admin."""

import json
from datetime import timedelta
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Scope
from accounts.policy import counted_voters, vote_counts
from accounts.services import token_create
from evaluation.models import EvalRun
from evaluation.routing import cluster_get
from evaluation.selectors import run_queue_position
from pipeline.intake import submission_approve, submission_submit
from pipeline.lifecycle import run_start, runs_reap
from submissions.admin import ModelSubmissionAdmin
from submissions.models import ModelSubmission, Status, Vote
from submissions.transitions import submission_transition
from submissions.votes import VoteError, vote_cast, vote_withdraw
from tests.conftest import in_parallel
from tests.factories import ModelSubmissionFactory, UserFactory, verified_user

N = 20


def aged(**fields) -> User:
    """A user whose votes count: older than VOTE_MIN_ACCOUNT_DAYS (7), with a verified address (none: email="")."""
    joined = timezone.now() - timedelta(days=8)
    return (
        verified_user(date_joined=joined, **fields)
        if fields.get("email", True)
        else UserFactory(date_joined=joined, **fields)
    )


def api(user) -> APIClient:
    client = APIClient()
    _, raw = token_create(user=user, name="votes", scope=Scope.SUBMIT)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def vote_url(submission) -> str:
    return reverse("api-submission-vote", args=[submission.pk])


def votes_of(submission) -> int:
    return ModelSubmission.objects.get(pk=submission.pk).votes


def test_only_old_enough_accounts_with_a_verified_address_count(db, settings):
    old, young, no_address = aged(), verified_user(), aged(email="")
    inactive = aged(is_active=False)
    assert set(User.objects.filter(counted_voters())) == {old}
    assert [vote_counts(u) for u in (old, young, no_address, inactive, None)] == [True, False, False, False, False]
    settings.VOTE_MIN_ACCOUNT_DAYS = 0
    assert set(User.objects.filter(counted_voters())) == {old, young}


def test_a_vote_a_second_vote_and_withdrawing_it(db):
    submission = ModelSubmissionFactory(status=Status.PENDING_REVIEW)
    voter = api(aged())
    response = voter.post(vote_url(submission))
    assert response.status_code == 201 and response.json() == {"votes": 1, "voted": True, "counted": True}

    again = voter.post(vote_url(submission))
    assert again.status_code == 409 and "voted for" in again.json()["detail"]
    assert votes_of(submission) == 1 and Vote.objects.count() == 1

    detail = api(submission.user).get(reverse("api-submission", args=[submission.pk]))
    assert detail.json()["votes"] == 1

    withdrawn = voter.delete(vote_url(submission))
    assert withdrawn.status_code == 200 and withdrawn.json() == {"votes": 0, "voted": False, "counted": True}
    assert voter.delete(vote_url(submission)).status_code == 409  # nothing left to withdraw
    assert votes_of(submission) == 0 and not Vote.objects.exists()
    assert voter.post(vote_url(submission)).status_code == 201  # and vote again


def test_a_vote_counts_for_every_waiting_submission_of_the_revision_once(db, suites):
    first = ModelSubmissionFactory(status=Status.QUEUED, precision="float32")
    same_revision = ModelSubmissionFactory(
        status=Status.PENDING_REVIEW, model_id=first.model_id, commit_sha=first.commit_sha, precision="bfloat16"
    )
    other_commit = ModelSubmissionFactory(status=Status.PENDING_REVIEW, model_id=first.model_id, commit_sha="b" * 40)
    voter = aged()
    assert vote_cast(user=voter, submission=first) == 1
    assert [votes_of(s) for s in (first, same_revision, other_commit)] == [1, 1, 0]
    with pytest.raises(VoteError, match="voted for .* at this commit already"):
        vote_cast(user=voter, submission=same_revision)  # one vote per model revision
    assert vote_cast(user=voter, submission=other_commit) == 1


@pytest.mark.parametrize("status", [Status.RUNNING, Status.CHECKING, Status.FINISHED, Status.CANCELLED])
def test_a_submission_that_does_not_wait_takes_no_vote(db, status):
    submission = ModelSubmissionFactory(status=status)
    voter = api(aged())
    response = voter.post(vote_url(submission))
    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"votes are taken only while a submission waits for review or in the queue; this one is {status.label}"
    )
    assert not Vote.objects.exists() and votes_of(submission) == 0
    assert voter.delete(vote_url(submission)).status_code == 409
    assert voter.post(reverse("api-submission-vote", args=[999999])).status_code == 404


def test_a_vote_on_a_submission_that_starts_running_is_refused_and_its_count_kept(db, suites):
    submission = ModelSubmissionFactory(status=Status.QUEUED)
    voter = aged()
    vote_cast(user=voter, submission=submission)
    submission_transition(submission, Status.RUNNING)
    with pytest.raises(VoteError, match="this one is running"):
        vote_withdraw(user=voter, submission=submission)
    with pytest.raises(VoteError, match="this one is running"):
        vote_cast(user=aged(), submission=submission)
    assert votes_of(submission) == 1


def test_a_young_account_votes_but_its_vote_counts_only_once_it_is_old_enough(db, settings):
    submission = ModelSubmissionFactory(status=Status.PENDING_REVIEW)
    young = verified_user()
    response = api(young).post(vote_url(submission))
    assert response.status_code == 201 and response.json() == {"votes": 0, "voted": True, "counted": False}
    assert votes_of(submission) == 0 and Vote.objects.filter(user=young).exists()
    assert api(aged(email="")).post(vote_url(submission)).json()["votes"] == 0  # no verified address

    User.objects.filter(pk=young.pk).update(date_joined=timezone.now() - timedelta(days=8))
    runs_reap()  # the reaper's schedule counts the waiting submissions again
    assert votes_of(submission) == 1


def test_the_submitter_votes_when_submitting(db, suites, tiny_model):
    submitter = aged()
    submission = submission_submit(
        user=submitter, model_id=tiny_model[0], precision="float32", suite=suites["demo-medical"], check_now=True
    )
    assert submission.status == Status.PENDING_REVIEW
    assert votes_of(submission) == 1 and Vote.objects.get().user == submitter
    assert api(submitter).post(vote_url(submission)).status_code == 409  # voted already


def test_votes_are_rate_limited_per_user(db, settings, client):
    settings.RATELIMITS = {**settings.RATELIMITS, "votes": ("2/h", "2/h")}
    submission = ModelSubmissionFactory(status=Status.PENDING_REVIEW)
    voter = api(aged())
    assert [voter.post(vote_url(submission)).status_code for _ in range(3)] == [201, 409, 429]
    assert api(aged()).post(vote_url(submission)).status_code == 201  # another user has their own count

    client.force_login(aged())
    web = reverse("submission-vote", args=[submission.pk])
    assert [client.post(web).status_code for _ in range(3)] == [302, 302, 429]


def test_the_pages_show_the_count_and_vote_with_a_button(db, client):
    queued = ModelSubmissionFactory(status=Status.PENDING_REVIEW, model_id="org/waiting")
    running = ModelSubmissionFactory(status=Status.RUNNING, model_id="org/running")
    page = client.get("/queue/").content.decode()
    assert f'id="vote-{queued.pk}"' in page and "▲ vote" not in page  # anonymous: the count, no button
    assert client.post(reverse("submission-vote", args=[queued.pk])).status_code == 302  # to the log-in
    assert not Vote.objects.exists()

    client.force_login(aged())
    page = client.get("/queue/").content.decode()
    assert (
        f'action="/submissions/{queued.pk}/vote/"' in page and f'action="/submissions/{running.pk}/vote/"' not in page
    )
    response = client.post(reverse("submission-vote", args=[queued.pk]), {"next": "/queue/?status=PENDING_REVIEW"})
    assert response.status_code == 302 and response["Location"] == "/queue/?status=PENDING_REVIEW"
    assert votes_of(queued) == 1
    detail = client.get(f"/submissions/{queued.pk}/").content.decode()
    assert "Vote counted." in detail and "withdraw my vote" in detail

    # With htmx: only the count and the button come back, to swap in place.
    partial = client.post(
        reverse("submission-vote", args=[queued.pk]), {"withdraw": "1", "next": "/queue/"}, HTTP_HX_REQUEST="true"
    )
    body = partial.content.decode()
    assert partial.status_code == 200 and body.lstrip().startswith(f'<div class="vote" id="vote-{queued.pk}">')
    assert "Vote withdrawn." in body and "▲ vote" in body and 'name="next" value="/queue/"' in body
    assert votes_of(queued) == 0

    off_site = client.post(reverse("submission-vote", args=[running.pk]), {"next": "https://evil.example/"})
    assert off_site["Location"] == f"/submissions/{running.pk}/"  # and the refusal in a message there
    assert "this one is running" in client.get(off_site["Location"]).content.decode()


def test_the_queue_and_the_workers_order_priority_then_votes_then_submission_time(db, suites, client):
    now = timezone.now()
    made = {}
    for name, priority, votes, hours_ago in [("a-old", 0, 0, 4), ("b-voted", 0, 2, 1), ("c-voted-earlier", 0, 2, 2)]:
        made[name] = ModelSubmissionFactory(status=Status.PENDING_REVIEW, model_id=f"org/{name}", priority=priority)
        ModelSubmission.objects.filter(pk=made[name].pk).update(created_at=now - timedelta(hours=hours_ago))
        for _ in range(votes):
            vote_cast(user=aged(), submission=made[name])
    made["d-urgent"] = ModelSubmissionFactory(status=Status.PENDING_REVIEW, model_id="org/d-urgent", priority=1)
    expected = ["org/d-urgent", "org/c-voted-earlier", "org/b-voted", "org/a-old"]
    pending = client.get("/queue/?status=PENDING_REVIEW").content.decode()
    assert [pending.index(m) for m in expected] == sorted(pending.index(m) for m in expected)

    for name in ("b-voted", "d-urgent", "a-old", "c-voted-earlier"):  # approved in another order than submitted
        submission_approve(made[name], actor=None)
    positions = {
        run.submission.model_id: run_queue_position(run) for run in EvalRun.objects.select_related("submission")
    }
    assert positions == {model_id: i + 1 for i, model_id in enumerate(expected)}
    page = client.get("/queue/?status=QUEUED").content.decode()
    assert [page.index(m) for m in expected] == sorted(page.index(m) for m in expected)
    claimed = [run_start(cluster=cluster_get("default")).submission.model_id for _ in expected]
    assert claimed == expected


def test_moderators_see_and_sort_by_votes_in_the_admin(db, client, staff):
    few = ModelSubmissionFactory(model_id="org/few")
    many = ModelSubmissionFactory(model_id="org/many")
    voters = [aged(username="early"), verified_user(username="newcomer")]
    for voter in voters:
        vote_cast(user=voter, submission=many)
    vote_cast(user=aged(), submission=few)
    vote_cast(user=aged(), submission=many)
    client.force_login(staff)
    column = ModelSubmissionAdmin.list_display.index("votes") + 1
    page = client.get(f"/admin/submissions/modelsubmission/?o=-{column}").content.decode()
    assert page.index("org/many") < page.index("org/few")
    page = client.get(f"/admin/submissions/modelsubmission/?o={column}").content.decode()
    assert page.index("org/few") < page.index("org/many")
    change = client.get(f"/admin/submissions/modelsubmission/{many.pk}/change/").content.decode()
    assert "early, newcomer (not counted: a young account or no verified address)" in change


def _http(method: str, url: str, token: str) -> tuple[int, dict]:
    request = Request(url, method=method, headers={"Authorization": f"Bearer {token}"})
    try:
        with urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_twenty_voters_at_once_over_http_give_exact_counts(live_server):
    """20 threads vote through the API of a live server at once, then vote again, then withdraw: every answer is
    the expected one (no 5xx) and the counts are exact."""
    submission = ModelSubmissionFactory(status=Status.QUEUED)
    vote_cast(user=aged(), submission=submission)  # as the submitter's vote would be
    tokens = [token_create(user=aged(), name="t", scope=Scope.SUBMIT)[1] for _ in range(N)]
    url = live_server.url + vote_url(submission)

    cast = in_parallel(N, lambda i: _http("POST", url, tokens[i]))
    assert [status for status, _ in cast] == [201] * N
    assert sorted(body["votes"] for _, body in cast) == list(range(2, N + 2))  # each saw the ones before it
    assert votes_of(submission) == N + 1 and Vote.objects.count() == N + 1

    again = in_parallel(N, lambda i: _http("POST" if i % 2 else "DELETE", url, tokens[i]))
    assert [status for status, _ in again] == [200 if i % 2 == 0 else 409 for i in range(N)]
    assert votes_of(submission) == N // 2 + 1 == Vote.objects.count()
