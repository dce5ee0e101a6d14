"""Whose submission it is: a verified member of the model's organisation submits for it (its quota, its trust);
anyone else makes a community submission (their own quota only). The policy decides (accounts.policy); the submit
page, the submission page, the queue and the API say which."""

import pytest
from django.test import Client

from accounts.policy import submission_standing
from submissions.errors import SubmissionError
from submissions.models import ModelSubmission, Organisation, Status
from submissions.services import submission_transition
from tests.factories import UserFactory, hub_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def submit(submit):
    return lambda user, model_id, **fields: submit(user, model_id, check_now=False, **fields)


@pytest.fixture(scope="module")
def models(hub):
    return [(f"acme-health/m{i}", hub.build(f"acme-health/m{i}")) for i in range(6)]


def approved(submission):
    submission_transition(submission, Status.QUEUED)
    return submission


def test_a_member_submits_for_the_organisation_and_a_stranger_for_themselves(models, submit, settings):
    settings.SUBMISSION_QUOTA_PER_USER, settings.SUBMISSION_QUOTA_PER_ORG = 2, 2
    member, stranger = UserFactory(username="member"), UserFactory(username="stranger")
    hub_member(member, "acme-health", "other-org")
    hub_member(stranger, "other-org")  # a hub account, but not in acme-health
    ours = [approved(submit(member, models[i][0])) for i in range(2)]
    assert [(s.by_organisation, s.submitted_as, s.quota_exempt) for s in ours] == [(True, "organisation", False)] * 2
    # the organisation's quota is used up: its member is refused ...
    with pytest.raises(SubmissionError, match=r"Models of acme-health were approved or queued 2 times"):
        submit(member, models[2][0])
    # ... but not a stranger, whose submissions are the community's and count against their own quota only
    theirs = [approved(submit(stranger, models[i][0])) for i in (2, 3)]
    assert [(s.by_organisation, s.submitted_as) for s in theirs] == [(False, "community")] * 2
    with pytest.raises(SubmissionError, match=r"You have submitted 2 models in the last 7 days"):
        submit(stranger, models[4][0])
    # the member's own quota was never touched by their organisation's submissions
    Organisation.objects.filter(name="acme-health").update(max_submissions=10)
    assert submit(member, models[4][0]).by_organisation


def test_strangers_never_lock_an_organisation_out(models, submit, settings):
    settings.SUBMISSION_QUOTA_PER_USER, settings.SUBMISSION_QUOTA_PER_ORG = 5, 1
    for i in range(3):  # three strangers, each a queued submission of acme-health's models
        approved(submit(UserFactory(), models[i][0]))
    member = UserFactory()
    hub_member(member, "acme-health")
    assert submit(member, models[3][0]).by_organisation


def test_a_trusted_organisations_exemption_covers_its_members_only(models, submit, settings):
    settings.SUBMISSION_QUOTA_PER_USER, settings.SUBMISSION_QUOTA_PER_ORG = 1, 1
    Organisation.objects.create(name="acme-health", trusted=True)
    member, stranger = UserFactory(), UserFactory()
    hub_member(member, "ACME-health")
    made = [approved(submit(member, models[i][0])) for i in range(3)]  # over both quotas: exempt
    assert all(s.quota_exempt and s.by_organisation for s in made)
    first = submit(stranger, models[3][0])
    assert not first.quota_exempt and not first.by_organisation
    with pytest.raises(SubmissionError, match=r"You have submitted 1 models"):
        submit(stranger, models[4][0])


def test_membership_needs_a_linked_fresh_hub_identity(models, submit, settings):
    member = UserFactory()
    identity = hub_member(member, "acme-health")
    assert submission_standing(member, "acme-health", org_trusted=False) == (True, False)
    settings.HUB_ORGS_MAX_AGE_DAYS = 0  # read too long ago: log in with the hub again
    assert submission_standing(member, "acme-health", org_trusted=True) == (False, False)
    settings.HUB_ORGS_MAX_AGE_DAYS = 30
    member.socialaccount_set.all().delete()  # unlinked: the hub no longer vouches for this account
    assert identity.pk and submission_standing(member, "acme-health", org_trusted=True) == (False, False)
    assert submission_standing(None, "acme-health", org_trusted=False) == (False, True)  # operators' commands


def test_the_pages_and_the_api_say_whose_submission_it_is(models, submit):
    member, stranger = UserFactory(username="member"), UserFactory(username="stranger")
    hub_member(member, "acme-health")
    ours, theirs = submit(member, models[0][0]), submit(stranger, models[1][0])
    browser = Client()
    browser.force_login(member)
    page = browser.get("/submit/").content.decode()
    assert "submitted by the organisation" in page and "community submission" in page
    assert "You submit for: <strong>acme-health</strong>" in page
    assert "submitted by the organisation" in browser.get(f"/submissions/{ours.pk}/").content.decode()
    queue = Client().get("/queue/").content.decode()
    assert queue.count("submitted by the organisation</span>") == 1 and queue.count("community submission</span>") == 1
    assert browser.get(f"/api/submissions/{ours.pk}/").json()["submitted_as"] == "organisation"
    browser.force_login(stranger)
    assert "community submission" in browser.get(f"/submissions/{theirs.pk}/").content.decode()
    assert browser.get(f"/api/submissions/{theirs.pk}/").json()["submitted_as"] == "community"
    assert ModelSubmission.objects.filter(by_organisation=True).count() == 1
