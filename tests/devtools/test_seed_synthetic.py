import pytest
from django.core.management import call_command

from evaluation.models import SampleLog, TaskResult
from rankings.models import LeaderboardEntry

pytestmark = pytest.mark.django_db


def test_seed_synthetic_ranks_models_with_samples_and_replaces_them_when_run_again(client, demo):
    call_command("seed_synthetic", models=40, suite="demo-medical", samples=3, sample_models=5)
    call_command("seed_synthetic", models=30, suite="demo-medical", samples=2)
    n_tasks = demo.tasks.count()
    assert LeaderboardEntry.objects.filter(suite=demo, is_reference=False).count() == 30
    assert TaskResult.objects.count() == 30 * n_tasks
    assert SampleLog.objects.count() == 30 * n_tasks * 2
    assert LeaderboardEntry.objects.exclude(flag=None).count() == 1  # about 1% flagged, at least one
    assert LeaderboardEntry.objects.filter(rank_best__isnull=False, average_ci_low__isnull=False).count() == 29
    page = client.get("/leaderboards/demo-medical/", {"show_flagged": "on"}).content.decode()
    assert "30 rows" in page
    entry = LeaderboardEntry.objects.order_by("-average").first()
    sample_page = client.get(f"/runs/{entry.run_id}/samples/{demo.tasks.first().task}/")
    assert sample_page.status_code == 200 and "2 samples" in sample_page.content.decode()
