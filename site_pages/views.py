from django.conf import settings
from django.http import Http404
from django.shortcuts import render

from catalogue.models import Suite
from rankings.ranking_state import suite_tabs
from rankings.selectors import suite_for_ranking
from site_pages import about as about_facts
from site_pages.selectors import score_against_size, score_distribution, top_score_history


def plots(request, slug):
    found = suite_for_ranking(slug)
    if found is None:
        raise Http404(f"No suite {slug}.")
    suite, suite_tasks = found
    return render(
        request,
        "site_pages/plots.html",
        {
            "suite": suite,
            "tabs": suite_tabs(),
            "history": top_score_history(suite),
            "distribution": score_distribution(suite, suite_tasks),
            "sizes": score_against_size(suite),
        },
    )


def about(request):
    suites = [(suite, about_facts.datasets(list(suite.tasks.all()))) for suite in Suite.objects.all()]
    default = Suite.objects.filter(slug=settings.DEFAULT_SUITE).first() or Suite.objects.first()
    return render(
        request,
        "site_pages/about.html",
        {
            "suites": suites,
            "command": about_facts.reproduce_command(default),
            "citation": about_facts.CITATION,
            "statistics": about_facts.statistics_methods(),
        },
    )
