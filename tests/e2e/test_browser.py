"""The pages in a real browser: ranking, sorting and filters, flags, the sample browser, charts."""

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from devtools.tiny_model import build_tiny_model
from evaluation.models import SampleLog
from flags.models import Flag, FlagStatus
from pipeline.intake import submission_approve, submission_submit
from pipeline.jobs import delivery_handle
from tests.e2e.conftest import screenshot
from tests.ranked import rank_model, uniform

pytestmark = pytest.mark.django_db(transaction=True)


def ranked_models(page) -> list[str]:
    return page.locator("#ranking tbody tr[data-model]").evaluate_all("rows => rows.map(r => r.dataset.model)")


def test_a_real_evaluation_ranks_charts_and_browses_samples(page, settings, suites, tiny_model):
    """The tiny model evaluated by the real harness: its row, its model page chart, its samples."""
    model_id, _ = tiny_model
    settings.DEFAULT_SUITE = "demo-medical"
    suite = suites["demo-medical"]
    rank_model(suite, "other-org/baseline", uniform(suite, 0.3))
    submission = submission_submit(
        user=None, model_id=model_id, revision="main", precision="float32", suite=suite, check_now=True
    )
    submission_approve(submission, actor=None)
    assert delivery_handle(submission.runs.get().pk) == "finished"
    run = submission.runs.get()

    page.goto("/")
    assert set(ranked_models(page)) == {model_id, "other-org/baseline"}
    headers = page.locator("#ranking thead th").all_inner_texts()
    assert headers[:5] == ["Rank", "Band", "Type", "Model", "Average"]
    assert [t.name for t in suite.tasks.all()] == headers[5 : 5 + suite.tasks.count()]
    screenshot(page, "ranking")

    page.click(f"#ranking a:text-is('{model_id}')")
    page.wait_for_url(re.compile(r"/models/"))
    page.wait_for_selector("[data-chart=model][data-drawn=true] canvas")
    scores, intervals, medians = page.evaluate(
        "Chart.getChart(document.querySelector('[data-chart=model] canvas')).data.datasets.map(d => d.data)"
    )
    assert len(scores) == len(intervals) == len(medians) == suite.tasks.count()  # per task: score, 95% interval
    assert all(low - 1e-9 <= score <= high + 1e-9 for score, (low, high) in zip(scores, intervals, strict=True))
    screenshot(page, "model-page")

    page.click("table.scores a:text-is('browse') >> nth=0")
    page.wait_for_url(re.compile(rf"/runs/{run.pk}/samples/"))
    first_task = suite.tasks.first().task
    stored = SampleLog.objects.filter(run=run, task=first_task).order_by("doc_id")
    articles = page.locator("article.sample")
    assert articles.count() == min(stored.count(), 50)
    sample = stored.first()
    shown = articles.first.locator("pre.prompt").inner_text()
    assert shown == sample.arguments["gen_args_0"]["arg_0"]  # the prompt exactly as the model saw it
    choices = articles.first.locator("table.choices tbody tr")
    assert choices.count() == len(sample.arguments)
    assert articles.first.locator("tr.pick").count() == 1 and articles.first.locator("tr.target").count() == 1
    screenshot(page, "samples")

    correct = SampleLog.objects.filter(run=run, task=first_task, metrics__acc=1).count()
    page.select_option("select[name=outcome]", "correct")
    page.click("text=Show")
    page.wait_for_url(re.compile(r"outcome=correct"))
    assert page.locator("article.sample").count() == min(correct, 50)
    assert page.locator("article.sample.incorrect").count() == 0

    page.goto(f"/runs/{run.pk}/samples/{first_task}/")
    page.click("article.sample >> nth=0 >> a.permalink")
    page.wait_for_url(re.compile(rf"/samples/{first_task}/{sample.doc_id}/$"))
    assert page.locator("article.sample").count() == 1


