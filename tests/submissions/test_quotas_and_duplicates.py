"""Duplicates, quotas (per user, per organisation, rolling window), exemptions and blocked models, one by one.
The same under 20 concurrent submits is in test_concurrency.py."""

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from pipeline.intake import submission_cancel
from submissions.errors import SubmissionError
from submissions.models import ModelSubmission, Organisation, Status, UserQuota
from submissions.services import submission_reject
from submissions.transitions import submission_transition
from tests.factories import StaffFactory, hub_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def submit(submit):
    """The quotas and duplicates are the web request's: its submissions stay CHECKING (no checks run)."""
    return lambda user, model_id, **fields: submit(user, model_id, check_now=False, **fields)


def queued(submission):
    """As a moderator's approval (or no review) leaves it after the checks."""
    submission_transition(submission, Status.QUEUED)
    return submission


@pytest.fixture(scope="module")
def models(hub):
    """Eight valid tiny models of one organisation."""
    return [(f"i3-quota/m{i}", hub.build(f"i3-quota/m{i}")) for i in range(8)]


def test_the_same_model_config_cannot_be_active_twice(models, user, other_user, submit):
    model_id, _ = models[0]
    submit(user, model_id)
    with pytest.raises(SubmissionError, match=r"already submitted to Medical Demo.*\(checking\)"):
        submit(other_user, model_id)
    # another precision, weight type or suite is another evaluation
    assert submit(other_user, model_id, precision="float16").precision == "float16"
    assert ModelSubmission.objects.count() == 2


@pytest.mark.parametrize("ended", [Status.FAILED, Status.REJECTED, Status.CANCELLED])
def test_after_failed_rejected_or_cancelled_it_can_be_submitted_again(models, user, staff, submit, ended):
    model_id, _ = models[0]
    first = submit(user, model_id)
    if ended == Status.REJECTED:
        submission_transition(first, Status.PENDING_REVIEW, note="the hub checks passed")
        submission_reject(first, actor=staff, reason="try again with a model card")
    elif ended == Status.CANCELLED:
        submission_transition(first, Status.CANCELLED, actor=user)
    else:
        for step in (Status.QUEUED, Status.RUNNING, Status.FAILED):
            submission_transition(first, step)
    again = submit(user, model_id)
    # the checks this commit passed (before it was rejected or failed) do not run again
    assert again.pk != first.pk and again.status == (
        Status.CHECKING if ended == Status.CANCELLED else Status.PENDING_REVIEW
    )


@pytest.mark.parametrize("active", [Status.QUEUED, Status.RUNNING, Status.FINISHED])
def test_while_queued_running_or_finished_it_cannot(models, user, submit, active):
    model_id, _ = models[0]
    first = submit(user, model_id)
    path = [Status.QUEUED, Status.RUNNING, Status.FINISHED]
    for step in path[: path.index(active) + 1]:
        submission_transition(first, step)
    with pytest.raises(SubmissionError, match="already submitted"):
        submit(user, model_id)


def test_the_database_enforces_it_not_only_the_service(models, user, suite):
    row = dict(user=user, model_id="i3-quota/m0", commit_sha="b" * 40, precision="float32", suite=suite)
    ModelSubmission.objects.create(**row)
    with pytest.raises(IntegrityError, match="one_active_submission_per_model_config"):
        ModelSubmission.objects.create(**row)


def test_a_user_quota(models, user, submit, settings):
    settings.SUBMISSION_QUOTA_PER_USER, settings.SUBMISSION_QUOTA_PER_ORG = 3, 100
    for model_id, _ in models[:3]:
        submit(user, model_id)
    with pytest.raises(
        SubmissionError, match=r"You have submitted 3 models in the last 7 days, the most allowed \(3\)"
    ) as caught:
        submit(user, models[3][0])
    assert caught.value.field is None
    assert ModelSubmission.objects.count() == 3


def test_the_window_rolls(models, user, submit, settings):
    settings.SUBMISSION_QUOTA_PER_USER, settings.SUBMISSION_QUOTA_PER_ORG = 2, 100
    old, _ = submit(user, models[0][0]), submit(user, models[1][0])
    ModelSubmission.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=7, minutes=1))
    submit(user, models[2][0])  # the old one no longer counts
    with pytest.raises(SubmissionError, match="possible after"):
        submit(user, models[3][0])


