"""The layer check (devtools.layers, ``manage.py check_layers``): it passes on the project, and fails on a planted
upward foreign key, migration dependency and task name."""

from pathlib import Path

import pytest
from django.apps.registry import Apps
from django.conf import settings
from django.core.management import call_command
from django.db import models
from django.db.migrations.loader import MigrationLoader

from devtools.layers import (
    layer_ranks,
    migration_edges,
    model_edges,
    production_sources,
    project_problems,
    task_edges,
    tasks_missing,
    violations,
)

ROOT = Path(settings.BASE_DIR)
RANKS = layer_ranks(ROOT / "pyproject.toml")


def test_the_layers_are_read_from_the_import_linter_contract():
    assert RANKS["core"] < RANKS["catalogue"] < RANKS["accounts"] < RANKS["submissions"] < RANKS["evaluation"]
    assert RANKS["evaluation"] < RANKS["pipeline"] < RANKS["api"] == RANKS["operations"]


def test_the_project_keeps_its_layers():
    assert project_problems(ROOT) == []
    call_command("check_layers")


def _planted_models():
    """Models of an isolated registry, labelled as two real apps: a run (evaluation) and a suite (catalogue) with a
    foreign key up to it."""
    registry = Apps(installed_apps=())

    class Run(models.Model):  # noqa: DJ008
        class Meta:
            app_label = "evaluation"
            apps = registry

    class Suite(models.Model):  # noqa: DJ008
        newest_run = models.ForeignKey(Run, on_delete=models.CASCADE)

        class Meta:
            app_label = "catalogue"
            apps = registry

    class Result(models.Model):  # noqa: DJ008
        run = models.ForeignKey(Run, on_delete=models.CASCADE)
        suite = models.ForeignKey(Suite, on_delete=models.CASCADE)
        suites = models.ManyToManyField(Suite, related_name="+")

        class Meta:
            app_label = "evaluation"
            apps = registry

    result_suites = Result._meta.get_field("suites").remote_field.through  # the many-to-many's table
    return [Run, Suite, Result, result_suites]


def test_a_planted_upward_foreign_key_fails():
    found = violations(model_edges(_planted_models()), RANKS)
    assert found == [
        "catalogue.Suite.newest_run relates to evaluation.Run: catalogue -> evaluation points up or sideways"
    ]


def test_the_real_models_relations_are_all_seen():
    from django.apps import apps

    edges = {(e.source, e.target) for e in model_edges(apps.get_models(include_auto_created=True))}
    assert {("evaluation", "submissions"), ("submissions", "catalogue"), ("accounts", "auth")} <= edges


def test_a_planted_upward_migration_dependency_fails():
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    assert not [v for v in violations(migration_edges(graph), RANKS) if "planted" in v]
    evaluation_leaf = graph.leaf_nodes("evaluation")[0]
    graph.add_node(("catalogue", "9999_planted"), None)
    graph.add_dependency("planted", ("catalogue", "9999_planted"), evaluation_leaf)
    found = violations(migration_edges(graph), RANKS)
    assert (
        f"migration catalogue.9999_planted depends on {'.'.join(evaluation_leaf)}: catalogue -> evaluation points up or sideways"
        in found
    )


PLANTED = """
from django_q.models import Schedule
from django_q.tasks import async_task

DELIVERY = "pipeline.jobs.delivery_handle"


def deliver(run_id):
    async_task(DELIVERY, run_id)


def reap_every_minute():
    Schedule.objects.update_or_create(name="reaper", defaults={"func": "pipeline.lifecycle.runs_reap"})


def mail(to):
    async_task("accounts.services.mail_deliver", "subject", "body", [to], hook="submissions.planted.deliver")
"""


def test_a_planted_upward_task_name_fails():
    sources = {**production_sources(ROOT, RANKS), "submissions.planted": PLANTED}
    edges, unreadable = task_edges(sources)
    assert unreadable == []
    found = [v for v in violations(edges, RANKS) if v.startswith("submissions.planted")]
    assert found == [
        "submissions.planted enqueues pipeline.jobs.delivery_handle: submissions.planted -> "
        "pipeline.jobs.delivery_handle points up or sideways",
        "submissions.planted enqueues pipeline.lifecycle.runs_reap: submissions.planted -> "
        "pipeline.lifecycle.runs_reap points up or sideways",
    ]  # the mail task is below, and the hook its own app's


def test_the_real_enqueued_tasks_are_all_seen_and_exist():
    edges, _ = task_edges(production_sources(ROOT, RANKS))
    assert {(e.source, e.target) for e in edges} >= {
        ("pipeline.delivery", "pipeline.jobs.delivery_handle"),
        ("pipeline.intake", "pipeline.intake.submission_check"),
        ("pipeline.lifecycle", "pipeline.lifecycle.runs_reap"),
        ("evaluation.services", "evaluation.export.run_export_build"),
        ("accounts.services", "accounts.services.mail_deliver"),
    }
    assert tasks_missing(edges) == []


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("async_task(name_of_the_day(), 1)", "unreadable"),
        ('async_task("pipeline.jobs.no_such_job", 1)', "missing"),
    ],
)
def test_a_task_name_that_cannot_be_read_or_names_nothing_fails(source, problem):
    edges, unreadable = task_edges({"pipeline.planted": f"from django_q.tasks import async_task\n{source}\n"})
    assert bool(unreadable) == (problem == "unreadable")
    assert bool(tasks_missing(edges)) == (problem == "missing")
