"""Which suites this server can evaluate without the Hugging Face hub: those whose every task is defined in the
suite's own task directories on data files that ship with them (lm-eval's ``json``/``csv``/``parquet``/``text``
loaders on ``data_files``). A task from lm-eval's own registry, or on a hub dataset, needs the hub. Read from the
tasks' YAML (never by importing lm-eval), once per process."""

from functools import cache
from pathlib import Path

import yaml
from django.conf import settings

LOCAL_LOADERS = {"json", "csv", "parquet", "text"}


class _Loader(yaml.SafeLoader):
    """lm-eval's YAML with its ``!function`` tags read as plain text."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _read(path: Path) -> dict:
    data = yaml.load(path.read_text(), Loader=_Loader) or {}  # noqa: S506 (a safe loader)
    included = data.get("include")
    if isinstance(included, str) and (path.parent / included).is_file():
        data = {**_read(path.parent / included), **data}
    return data if isinstance(data, dict) else {}


@cache
def _local_tasks(task_paths: tuple[str, ...]) -> frozenset[str]:
    """The tasks of these directories that load only files of their own."""
    found: set[str] = set()
    for folder in task_paths:
        root = Path(folder) if Path(folder).is_absolute() else Path(settings.BASE_DIR) / folder
        for path in root.rglob("*.yaml"):
            data = _read(path)
            if data.get("dataset_path") in LOCAL_LOADERS and (data.get("dataset_kwargs") or {}).get("data_files"):
                found.add(data.get("task", ""))
    return frozenset(found)


def hub_offline() -> bool:
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def suite_runs_offline(suite) -> bool:
    """Every task of ``suite`` runs on data that ships with its task directories."""
    local = _local_tasks(tuple(suite.task_paths or ()))
    return all(t.task in local for t in suite.tasks.all())
