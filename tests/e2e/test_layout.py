"""Every public page (and the admin's run page) in a real Chromium at a phone's and a desktop's size: no
horizontal overflow of the document, no serious or critical axe-core violation; the ranking's in-place
filtering (htmx) and its fallback without JavaScript; two tasks of one run in the sample browser."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from playwright.sync_api import expect

from flags.models import Flag
from tests.e2e.conftest import ARTIFACTS
from tests.ranked import log_sample, rank_model, uniform

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"phone": (390, 844), "desktop": (1440, 900)}
AXE = Axe()


@pytest.fixture
def board(settings, suites):
    """A demo board: three ranked models (two with samples of two tasks), a flag, a failed run's long reason."""
    settings.DEFAULT_SUITE = "demo-medical"
    suite = suites["demo-medical"]
    tasks = list(suite.tasks.all())
    entries = {}
    for model_id, score in (("org-a/a-rather-long-model-name-7b-instruct", 0.62), ("org-b/b", 0.48), ("c/c", 0.3)):
        entries[model_id] = rank_model(suite, model_id, uniform(suite, score), num_params=7e9, license="mit")
    for entry in list(entries.values())[:2]:
        for task in tasks[:2]:
            for doc_id in range(6):
                log_sample(
                    entry.run,
                    task.task,
                    doc_id,
                    question=f"{task.name} question {doc_id}: which nerve supplies the deltoid muscle?",
                    choices=["axillary", "radial", "ulnar", "median"],
                    target=0,
                    lls=[-1.0, -0.5 - (doc_id + entry.pk) % 2, -2.0, -3.0],
                    metric=task.metric,
                )
    user = User.objects.create_user("reader", password="a-long-passphrase-9")
    flag = Flag.objects.create(user=user, model_id="c/c", reason="other", explanation="A doubt " * 40)
    first = entries["org-a/a-rather-long-model-name-7b-instruct"]
    return {"suite": suite, "tasks": tasks, "first": first, "second": entries["org-b/b"], "flag": flag}


def public_pages(board) -> dict[str, str]:
    first, second, tasks = board["first"], board["second"], board["tasks"]
    models = f"{first.model_id},{second.model_id}"
    return {
        "ranking": "/",
        "model": f"/models/{first.model_id}/",
        "compare": f"/compare/?suite=demo-medical&models={models}",
        "plots": "/leaderboards/demo-medical/plots/",
        "samples": f"/runs/{first.run_id}/samples/{tasks[0].task}/",
        "sample": f"/runs/{first.run_id}/samples/{tasks[0].task}/0/",
        "flags": "/flags/",
        "flag": f"/flags/{board['flag'].pk}/",
        "about": "/about/",
        "queue": "/queue/",
        "login": "/accounts/login/",
        "signup": "/accounts/signup/",
        "password-reset": "/accounts/password/reset/",
    }


