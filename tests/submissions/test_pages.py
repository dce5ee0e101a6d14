"""The submit form, the public queue, a submission's page, the profile, and the emails."""

import re
from html import unescape

import pytest
from django.core import mail
from django.utils import timezone

from evaluation.models import EvalRun, RunStatus
from pipeline.intake import submission_approve
from submissions.models import ModelSubmission, Status
from submissions.transitions import submission_notify, submission_transition
from tests.factories import ModelSubmissionFactory
from tests.submissions.conftest import run_checks

pytestmark = pytest.mark.django_db
XSS = '<script>alert("x")</script>'


def form(model_id, **extra):
    return {
        "model_id": model_id,
        "revision": "main",
        "precision": "float32",
        "weight_type": "Original",
        "model_type": "pretrained",
        "suite": "demo-medical",
        **extra,
    }


def text(response) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_submit_form_fields_checklist_and_icons(client, user, suites):
    client.force_login(user)
    page = client.get("/submit/").content.decode()
    for name in (
        "model_id",
        "revision",
        "precision",
        "weight_type",
        "base_model",
        "model_type",
        "use_chat_template",
        "suite",
    ):
        assert f'name="{name}"' in page
    for icon in (
        "🟢 pretrained",
        "🟩 continuously pretrained",
        "🔶 fine-tuned",
        "💬 chat / instruction-tuned",
        "🤝 merge",
        "🌸 multimodal",
    ):
        assert icon in page
    assert "Before you submit" in page and "trust_remote_code" in page and "safetensors" in page


def test_submitting_leads_to_the_submissions_page(client, user, suites, hub):
    hub.build("i3-pages/valid")
    client.force_login(user)
    response = client.post("/submit/", form("i3-pages/valid"), follow=True)
    submission = ModelSubmission.objects.get()
    assert response.redirect_chain == [(f"/submissions/{submission.pk}/", 302)]
    assert "i3-pages/valid is submitted: checking." in text(response)


def test_without_review_a_valid_submission_is_queued_at_once(client, user, suites, hub, settings):
    settings.SUBMISSIONS_NEED_REVIEW = False
    hub.build("i3-pages/valid")
    client.force_login(user)
    client.post("/submit/", form("i3-pages/valid"))
    submission = ModelSubmission.objects.get()
    run_checks(submission)  # as the checks cluster does
    assert submission.status == Status.QUEUED
    assert submission.runs.get().status == RunStatus.QUEUED
    assert list(submission.events.values_list("to_status", flat=True)) == [Status.CHECKING, Status.QUEUED]


def test_submit_again_fills_in_the_form(client, user):
    failed = ModelSubmissionFactory(
        user=user,
        model_id="org/again",
        status=Status.FAILED,
        precision="bfloat16",
        weight_type="Adapter",
        base_model="org/base",
        model_type="fine-tuned",
        use_chat_template=True,
    )
    client.force_login(user)
    detail = client.get(f"/submissions/{failed.pk}/").content.decode()
    link = unescape(re.search(r'href="(/submit/\?[^"]+)">Submit it again', detail).group(1))
    page = client.get(link).content.decode()
    assert 'name="model_id" value="org/again"' in page and 'name="base_model" value="org/base"' in page
    assert '<option value="bfloat16" selected>' in page and '<option value="fine-tuned" selected>' in page
    assert '<option value="Adapter" selected>' in page
    assert re.search(r'<input type="checkbox" name="use_chat_template"[^>]* checked>', page)


