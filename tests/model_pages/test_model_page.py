"""A model's page: its scores with intervals and medians, its runs and records, its flags."""

import json
import re

import pytest
from django.contrib.auth.models import User

from evaluation.models import EvalRun, RunStatus
from flags.models import Flag
from tests.ranked import html, rank_model, uniform

pytestmark = pytest.mark.django_db


def test_model_page_scores_runs_record_and_flags(client, demo):
    tasks = list(demo.tasks.all())
    entry = rank_model(
        demo,
        "org/star",
        {t.task: 0.6 + i / 100 for i, t in enumerate(tasks)},
        architecture="<b>Arch</b>",
        num_params=1_234_000_000,
        license="apache-2.0",
    )
    rank_model(demo, "org/a", uniform(demo, 0.2))
    rank_model(demo, "org/b", uniform(demo, 0.4))
    failed = EvalRun.objects.create(
        submission=entry.submission, status=RunStatus.FAILED, failure_reason="out of GPU memory"
    )
    alice = User.objects.create_user("alice")
    Flag.objects.create(user=alice, model_id="org/star", reason="metadata", explanation="wrong size")
    page = html(client, "/models/org/star/")
    assert "<b>Arch</b>" not in page and "&lt;b&gt;Arch&lt;/b&gt;" in page
    assert "1,234,000,000" in page and "apache-2.0" in page
    for t in tasks:
        assert t.name in page
    assert "60.0 <small" in page  # the first task's score, then its interval
    assert ">40.0<" in page  # the median of the suite's three ranked models
    assert f"#{failed.pk}" in page and "out of GPU memory" in page
    assert "lm_eval --model hf --model_args pretrained=org/star" in page
    assert "wrong metadata" in page and "/flags/" in page
    chart = json.loads(
        re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', page, re.S).group(1)
    )
    [suite_chart] = chart
    assert suite_chart["tasks"][0] == {
        "name": tasks[0].name,
        "score": 0.6,
        "ci": [pytest.approx(entry.ci_low[0]), pytest.approx(entry.ci_high[0])],
        "median": 0.4,
    }
    assert client.get("/models/nobody/nothing/").status_code == 404