def overflow(page) -> int:
    """How many pixels the document is wider than the window (0: none)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def serious_violations(page) -> list[str]:
    found = AXE.run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def new_page(browser, live_server, width: str, *, javascript: bool = True):
    w, h = WIDTHS[width]
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": w, "height": h}, java_script_enabled=javascript
    )
    context.route(
        "**/*", lambda route: route.continue_() if route.request.url.startswith(live_server.url) else route.abort()
    )
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: "Content Security Policy" in m.text and problems.append(m.text))
    return context, page, problems


@pytest.mark.parametrize("width", WIDTHS)
def test_every_public_page_fits_the_width_and_passes_axe(browser, live_server, board, width):
    context, page, problems = new_page(browser, live_server, width)
    failures = {}
    for name, url in public_pages(board).items():
        response = page.goto(url)
        assert response.status == 200, (url, response.status)
        page.wait_for_load_state("load")
        too_wide = overflow(page)
        violations = serious_violations(page)
        if too_wide > 0 or violations:
            failures[name] = {"overflow_px": too_wide, "axe": violations}
        if name in ("ranking", "model", "compare", "plots"):
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{name}-{WIDTHS[width][0]}.png"))
    context.close()
    assert not failures, failures
    assert not problems, problems


def test_the_admin_run_page_fits_both_widths_without_inline_style(browser, live_server, board):
    User.objects.create_superuser("admin", "admin@example.org", "admin-pass-123")
    failed = board["first"].run.__class__.objects.create(
        submission=board["first"].submission, status="FAILED", failure_reason="out of memory " * 30
    )
    for width in WIDTHS:
        context, page, problems = new_page(browser, live_server, width)
        page.goto("/admin/login/?next=/admin/")  # the site's log-in
        page.fill("input[name=login]", "admin")
        page.fill("input[name=password]", "admin-pass-123")
        page.click("button:text('Log in')")
        page.wait_for_url(re.compile(r"/admin/$"))
        for run in (board["first"].run, failed):
            page.goto(f"/admin/evaluation/evalrun/{run.pk}/change/")
            assert overflow(page) <= 0, (width, run.pk, overflow(page))
        context.close()
        assert not problems, problems  # no Content-Security-Policy violation


def ranked(page) -> list[str]:
    return page.locator("#ranking tbody tr[data-model]").evaluate_all("rows => rows.map(r => r.dataset.model)")


def test_filtering_swaps_the_table_in_place_keeps_focus_and_the_url(browser, live_server, board):
    context, page, problems = new_page(browser, live_server, "desktop")
    page.goto("/")
    assert ranked(page) == ["org-a/a-rather-long-model-name-7b-instruct", "org-b/b", "c/c"]
    page.evaluate("window.notReloaded = true")
    page.locator("details.panel >> nth=0").evaluate("d => d.open = true")
    box = page.locator("input[name=size][value='7']")
    box.focus()
    page.keyboard.press("Space")  # check it from the keyboard
    page.wait_for_url(re.compile(r"\?size=7$"))  # only the choice made, no default column or score setting
    assert page.evaluate("window.notReloaded") is True  # swapped in place, not reloaded
    assert page.evaluate("document.activeElement.name + '=' + document.activeElement.value") == "size=7"
    page.locator("input[name=search]").fill("org-")
    expect(page.locator("#ranking tbody tr[data-model]")).to_have_count(2)
    assert ranked(page) == ["org-a/a-rather-long-model-name-7b-instruct", "org-b/b"]
    assert page.locator(".results-summary").inner_text().startswith("2 rows")
    page.wait_for_url(re.compile(r"search=org-"))
    assert page.evaluate("document.activeElement.name") == "search"
    page.locator("#ranking th >> text=Average").click()  # sorting swaps in place too
    page.wait_for_url(re.compile(r"sort=avg"))
    expect(page.locator("#ranking tbody tr[data-model]").first).to_have_attribute("data-model", "org-b/b")
    assert ranked(page) == ["org-b/b", "org-a/a-rather-long-model-name-7b-instruct"]
    assert page.locator("#ranking th[aria-sort=ascending]").count() == 1
    assert page.evaluate("window.notReloaded") is True
    page.go_back()  # back: the page as it was then, asked for again and swapped in
    page.wait_for_url(re.compile(r"search=org-(?!.*sort)"))
    expect(page.locator("#ranking th[aria-sort=descending]")).to_have_count(1)  # sorted as it was
    assert ranked(page) == ["org-a/a-rather-long-model-name-7b-instruct", "org-b/b"]
    context.close()
    assert not problems, problems


def test_filtering_works_without_javascript(browser, live_server, board):
    context, page, _ = new_page(browser, live_server, "phone", javascript=False)
    page.goto("/")
    page.fill("input[name=search]", "org-b")
    page.click("button:text('Apply')")
    page.wait_for_url(re.compile(r"search=org-b"))
    assert ranked(page) == ["org-b/b"]
    assert overflow(page) <= 0
    context.close()


def test_two_tasks_of_one_run_each_show_their_own_questions(browser, live_server, board):
    context, page, problems = new_page(browser, live_server, "phone")
    first, second = board["tasks"][:2]
    run = board["first"].run_id
    for _ in range(2):  # the second round is served from the cache
        for task in (first, second):
            page.goto(f"/runs/{run}/samples/{task.task}/")
            assert page.locator("h1").inner_text().startswith(task.name)
            prompts = page.locator("article.sample pre.prompt").all_inner_texts()
            assert prompts and all(f"{task.name} question" in p for p in prompts)
    context.close()
    assert not problems, problems


def test_phone_ranking_shows_rows_on_the_first_screen(browser, live_server, board):
    context, page, _ = new_page(browser, live_server, "phone")
    page.goto("/")
    first_row = page.locator("#ranking tbody tr[data-model]").first.bounding_box()
    assert first_row["y"] + first_row["height"] <= WIDTHS["phone"][1]
    page.click("header.top .menu-toggle")  # the navigation folds behind Menu
    assert page.locator("#site-nav").is_visible()
    context.close()
