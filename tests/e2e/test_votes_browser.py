"""Voting in Chromium: the queue's button swaps the count in place (htmx), and takes the vote back."""

import re
from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from submissions.models import ModelSubmission, Status, Vote
from tests.factories import ModelSubmissionFactory, verified_user


def test_a_vote_from_the_queue_swaps_the_count_in_place(page):
    waiting = ModelSubmissionFactory(status=Status.QUEUED, model_id="org/waiting")
    voter = verified_user(username="alice", password="a-long-passphrase-9")
    User.objects.filter(pk=voter.pk).update(date_joined=timezone.now() - timedelta(days=30))

    page.goto("/accounts/login/")
    page.fill("input[name=login]", "alice")
    page.fill("input[name=password]", "a-long-passphrase-9")
    page.click("button:text('Log in')")
    page.wait_for_url(re.compile(r"^(?!.*login)"))

    page.goto("/queue/")
    cell = page.locator(f"#vote-{waiting.pk}")
    expect(cell.locator(".num")).to_have_text("0")
    cell.locator("button", has_text="vote").click()
    cell = page.locator(f"#vote-{waiting.pk}")
    expect(cell.locator("[role=status]")).to_have_text("Vote counted.")
    expect(cell.locator(".num")).to_have_text("1")
    assert page.url.endswith("/queue/")  # swapped in place: no new page
    assert ModelSubmission.objects.get(pk=waiting.pk).votes == 1 and Vote.objects.filter(user=voter).exists()

    cell.locator("button", has_text="withdraw my vote").click()
    expect(page.locator(f"#vote-{waiting.pk} [role=status]")).to_have_text("Vote withdrawn.")
    expect(page.locator(f"#vote-{waiting.pk} .num")).to_have_text("0")
    assert not Vote.objects.exists()