def test_sorting_and_filters_change_the_rows(page, settings, suites):
    settings.DEFAULT_SUITE = "demo-medical"
    suite = suites["demo-medical"]
    tasks = [t.task for t in suite.tasks.all()]
    rank_model(suite, "meta/llama-7b", {**uniform(suite, 0.6), tasks[0]: 0.2}, num_params=7e9, likes=10)
    rank_model(suite, "acme/tiny-1b", {**uniform(suite, 0.4), tasks[0]: 0.9}, num_params=1e9, likes=99)
    rank_model(suite, "acme/mid-13b", uniform(suite, 0.5), num_params=13e9, model_type="fine-tuned", likes=1)
    page.goto("/")
    assert ranked_models(page) == ["meta/llama-7b", "acme/mid-13b", "acme/tiny-1b"]

    page.click("#ranking th >> text=MedMCQA")  # ascending first, then descending
    page.wait_for_selector("#ranking th[aria-sort=ascending] >> text=MedMCQA")
    page.click("#ranking th >> text=MedMCQA")
    page.wait_for_selector("#ranking th[aria-sort=descending] >> text=MedMCQA")
    page.wait_for_url(re.compile(r"sort=-score_0"))
    assert ranked_models(page) == ["acme/tiny-1b", "acme/mid-13b", "meta/llama-7b"]

    page.fill("input[name=search]", "acme")
    page.click("text=Apply")
    page.wait_for_url(re.compile(r"search=acme"))
    expect(page.locator("#ranking tbody tr[data-model]")).to_have_count(2)
    assert ranked_models(page) == ["acme/tiny-1b", "acme/mid-13b"]  # the sort is kept
    assert "params_min" not in page.url  # empty fields stay out of the shared URL

    page.click("details.panel summary:text('Filters')")
    page.check("input[name=type][value='fine-tuned']")  # applies at once
    page.wait_for_url(re.compile(r"type=fine-tuned"))
    expect(page.locator("#ranking tbody tr[data-model]")).to_have_count(1)
    assert ranked_models(page) == ["acme/mid-13b"]
    screenshot(page, "ranking-filtered")

    shared = page.url
    page.goto(shared)
    assert ranked_models(page) == ["acme/mid-13b"]
    assert page.locator("input[name=type][value='fine-tuned']").is_checked()


def test_a_flag_raised_and_upheld_marks_and_hides_the_model(page, live_server, settings, suites):
    settings.DEFAULT_SUITE = "demo-medical"
    suite = suites["demo-medical"]
    rank_model(suite, "cheat/contaminated", uniform(suite, 0.95))
    rank_model(suite, "fair/model", uniform(suite, 0.5))
    User.objects.create_user("alice", password="a-long-passphrase-9")
    User.objects.create_superuser("mod", "mod@example.org", "mod-pass-123")

    def log_in(username, password):
        page.goto("/accounts/login/")
        page.fill("input[name=login]", username)
        page.fill("input[name=password]", password)
        page.click("button:text('Log in')")
        page.wait_for_url(re.compile(r"^(?!.*login)"))

    log_in("alice", "a-long-passphrase-9")
    page.goto("/models/cheat/contaminated/")
    page.click("text=Flag this model")
    page.check("input[name=reason][value=contamination]")
    page.fill("textarea[name=explanation]", "Its card lists the <MedQA> test split in the training data.")
    page.fill("textarea[name=evidence]", "https://example.org/card")
    page.click("button:text('Flag the model')")
    page.wait_for_url(re.compile(r"/flags/\d+/$"))
    assert "Its card lists the <MedQA> test split" in page.locator(".flag-text").first.inner_text()
    flag = Flag.objects.get()
    page.goto("/")
    assert ranked_models(page) == ["cheat/contaminated", "fair/model"]  # open flags change nothing

    page.context.clear_cookies()
    log_in("mod", "mod-pass-123")
    page.goto(f"/admin/flags/flag/{flag.pk}/change/")
    page.select_option("select[name=status]", "upheld")
    page.fill("textarea[name=moderation_note]", "Confirmed from the model card.")
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/flags/flag/$"))
    flag.refresh_from_db()
    assert flag.status == FlagStatus.UPHELD

    page.goto("/")
    assert ranked_models(page) == ["fair/model"]
    page.check("input[name=show_flagged]")
    page.wait_for_url(re.compile(r"show_flagged=on"))
    expect(page.locator("#ranking tbody tr[data-model]")).to_have_count(2)
    assert ranked_models(page) == ["cheat/contaminated", "fair/model"]
    icon = page.locator("#ranking tr[data-model='cheat/contaminated'] a.flag-icon")
    assert icon.inner_text() == "🏴‍☠️ flagged"
    screenshot(page, "ranking-flagged")
    icon.click()
    page.wait_for_url(re.compile(rf"/flags/{flag.pk}/$"))
    assert "Confirmed from the model card." in page.content()