def test_an_organisation_quota_counts_only_approved_or_queued_submissions(
    models, user, other_user, staff, submit, settings
):
    settings.SUBMISSION_QUOTA_PER_USER, settings.SUBMISSION_QUOTA_PER_ORG = 100, 2
    hub_member(user, "i3-quota")
    hub_member(other_user, "I3-Quota")  # the hub's names ignore case
    submission_cancel(submit(user, models[0][0]), actor=user)  # withdrawn while checking
    refused = submit(user, models[1][0])
    submission_transition(refused, Status.REJECTED, note="refused by the hub checks")
    rejected = submit(user, models[2][0])
    submission_transition(rejected, Status.PENDING_REVIEW)
    submission_reject(rejected, actor=staff, reason="no")
    submit(user, models[3][0])  # still checking: not counted either
    queued(submit(other_user, models[4][0]))
    queued(submit(user, models[5][0]))
    with pytest.raises(SubmissionError, match="Models of i3-quota were approved or queued 2 times in the last 7 days"):
        submit(other_user, models[6][0])


def test_one_account_cannot_lock_an_organisation_out(models, user, other_user, submit, settings):
    settings.SUBMISSION_QUOTA_PER_USER = settings.SUBMISSION_QUOTA_PER_ORG = 5
    for model_id, _ in models[:5]:
        submission_cancel(submit(user, model_id), actor=user)
    assert submit(other_user, models[5][0]).status == Status.CHECKING
    # the spam costs the spammer: withdrawn submissions count against their own quota
    with pytest.raises(SubmissionError, match=r"You have submitted 5 models in the last 7 days"):
        submit(user, models[6][0])


def test_quotas_edited_in_the_admin_override_the_settings(models, user, submit, settings):
    settings.SUBMISSION_QUOTA_PER_USER, settings.SUBMISSION_QUOTA_PER_ORG = 1, 1
    UserQuota.objects.create(user=user, max_submissions=3)
    Organisation.objects.create(name="I3-Quota", max_submissions=2)  # the hub's names ignore case
    hub_member(user, "i3-quota")
    queued(submit(user, models[0][0]))
    queued(submit(user, models[1][0]))
    with pytest.raises(SubmissionError, match="Models of I3-Quota were approved or queued 2 times"):
        submit(user, models[2][0])
    assert Organisation.objects.count() == 1


def test_a_zero_quota_closes_submissions(models, user, submit):
    UserQuota.objects.create(user=user, max_submissions=0)
    with pytest.raises(SubmissionError, match="no submissions are allowed"):
        submit(user, models[0][0])


def test_staff_are_exempt(models, staff, user, submit, settings):
    settings.SUBMISSION_QUOTA_PER_USER = settings.SUBMISSION_QUOTA_PER_ORG = 1
    for model_id, _ in models[:3]:
        assert queued(submit(staff, model_id)).quota_exempt
    submit(user, models[3][0])  # staff submissions count against nobody's quota


def test_staff_without_the_moderation_permission_pay_the_quota(models, submit, settings):
    """Issue 22, finding 2: the exemption was for any staff user; it is the moderation policy's (accounts.policy)."""
    settings.SUBMISSION_QUOTA_PER_USER = 1
    helper = StaffFactory(username="helper")
    assert not submit(helper, models[0][0]).quota_exempt
    with pytest.raises(SubmissionError, match="You have submitted 1 models"):
        submit(helper, models[1][0])


def test_trusted_organisations_are_exempt_for_their_members(models, user, submit, settings):
    settings.SUBMISSION_QUOTA_PER_USER = settings.SUBMISSION_QUOTA_PER_ORG = 1
    Organisation.objects.create(name="i3-quota", trusted=True)
    hub_member(user, "i3-quota")
    for model_id, _ in models[:3]:
        assert submit(user, model_id).quota_exempt


def test_organisations_appear_for_moderators_when_first_submitted(models, user, submit):
    submit(user, models[0][0])
    assert list(Organisation.objects.values_list("name", "trusted", "max_submissions")) == [("i3-quota", False, None)]


def test_a_refused_submission_stores_nothing(models, user, submit, settings):
    settings.SUBMISSION_QUOTA_PER_USER = 0
    with pytest.raises(SubmissionError):
        submit(user, models[0][0])
    assert not ModelSubmission.objects.exists()