def test_the_queue_lists_every_state_with_position_progress_and_reason(client, user, staff, other_user):
    low = ModelSubmissionFactory(user=user, model_id="org/low")
    high = ModelSubmissionFactory(user=user, model_id="org/high", priority=5)
    later = ModelSubmissionFactory(user=user, model_id="org/later")
    for s in (low, high, later):
        submission_approve(s, actor=staff)
    running = ModelSubmissionFactory(user=user, model_id="org/running")
    submission_approve(running, actor=staff)
    submission_transition(running, Status.RUNNING)
    EvalRun.objects.filter(submission=running).update(
        status=RunStatus.RUNNING,
        started_at=timezone.now(),
        progress_done=250,
        progress_total=1000,
        progress_stage="medqa_4options",
    )
    ModelSubmissionFactory(user=other_user, model_id="org/pending")
    ModelSubmissionFactory(user=user, status=Status.FAILED, failure_reason="out of GPU memory: needs 140 GiB")
    ModelSubmissionFactory(user=user, status=Status.FINISHED)
    ModelSubmissionFactory(user=user, status=Status.REJECTED, failure_reason="Not a medical model.")
    ModelSubmissionFactory(user=user, status=Status.CANCELLED)

    page = client.get("/queue/")
    assert page.status_code == 200
    content = text(page)
    for heading in (
        "Running (1)",
        "Queued (3)",
        "Pending review (1)",
        "Failed (1)",
        "Finished (1)",
        "Rejected (1)",
        "Cancelled (1)",
    ):
        assert heading in content
    queued = re.findall(r"(\d+) org/(\w+)", content.split("Queued (3)")[-1].split("Pending review")[0])
    assert queued == [("1", "high"), ("2", "low"), ("3", "later")]
    assert "25%" in content and "medqa_4options" in content
    assert "out of GPU memory: needs 140 GiB" in content and "Not a medical model." in content


def test_nothing_disappears_from_the_queue(client, user, django_assert_max_num_queries):
    for i in range(60):
        ModelSubmissionFactory(user=user, model_id=f"org/f{i:02d}", status=Status.FINISHED)
    with django_assert_max_num_queries(20):
        overview = client.get("/queue/")
    assert text(overview).count("org/f") == 50 and "All 60 finished" in text(overview)
    first, second = client.get("/queue/?status=FINISHED"), client.get("/queue/?status=FINISHED&page=2")
    shown = re.findall(r"org/(f\d\d)", text(first) + text(second))
    assert sorted(shown) == [f"f{i:02d}" for i in range(60)]
    assert client.get("/queue/?status=NOPE").status_code == 404
    assert client.get("/queue/?status=FINISHED&page=999").status_code == 200


def test_a_submissions_page(client, user, staff):
    submission = ModelSubmissionFactory(
        user=user,
        model_id="org/detail",
        facts__num_params=270912,
        facts__license="apache-2.0",
        facts__architecture="LlamaForCausalLM",
    )
    submission_approve(submission, actor=staff, note="looks fine")
    content = text(client.get(f"/submissions/{submission.pk}/"))
    assert (
        "org/detail" in content and "270,912" in content and "apache-2.0" in content and "LlamaForCausalLM" in content
    )
    assert "pending review queued looks fine" in content
    assert "#1 in line" in content
    assert client.get("/submissions/999999/").status_code == 404


def test_the_profile_lists_only_ones_own_submissions(client, user, other_user, staff):
    mine = ModelSubmissionFactory(
        user=user, model_id="org/mine", status=Status.FAILED, failure_reason="the model did not load"
    )
    running = ModelSubmissionFactory(user=user, model_id="org/mine-running")
    submission_approve(running, actor=staff)
    submission_transition(running, Status.RUNNING)
    EvalRun.objects.filter(submission=running).update(status=RunStatus.RUNNING, progress_done=1, progress_total=4)
    ModelSubmissionFactory(user=other_user, model_id="org/theirs")
    client.force_login(user)
    page = client.get("/accounts/profile/")
    content, html = text(page), page.content.decode()
    assert "org/mine" in content and "org/theirs" not in content
    assert "the model did not load" in content and "Submit again" in content and "25%" in content
    assert (
        f'href="/submissions/{mine.pk}/"' in html and f"https://huggingface.co/org/mine/tree/{mine.commit_sha}" in html
    )
    assert f"/submissions/{running.pk}/cancel/" not in html  # started: only a moderator stops it
    assert "you have used <strong>2 of " in html  # the quota: both of this user's submissions


def test_user_text_is_escaped_on_every_page(client, user, staff):
    submission = ModelSubmissionFactory(user=user, status=Status.FAILED, failure_reason=XSS)
    submission_transition(submission, Status.QUEUED, actor=staff, note=XSS)
    client.force_login(user)
    for url in ("/queue/", f"/submissions/{submission.pk}/", "/accounts/profile/", "/queue/?status=QUEUED"):
        page = client.get(url).content.decode()
        assert XSS not in page, url
        assert "&lt;script&gt;" in page, url


