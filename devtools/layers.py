"""The layers hold for data and tasks too: foreign keys, migration dependencies and enqueued task names point down.

import-linter checks the imports against the ``layers`` contract in pyproject.toml. This reads the same contract
and checks what import-linter cannot see:

1. every relation of a model (foreign key, one-to-one, many-to-many) points to its own app or a lower layer;
2. every migration dependency points to its own app or a lower layer;
3. every task production code enqueues by name (django-q2's ``async_task``, ``schedule``, a ``Schedule``'s
   ``func``, their ``hook``) names a module of its own app or a lower layer, and a function that exists.

Apps outside the contract (Django's, third parties') count as the bottom. Apps side by side in one layer
(``a | b``) are independent: neither may point to the other. Each check takes its graph as input, so a test can
feed it a planted edge; ``manage.py check_layers`` runs them on the project.
"""

import ast
import importlib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from django.db.models import ForeignObjectRel

BOTTOM = -1  # apps outside the contract
TASK_CALLS = {"async_task", "schedule", "async_iter", "async_chain"}
TASK_KEYWORDS = {"func", "hook"}


@dataclass(frozen=True)
class Edge:
    source: str  # the app (or module) that points
    target: str  # the app (or module) it points to
    what: str  # said in the report


def layer_ranks(pyproject: Path) -> dict[str, int]:
    """{app: its layer's height} from the import-linter ``layers`` contract (0 the lowest)."""
    config = tomllib.loads(pyproject.read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["type"] == "layers"]
    ranks = {}
    for height, layer in enumerate(reversed(contract["layers"])):
        for app in layer.split("|"):
            ranks[app.strip()] = height
    return ranks


def _app(name: str) -> str:
    return name.split(".")[0]


def violations(edges: Iterable[Edge], ranks: Mapping[str, int]) -> list[str]:
    """The edges that do not point to their own app or a lower layer."""
    found = []
    for edge in edges:
        source, target = _app(edge.source), _app(edge.target)
        if source == target or (source not in ranks and target not in ranks):  # within an app, or not ours
            continue
        if ranks.get(target, BOTTOM) >= ranks.get(source, BOTTOM):
            found.append(f"{edge.what}: {edge.source} -> {edge.target} points up or sideways")
    return found


def model_edges(models: Iterable) -> list[Edge]:
    """Every relation declared on ``models`` (Django model classes; the reverse sides left out) as an edge between
    apps."""
    edges = []
    for model in models:
        for field in model._meta.get_fields(include_hidden=True):
            if field.is_relation and not isinstance(field, ForeignObjectRel) and field.related_model is not None:
                target = field.related_model._meta
                edges.append(
                    Edge(
                        model._meta.app_label,
                        target.app_label,
                        f"{model._meta.label}.{field.name} relates to {target.label}",
                    )
                )
    return edges


def migration_edges(graph) -> list[Edge]:
    """Every dependency of a migration graph (django.db.migrations.graph.MigrationGraph) as an edge between apps."""
    return [
        Edge(node.key[0], parent.key[0], f"migration {'.'.join(node.key)} depends on {'.'.join(parent.key)}")
        for node in graph.node_map.values()
        for parent in node.parents
    ]


def _constants(tree: ast.Module) -> dict[str, str]:
    """A module's top-level ``NAME = "string"`` assignments."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value.value
    return found


def _imported_names(tree: ast.Module) -> dict[str, tuple[str, str]]:
    """{local name: (module, name)} of a module's ``from module import name`` statements."""
    return {
        alias.asname or alias.name: (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }


def _called(call: ast.Call) -> tuple[str, bool]:
    """The called name, and whether it is a django-q2 Schedule (``Schedule(...)``, ``Schedule.objects.x(...)``)."""
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    root = func
    while isinstance(root, ast.Attribute):
        root = root.value
    return name, isinstance(root, ast.Name) and root.id == "Schedule"


def _task_arguments(call: ast.Call) -> list[ast.expr]:
    """The expressions of a call that name a task."""
    name, on_schedule = _called(call)
    found = []
    if name in TASK_CALLS and call.args:
        found.append(call.args[0])
    if name in TASK_CALLS or on_schedule:
        found += [kw.value for kw in call.keywords if kw.arg in TASK_KEYWORDS]
    if on_schedule:  # Schedule.objects.update_or_create(defaults={"func": ...})
        for kw in call.keywords:
            if isinstance(kw.value, ast.Dict):
                found += [
                    value
                    for key, value in zip(kw.value.keys, kw.value.values, strict=True)
                    if isinstance(key, ast.Constant) and key.value in TASK_KEYWORDS
                ]
    return found


def task_edges(sources: Mapping[str, str]) -> tuple[list[Edge], list[str]]:
    """The tasks ``sources`` ({module: its source}) enqueue, as edges from the module to the task's module; and
    what cannot be read statically (a task name that is neither a string nor a string constant)."""
    trees = {module: ast.parse(source) for module, source in sources.items()}
    edges, unreadable = [], []
    for module, tree in trees.items():
        constants, imported = _constants(tree), _imported_names(tree)
        for call in (node for node in ast.walk(tree) if isinstance(node, ast.Call)):
            for argument in _task_arguments(call):
                task = _task_name(argument, constants, imported, trees)
                if task is None:
                    unreadable.append(f"{module}, line {argument.lineno}: a task name that is not a string constant")
                else:
                    edges.append(Edge(module, task, f"{module} enqueues {task}"))
    return edges, unreadable


def _task_name(argument: ast.expr, constants, imported, trees) -> str | None:
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        return argument.value
    if isinstance(argument, ast.Name):
        if argument.id in constants:
            return constants[argument.id]
        module, name = imported.get(argument.id, (None, None))
        if module in trees:
            return _constants(trees[module]).get(name)
    return None


def tasks_missing(edges: Iterable[Edge]) -> list[str]:
    """The enqueued tasks that name no function."""
    missing = []
    for edge in edges:
        module, _, name = edge.target.rpartition(".")
        try:
            found = callable(getattr(importlib.import_module(module), name, None))
        except ImportError:
            found = False
        if not found:
            missing.append(f"{edge.what}: no such function")
    return missing


def production_sources(root: Path, apps: Iterable[str]) -> dict[str, str]:
    """{module: source} of the apps' production code (their migrations left out: they enqueue nothing)."""
    sources = {}
    for app in apps:
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" not in path.parts:
                sources[".".join(path.relative_to(root).with_suffix("").parts)] = path.read_text()
    return sources


def project_problems(root: Path) -> list[str]:
    """Every way the project's models, migrations and task names break its layers."""
    from django.apps import apps
    from django.db.migrations.loader import MigrationLoader

    ranks = layer_ranks(root / "pyproject.toml")
    tasks, unreadable = task_edges(production_sources(root, ranks))
    return [
        *violations(model_edges(apps.get_models(include_auto_created=True)), ranks),
        *violations(migration_edges(MigrationLoader(None, ignore_no_migrations=True).graph), ranks),
        *violations(tasks, ranks),
        *unreadable,
        *tasks_missing(tasks),
    ]
