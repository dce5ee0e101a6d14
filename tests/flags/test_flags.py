"""Community flags: raised by users, supported with comments, decided by staff; the ranking follows."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from flags.models import Flag, FlagStatus
from flags.services import FlagError
from rankings.flagging import flag_moderate
from rankings.models import LeaderboardEntry
from tests.factories import ModelSubmissionFactory, ModeratorFactory
from tests.ranked import rank_model, uniform

pytestmark = pytest.mark.django_db


@pytest.fixture
def ranked(demo):
    rank_model(demo, "cheat/model", uniform(demo, 0.9))
    rank_model(demo, "honest/model", uniform(demo, 0.5))
    return demo


@pytest.fixture
def alice(client):
    user = User.objects.create_user("alice", password="a-long-passphrase-9")
    client.force_login(user)
    return user


def flag_page(client, **data):
    return client.post(
        "/models/cheat/model/flag/",
        {"reason": "contamination", "explanation": "It saw the test.", "evidence": "", **data},
    )


def test_flagging_needs_an_account(client, ranked):
    response = client.get("/models/cheat/model/flag/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert flag_page(client).status_code == 302 and not Flag.objects.exists()


def test_a_user_flags_a_ranked_model_once(client, ranked, alice):
    response = flag_page(
        client,
        explanation="<script>alert(1)</script> trained on MedQA test",
        evidence="https://example.org/proof\n\nhttps://example.org/more",
    )
    flag = Flag.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/flags/{flag.pk}/"
    assert (flag.user, flag.model_id, flag.status) == (alice, "cheat/model", FlagStatus.OPEN)
    assert flag.evidence == ["https://example.org/proof", "https://example.org/more"]
    page = client.get(f"/flags/{flag.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; trained on MedQA test" in page and "<script>alert(1)" not in page
    assert 'href="https://example.org/proof"' in page

    again = flag_page(client, reason="merge")
    assert again.status_code == 400 and "already have an open flag" in again.content.decode()
    assert Flag.objects.count() == 1


def test_bad_flags_are_refused_with_a_reason(client, ranked, alice):
    response = flag_page(client, evidence="javascript:alert(1)")
    assert response.status_code == 400 and "not an http or https link" in response.content.decode()
    response = flag_page(client, reason="because")
    assert response.status_code == 400
    response = flag_page(client, explanation="   ")
    assert response.status_code == 400
    assert client.get("/models/nobody/never-submitted/flag/").status_code == 404
    assert not Flag.objects.exists()


def test_others_support_a_flag_with_comments(client, ranked, alice):
    flag_page(client)
    flag = Flag.objects.get()
    bob = Client()
    bob.force_login(User.objects.create_user("bob", password="b-long-passphrase-9"))
    response = bob.post(f"/flags/{flag.pk}/comment/", {"text": "Same here: <b>see</b> the overlap."})
    assert response.status_code == 302
    page = client.get(f"/flags/{flag.pk}/").content.decode()
    assert "Same here: &lt;b&gt;see&lt;/b&gt; the overlap." in page and "bob" in page
    assert bob.post(f"/flags/{flag.pk}/comment/", {"text": ""}).status_code == 400
    assert Client().post(f"/flags/{flag.pk}/comment/", {"text": "anonymous"}).status_code == 302  # to log in
    assert flag.comments.count() == 1


def test_forms_need_the_csrf_token(ranked):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(User.objects.create_user("mallory", password="m-long-passphrase-9"))
    response = strict.post("/models/cheat/model/flag/", {"reason": "other", "explanation": "x"})
    assert response.status_code == 403 and not Flag.objects.exists()
    page = strict.get("/models/cheat/model/flag/").content.decode()
    assert 'name="csrfmiddlewaretoken"' in page


def test_only_staff_moderate(ranked, alice):
    flag = Flag.objects.create(user=alice, model_id="cheat/model", reason="contamination", explanation="x")
    with pytest.raises(FlagError):
        flag_moderate(flag=flag, actor=alice, status=FlagStatus.UPHELD, note="I say so")
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN


def test_upheld_flag_marks_and_hides_the_model_dismissed_restores_it(client, ranked, alice):
    flag = Flag.objects.create(user=alice, model_id="cheat/model", reason="contamination", explanation="x")
    admin = Client()
    admin.force_login(User.objects.create_superuser("mod", "mod@example.org", "mod-pass-123"))
    url = f"/admin/flags/flag/{flag.pk}/change/"
    inline = {"comments-TOTAL_FORMS": "0", "comments-INITIAL_FORMS": "0"}
    assert "uphold" in admin.get(url).content.decode()
    response = admin.post(url, {**inline, "status": "upheld", "moderation_note": ""})
    assert response.status_code == 200  # the note is required
    response = admin.post(
        url, {**inline, "status": "upheld", "moderation_note": "The model card says it trained on MedQA test."}
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.status == FlagStatus.UPHELD and flag.moderator.username == "mod"
    entry = LeaderboardEntry.objects.get(model_id="cheat/model")
    assert entry.flag_id == flag.pk

    page = client.get("/leaderboards/demo-medical/").content.decode()
    assert 'data-model="cheat/model"' not in page
    assert re.search(r'data-model="honest/model"><td class="num">1</td>', page)  # ranks follow the flag
    page = client.get("/leaderboards/demo-medical/", {"show_flagged": "on"}).content.decode()
    assert 'data-model="cheat/model"' in page and f'href="/flags/{flag.pk}/"' in page and "🏴‍☠️" in page
    public = client.get(f"/flags/{flag.pk}/").content.decode()
    assert "The model card says it trained on MedQA test." in public and "Upheld" in public.title()
    assert client.get("/api/leaderboard/demo-medical/").json()["rows"][0]["model"] == "honest/model"
    assert "cheat/model" in client.get("/flags/").content.decode()

    admin.post(
        url, {**inline, "status": "dismissed", "moderation_note": "The author showed the overlap is a coincidence."}
    )
    entry.refresh_from_db()
    assert entry.flag_id is None
    assert 'data-model="cheat/model"' in client.get("/leaderboards/demo-medical/").content.decode()


def test_an_upheld_undisclosed_merge_counts_as_a_merge(client, ranked, alice):
    flag = Flag.objects.create(user=alice, model_id="cheat/model", reason="merge", explanation="x")
    flag_moderate(flag=flag, actor=ModeratorFactory(), status="upheld", note="yes")
    entry = LeaderboardEntry.objects.get(model_id="cheat/model")
    assert entry.is_merged
    page = client.get("/leaderboards/demo-medical/", {"show_flagged": "on", "hide_merged": "on"}).content.decode()
    assert 'data-model="cheat/model"' not in page


def test_only_a_ranked_model_is_flagged_on_the_site_and_the_api(client, demo, alice):
    """A model submitted but not ranked (its run has not finished) has a page, but no flag can be raised on it."""
    ModelSubmissionFactory(model_id="waiting/model", suite=demo)
    response = client.post(
        "/models/waiting/model/flag/", {"reason": "contamination", "explanation": "It saw the test.", "evidence": ""}
    )
    assert response.status_code == 400
    assert "waiting/model is not ranked: only ranked models can be flagged." in response.content.decode()
    api = client.post(
        "/api/flags/",
        {"model_id": "waiting/model", "reason": "contamination", "explanation": "It saw the test."},
        content_type="application/json",
    )
    assert api.status_code == 400 and "is not ranked" in api.content.decode()
    assert not Flag.objects.exists()
