"""Every write to suites: loaded from their YAML files (catalogue/suites/*.yaml)."""

from pathlib import Path

import yaml
from django.db import transaction

from catalogue.models import Scoring, Suite, SuiteTask
from core.errors import DomainError

SUITES_DIR = Path(__file__).resolve().parent / "suites"


class SuiteFileError(DomainError):
    pass


@transaction.atomic
def suite_load(path: Path, *, position: int = 0) -> Suite:
    """Create or update a suite from its YAML file; tasks no longer listed are removed."""
    try:
        data = yaml.safe_load(Path(path).read_text())
        slug, tasks = data["slug"], data["tasks"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise SuiteFileError(f"{path}: not a suite file ({exc})") from exc
    suite, _ = Suite.objects.update_or_create(
        slug=slug,
        defaults={
            "name": data.get("name", slug),
            "description": data.get("description", ""),
            "task_paths": data.get("task_paths") or [],
            "system_instruction": data.get("system_instruction") or "",
            "position": position,
        },
    )
    for index, entry in enumerate(tasks):
        try:
            aliases = entry.get("aliases") or []
            scoring = entry.get("scoring", Scoring.MULTIPLE_CHOICE)
            if scoring not in Scoring.values:
                raise TypeError(f"scoring must be one of {', '.join(Scoring.values)}, not {scoring!r}")
            other_filters = entry.get("other_filters") or []
            if not isinstance(other_filters, list) or not all(isinstance(f, str) for f in other_filters):
                raise TypeError("other_filters must be a list of filter names")
            if not isinstance(aliases, list) or not all(isinstance(alias, str) for alias in aliases):
                raise TypeError("aliases must be a list of task names")
            SuiteTask.objects.update_or_create(
                suite=suite,
                task=entry["task"],
                defaults={
                    "name": entry.get("name", entry["task"]),
                    "num_fewshot": entry.get("num_fewshot", 0),
                    "scoring": scoring,
                    "metric": entry.get("metric", "acc"),
                    "metric_filter": entry.get("filter", "none"),
                    "other_filters": other_filters,
                    "choices": entry.get("choices"),
                    "aliases": aliases,
                    "breakdown": entry.get("breakdown") or "",
                    "position": index,
                },
            )
        except (KeyError, TypeError) as exc:
            raise SuiteFileError(f"{path}: task entry {index} is malformed ({exc})") from exc
    suite.tasks.exclude(task__in=[entry["task"] for entry in tasks]).delete()
    return suite


def suites_load_all() -> list[Suite]:
    return [suite_load(path, position=i) for i, path in enumerate(sorted(SUITES_DIR.glob("*.yaml")))]
