"""What a page costs the server whatever its URL asks: rows per page clamped, one cache entry per ranking however
many junk parameters, a run's download built once, exports cached under the ranking's version."""

import os
import zipfile

import pytest
from django.core.cache import caches

from evaluation.models import ResultsFile, TaskResult
from rankings import filters
from rankings.services import entry_refresh
from tests.ranked import log_sample, rank_model, uniform

pytestmark = pytest.mark.django_db
RANKING = "/leaderboards/demo-medical/"


@pytest.fixture(autouse=True)
def unlimited(settings):
    settings.RATELIMITS = {**settings.RATELIMITS, "pages": ("100000/m",) * 2, "exports": ("100000/m",) * 2}
    settings.RANKING_CACHE_SECONDS = 300
    caches["ranking"].clear()


def rows(response) -> int:
    return response.content.decode().count('data-model="org/')


def test_per_page_is_clamped(client, demo, monkeypatch, request):  # noqa: F811
    for i in range(5):
        rank_model(demo, f"org/model-{i}", uniform(demo, 0.2 + i / 10))
    assert client.get(RANKING, {"per_page": "-1"}).status_code == 200
    assert client.get(RANKING, {"per_page": "0"}).status_code == 200
    assert rows(client.get(RANKING, {"per_page": "2"})) == 2
    monkeypatch.setattr(filters, "MAX_PER_PAGE", 3)
    caches["ranking"].clear()
    filters._cleaned.cache_clear()  # the process remembers cleaned queries: those of the old limit,
    request.addfinalizer(filters._cleaned.cache_clear)  # and then of this one
    assert rows(client.get(RANKING, {"per_page": "3000"})) == 3


def test_junk_parameters_share_one_cache_entry(client, demo):  # noqa: F811
    rank_model(demo, "org/model", uniform(demo, 0.5))
    first = client.get(RANKING, {"search": "org"})
    cache = caches["ranking"]
    entries = len(cache._cache)  # LocMemCache's own dict: what the process holds
    for i in range(1000):
        response = client.get(RANKING, {"search": "org", f"junk{i}": "x" * 20, "per_page": str(10**6 + i)})
        assert response.status_code == 200
    assert len(cache._cache) <= entries + 2  # + the clamped per_page's page (its body and its table part)
    assert response.content == client.get(RANKING, {"search": " org ", "utm": "y", "per_page": "100"}).content
    assert b"junk" not in response.content and b"org/model" in first.content


def test_a_runs_download_is_built_once_and_served_as_a_file(client, demo, settings, tmp_path):  # noqa: F811
    settings.DATA_DIR = tmp_path
    run = rank_model(demo, "org/model", uniform(demo, 0.5)).run
    ResultsFile.objects.create(run=run, date_id="2026-01-01T00-00-00", data={"model_name": "org/model", "results": {}})
    log_sample(run, "demo_medqa", 0, question="Q", choices=["A", "B"], target=0, lls=[-1, -2])
    first = client.get(f"/runs/{run.pk}/download.zip")
    assert first.status_code == 200 and first.streaming
    body = b"".join(first.streaming_content)
    [built] = (tmp_path / "downloads").glob("*.zip")
    stat = built.stat()
    second = client.get(f"/runs/{run.pk}/download.zip")
    assert b"".join(second.streaming_content) == body
    again = built.stat()
    assert (again.st_ino, again.st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)  # not rebuilt
    assert not [p for p in os.listdir(tmp_path / "downloads") if p.endswith(".part")]
    with zipfile.ZipFile(built) as archive:
        assert any(name.startswith("org__model/samples_demo_medqa_") for name in archive.namelist())


def test_exports_are_cached_under_the_rankings_version(client, demo):  # noqa: F811
    entry = rank_model(demo, "org/model", uniform(demo, 0.5))
    csv = client.get("/leaderboards/demo-medical/ranking.csv").content.decode()
    assert "50.0" in csv or "0.5" in csv
    TaskResult.objects.filter(run=entry.run).update(value=0.9)  # not yet through the ranking: no new version
    assert client.get("/leaderboards/demo-medical/ranking.csv", {"junk": "1"}).content.decode() == csv
    json_before = client.get("/leaderboards/demo-medical/ranking.json").json()
    entry_refresh(entry.run)  # the ranking changes: a new version
    assert client.get("/leaderboards/demo-medical/ranking.csv").content.decode() != csv
    assert client.get("/leaderboards/demo-medical/ranking.json").json() != json_before