@pytest.mark.parametrize(
    "status,subject,says",
    [
        (Status.FINISHED, "org/mail: finished", "is evaluated and ranked on Medical Demo"),
        (Status.FAILED, "org/mail: failed", "failed: out of GPU memory\nYou can submit it again."),
    ],
)
def test_the_submitter_is_emailed_when_the_evaluation_ends(
    user, staff, status, subject, says, django_capture_on_commit_callbacks
):
    submission = ModelSubmissionFactory(user=user, model_id="org/mail")
    submission_approve(submission, actor=staff)
    submission_transition(submission, Status.RUNNING)
    ModelSubmission.objects.filter(pk=submission.pk).update(failure_reason="out of GPU memory")
    with django_capture_on_commit_callbacks(execute=True):
        submission_transition(submission, status)
    [email] = mail.outbox
    assert email.to == ["bob@example.org"] and email.subject == f"[leaderboard] {subject}"
    assert says in email.body and f"http://127.0.0.1:8000/submissions/{submission.pk}/" in email.body


def test_no_email_without_an_address_and_a_mail_server_failure_is_logged(user, settings, caplog):
    submission = ModelSubmissionFactory(user=user, status=Status.FAILED)
    user.email = ""
    user.save()
    submission_notify(submission.pk)
    assert not mail.outbox
    user.email = "bob@example.org"
    user.save()
    settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT = (
        "django.core.mail.backends.smtp.EmailBackend",
        "127.0.0.1",
        1,
    )
    submission_notify(submission.pk)  # does not raise
    assert "could not email bob@example.org" in caplog.text


def test_a_refused_submission_says_why_at_the_top_and_escapes_the_reason(client, user, suites, hub):
    from submissions.models import BlockedModel

    hub.build("i3-pages/valid")
    client.force_login(user)
    response = client.post("/submit/", form("i3-pages/valid", revision="refs/pr/1"))
    assert response.status_code == 400
    summary = text(response).split("The model was not submitted:")[1].split("Before you submit")[0]
    assert "Revision: refs/pr/1 is a pull request" in summary
    # what the checks refuse later is said on the submission's page
    client.post("/submit/", form("i3-pages/valid", use_chat_template="on"))
    refused = ModelSubmission.objects.get()
    run_checks(refused)
    page = text(client.get(f"/submissions/{refused.pk}/"))
    assert "rejected" in page and "The tokenizer config of i3-pages/valid has no chat template" in page
    refused.delete()

    BlockedModel.objects.create(model_id="i3-pages/valid", reason=XSS)
    page = client.post("/submit/", form("i3-pages/valid")).content.decode()
    assert XSS not in page and "may not be submitted: &lt;script&gt;" in page
    assert not ModelSubmission.objects.exists()


def test_a_finished_submission_links_its_scores_samples_and_files(client, user, staff):
    submission = ModelSubmissionFactory(user=user, model_id="org/done")
    submission_approve(submission, actor=staff)
    submission_transition(submission, Status.RUNNING)
    submission_transition(submission, Status.FINISHED)
    run = submission.runs.get()
    EvalRun.objects.filter(pk=run.pk).update(status=RunStatus.FINISHED, finished_at=timezone.now())
    page = client.get(f"/submissions/{submission.pk}/").content.decode()
    for url in ("/models/org/done/", f"/runs/{run.pk}/samples/", f"/runs/{run.pk}/download.zip"):
        assert f'href="{url}"' in page


def test_offline_the_form_says_so_lists_the_cached_models_and_marks_suites_that_need_the_hub(client, user, suites, hub):
    """The tests run offline (HF_HUB_OFFLINE=1) from a local hub cache, as `make demo` does."""
    hub.build("offline-org/cached-model")
    client.force_login(user)
    page = client.get("/submit/").content.decode()
    assert "This server works offline" in page and "<code>offline-org/cached-model</code>" in page
    assert re.search(r'<option value="demo-medical"[^>]*>Medical Demo \(offline\)</option>', page)
    assert re.search(r'<option value="medical"[^>]*>[^<]*cannot run here: needs the hub', page)
    refused = client.post("/submit/", form("offline-org/not-cached"))
    assert refused.status_code == 400
    assert "in this server&#x27;s Hugging Face cache" in refused.content.decode()


def test_the_queue_says_just_now_rather_than_zero_minutes_ago(client, user):
    ModelSubmissionFactory(user=user, model_id="org/fresh")
    page = client.get("/queue/").content.decode()
    assert "just now" in page and "0 minutes ago" not in page
