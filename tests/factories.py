"""factory_boy factories shared by the tests: rows as the platform's own services store them.

Suites are not made here: they are data, loaded from catalogue/suites/*.yaml (the ``suites`` fixture).
"""

import hashlib

import factory
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Permission
from django.utils import timezone
from factory.django import DjangoModelFactory, Password

from catalogue.models import Suite
from catalogue.services import suites_load_all
from evaluation.models import EvalRun, RunStatus, SampleLog, TaskResult
from flags.models import Flag, FlagReason
from submissions.hub import ModelFacts
from submissions.models import ModelSubmission, Status

ENDED = (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.CANCELLED)


def demo_suite() -> Suite:
    """The demo suite as its YAML defines it, loaded on first use."""
    return Suite.objects.filter(slug="demo-medical").first() or {s.slug: s for s in suites_load_all()}["demo-medical"]


class UserFactory(DjangoModelFactory):
    """A signed-up user; without ``password=...`` one that cannot log in with a password (tests use force_login)."""

    class Meta:
        model = settings.AUTH_USER_MODEL

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = Password(None)


def verified_user(**fields):
    """A user whose address was confirmed (allauth's verified, primary EmailAddress), as a signed-up one is."""
    user = UserFactory(**fields)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


class StaffFactory(UserFactory):
    """Staff: the admin site, with no permission unless ``permissions=`` (Permission rows) grants some,
    as a superuser would in the admin."""

    class Meta:
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True

    @factory.post_generation
    def permissions(user, create, permissions, **kwargs):
        if create and permissions:
            user.user_permissions.set(permissions)


class ModeratorFactory(StaffFactory):
    """Staff with what moderation needs (accounts.policy): changing submissions and flags."""

    username = factory.Sequence(lambda n: f"moderator{n}")

    @factory.post_generation
    def permissions(user, create, permissions, **kwargs):
        if create:
            codenames = ["change_modelsubmission", "view_modelsubmission", "change_flag", "view_flag"]
            user.user_permissions.set(permissions or Permission.objects.filter(codename__in=codenames))


class ModelSubmissionFactory(DjangoModelFactory):
    """A submission as submission_submit stores it once the hub checks pass (their facts included), in
    ``status`` (default: pending review). It has no run: make one with EvalRunFactory, or move it with the
    submissions services. ``created_at=...`` backdates it."""

    class Meta:
        model = ModelSubmission
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    model_id = factory.Sequence(lambda n: f"factory-org/model-{n}")
    commit_sha = factory.LazyAttribute(lambda submission: hashlib.sha1(submission.model_id.encode()).hexdigest())
    precision = "float32"
    base_model = ""
    suite = factory.LazyFunction(demo_suite)
    status = Status.PENDING_REVIEW
    facts = factory.Dict(
        {
            **ModelFacts(model_id="", commit_sha="").as_dict(),
            "model_id": factory.SelfAttribute("..model_id"),
            "commit_sha": factory.SelfAttribute("..commit_sha"),
            "base_model": factory.SelfAttribute("..base_model"),
        }
    )

    @factory.post_generation
    def created_at(submission, create, value, **kwargs):
        if create and value:  # the field is set on insert: backdate it after
            ModelSubmission.objects.filter(pk=submission.pk).update(created_at=value)
            submission.created_at = value


class EvalRunFactory(DjangoModelFactory):
    """A run in ``status`` (default: queued); its submission, unless given, in the same status. An ended run
    has its finish time."""

    class Meta:
        model = EvalRun

    submission = factory.SubFactory(ModelSubmissionFactory, status=factory.SelfAttribute("..status"))
    status = RunStatus.QUEUED
    finished_at = factory.LazyAttribute(lambda run: timezone.now() if run.status in ENDED else None)


class TaskResultFactory(DjangoModelFactory):
    """One score of a finished run, as ingestion stores it from lm-eval's results."""

    class Meta:
        model = TaskResult

    run = factory.SubFactory(EvalRunFactory, status=RunStatus.FINISHED)
    task = factory.Sequence(lambda n: f"task_{n}")
    metric = "acc"
    value = 0.5


class SampleLogFactory(DjangoModelFactory):
    """A logged sample of a one-choice loglikelihood request, as ingestion stores lm-eval's samples."""

    class Meta:
        model = SampleLog

    run = factory.SubFactory(EvalRunFactory, status=RunStatus.FINISHED)
    task = factory.Sequence(lambda n: f"task_{n}")
    doc_id = factory.Sequence(int)
    doc = factory.Dict({"question": "Q"})
    arguments = factory.Dict({"gen_args_0": {"arg_0": "Q", "arg_1": " A"}})
    target = "0"
    resps = factory.List([])
    filtered_resps = factory.List([])
    metrics = factory.Dict({"acc": 1.0})
    doc_hash = ""
    prompt_hash = ""


class FlagFactory(DjangoModelFactory):
    """An open community flag on a model."""

    class Meta:
        model = Flag

    model_id = factory.Sequence(lambda n: f"factory-org/model-{n}")
    user = factory.SubFactory(UserFactory)
    reason = FlagReason.OTHER
    explanation = "The scores look too good."


def hub_member(user, *orgs: str, uid: str | None = None):
    """Link ``user`` to a hub account whose last log-in here granted ``orgs`` (as accounts' adapter stores it)."""
    from allauth.socialaccount.models import SocialAccount

    from accounts.hub_oauth import HUB_PROVIDER
    from accounts.services import hub_identity_record

    uid = uid or f"hub-{user.username}"
    SocialAccount.objects.get_or_create(user=user, provider=HUB_PROVIDER, uid=uid)
    claims = {"preferred_username": user.username, "orgs": [{"preferred_username": org} for org in orgs]}
    return hub_identity_record(uid=uid, userinfo=claims)


def totp_code(secret: str) -> str:
    """What an authenticator app shows now for ``secret`` (base32), as allauth.mfa checks it."""
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))
