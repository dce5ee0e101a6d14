"""Every web page under generated query strings: any parameter it reads (and some it does not), any value,
never a 5xx."""

import pytest
from django.contrib.auth.models import User
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flags.models import Flag
from tests.ranked import log_sample, rank_model, uniform

NAMES = [
    "search",
    "type",
    "precision",
    "size",
    "params_min",
    "params_max",
    "license",
    "show_flagged",
    "scores",
    "average",
    "cols",
    "sort",
    "page",
    "filter",
    "outcome",
    "q",
    "status",
    "model_id",
    "suite",
    "weight_type",
]
AWKWARD = [
    "",
    "-1",
    "0",
    "1e400",
    "nan",
    "inf",
    "-inf",
    "99999999999999999999",
    "1.5",
    "70+",
    "unknown",
    "norm",
    "visible",
    "avg",
    "-avg",
    "rank",
    "-rank",
    "correct",
    "acc",
    "none",
    "true",
    "on",
    "medqa",
    "demo_medqa",
]
VALUES = st.one_of(st.sampled_from(AWKWARD), st.text(max_size=12))
QUERIES = st.dictionaries(
    st.one_of(st.sampled_from(NAMES), st.text(max_size=6)), st.lists(VALUES, max_size=3), max_size=6
)


@pytest.fixture
def pages(client, demo):
    entry = rank_model(demo, "org/model", uniform(demo, 0.5), license="mit", num_params=7_000_000_000)
    rank_model(demo, "org/other", uniform(demo, 0.3), precision="float16", model_type="fine-tuned")
    for doc_id in range(3):
        log_sample(entry.run, "demo_medqa", doc_id, question=f"Q{doc_id}", choices=["A", "B"], target=0, lls=[-1, -2])
    user = User.objects.create_user("mod", is_staff=True, is_superuser=True)
    Flag.objects.create(user=user, model_id="org/model", reason="metadata", explanation="size")
    client.force_login(user)
    run = entry.run_id
    return [
        "/",
        "/leaderboards/demo-medical/",
        "/leaderboards/demo-medical/ranking.csv",
        "/leaderboards/demo-medical/ranking.json",
        "/leaderboards/demo-medical/plots/",
        "/models/org/model/",
        f"/runs/{run}/samples/demo_medqa/",
        f"/runs/{run}/samples/demo_medqa/1/",
        "/flags/",
        "/queue/",
        "/about/",
        "/submit/",
        "/accounts/profile/",
        "/accounts/tokens/",
        "/admin/submissions/modelsubmission/",
        "/admin/flags/flag/",
    ]


@pytest.fixture
def unlimited(settings):
    """Rate limits far above the fuzzing's hundreds of requests a minute."""
    settings.RATELIMITS = {**settings.RATELIMITS, "pages": ("100000/m",) * 2, "exports": ("100000/m",) * 2}


def test_no_page_answers_a_query_string_with_a_server_error(client, pages, unlimited):
    answered = []

    @given(url=st.sampled_from(pages), query=QUERIES)
    @settings(
        max_examples=40 * len(pages),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
    )
    def visit(url, query):
        status = client.get(url, query).status_code
        assert status < 500, (url, query)
        answered.append(status)

    visit()
    assert len(answered) == 40 * len(pages) and answered.count(200) > len(answered) / 2