def test_plots_draw(page, settings, suites):
    suite = suites["demo-medical"]
    for i, (name, score, size) in enumerate(
        [("a/first", 0.3, 7e9), ("b/second", 0.5, 13e9), ("c/worse", 0.4, 3e9), ("d/best", 0.7, 70e9)]
    ):
        rank_model(suite, name, uniform(suite, score), days_ago=40 - 10 * i, num_params=size)
    page.goto("/leaderboards/demo-medical/plots/")

    def data(selector: str, expression: str):
        page.wait_for_selector(f"{selector} canvas")
        return page.evaluate(
            f"[...document.querySelectorAll('{selector} canvas')].map(c => Chart.getChart(c)){expression}"
        )

    records = data("[data-chart=history][data-drawn=true]", "[0].data.datasets[0].data.filter(p => p.model)")
    assert [p["model"] for p in records] == ["a/first", "b/second", "d/best"]  # the records
    counts = data("[data-chart=distribution][data-drawn=true]", ".map(chart => chart.data.datasets[0].data)")
    assert len(counts) == suite.tasks.count() and all(sum(task) == 4 for task in counts)
    assert sorted(c for c in counts[0] if c) == [1, 1, 1, 1]  # four models in four different slices
    frontier, points = data("[data-chart=sizes][data-drawn=true]", "[0].data.datasets.map(d => d.data)")
    assert [p["model"] for p in frontier] == ["c/worse", "b/second", "d/best"]  # each beats every smaller one
    assert len(points) == 4
    screenshot(page, "plots")
    page.goto("/about/")
    page.click("button.copy")
    page.wait_for_function("document.querySelector('button.copy').textContent === 'Copied ✔'")


def test_compare_two_evaluated_tiny_models_and_follow_a_disagreement_to_its_sample(page, settings, suites, hub_cache):
    """Two tiny models of different weights, evaluated by the real harness: the compare page's counts, its
    model picker, the disagreement list and a link through to one model's sample of that question."""
    suite = suites["demo-medical"]
    runs = {}
    for model_id, seed in (("test-org/tiny-a", 1), ("test-org/tiny-b", 2)):
        build_tiny_model(model_id, hub_cache=hub_cache, seed=seed, init_std=0.5)
        submission = submission_submit(
            user=None, model_id=model_id, revision="main", precision="float32", suite=suite, check_now=True
        )
        submission_approve(submission, actor=None)
        assert delivery_handle(submission.runs.get().pk) == "finished"
        runs[model_id] = submission.runs.get()
    medmcqa = suite.tasks.get(task="demo_medmcqa")
    assert runs["test-org/tiny-a"].subject_results.filter(task="demo_medmcqa", subject="Pharmacology", n=5).exists()

    page.goto(f"/leaderboards/{suite.slug}/")
    page.click("#ranking tr[data-model='test-org/tiny-a'] a.compare-link")
    page.wait_for_url(re.compile(r"/compare/\?"))
    page.fill("#compare-search", "tiny-b")  # the picker: search as you type, pick from what it offers
    page.wait_for_selector("#compare-options option[value='test-org/tiny-b']", state="attached")
    page.press("#compare-search", "Enter")
    page.wait_for_function("document.getElementById('compare-chosen').children.length === 2")
    page.click("#compare-form button[type=submit]")
    page.wait_for_url(re.compile(r"models=test-org%2Ftiny-a%2Ctest-org%2Ftiny-b"))
    screenshot(page, "compare")

    a, b = runs["test-org/tiny-a"], runs["test-org/tiny-b"]
    right = {
        run.pk: {s.doc_id: s.metrics["acc"] == 1 for s in SampleLog.objects.filter(run=run, task=medmcqa.task)}
        for run in (a, b)
    }
    only_a = sum(right[a.pk][d] and not right[b.pk][d] for d in right[a.pk])
    only_b = sum(right[b.pk][d] and not right[a.pk][d] for d in right[a.pk])
    assert only_a + only_b > 0, "two models of different weights disagree somewhere"
    row = page.locator("table.comparison-table tbody tr", has_text="MedMCQA").first.locator("td").all_inner_texts()
    assert row[0:5] == [
        str(len(right[a.pk])),
        str(sum(right[a.pk].values())),
        str(sum(right[b.pk].values())),
        str(only_a),
        str(only_b),
    ]

    page.select_option("#compare-task", medmcqa.task)
    page.click(".compare-task-filter button")
    page.wait_for_url(re.compile(r"task=demo_medmcqa"))
    listed = page.locator("tr.disagreement")
    assert listed.count() == only_a + only_b
    doc_id = int(listed.first.get_attribute("data-doc"))
    assert right[a.pk][doc_id] != right[b.pk][doc_id]
    listed.first.locator("a.sample-b").click()
    page.wait_for_url(re.compile(rf"/runs/{b.pk}/samples/{medmcqa.task}/{doc_id}/$"))
    assert page.locator("article.sample").count() == 1
