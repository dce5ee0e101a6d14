"""One hierarchy of domain errors, mapped to HTTP in one place for the pages and one for the API."""

import ast
import importlib
from pathlib import Path

import pytest

from core.errors import DomainError
from devtools.layers import layer_ranks

REPO = Path(__file__).resolve().parents[2]
APPS = [app for app in layer_ranks(REPO / "pyproject.toml") if app != "devtools"]  # every app but the dev tools
NOT_DOMAIN = {"core.sandbox.SandboxUnavailable"}  # the host cannot run the sandbox: its setup, not a request


def _error_classes():
    for app in APPS:
        for path in sorted((REPO / app).rglob("*.py")):
            module = ".".join(path.relative_to(REPO).with_suffix("").parts)
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ClassDef) and node.name.endswith(("Error", "Unavailable")):
                    yield module, node.name


def test_every_error_class_of_the_apps_is_a_domain_error():
    found = list(_error_classes())
    assert len(found) >= 10  # the scan sees them
    for module, name in found:
        if f"{module}.{name}" in NOT_DOMAIN:
            continue
        error = getattr(importlib.import_module(module), name)
        assert issubclass(error, DomainError), f"{module}.{name}"


@pytest.mark.urls("tests.core.urls")
@pytest.mark.parametrize(
    "kind,status,body",
    [
        ("transition", 409, {"detail": "a Finished submission cannot become Queued"}),
        ("hub", 503, {"detail": "The hub did not answer."}),
        ("submission", 400, {"precision": ["Select one of: float32."]}),
        ("whole", 400, {"non_field_errors": ["Over the quota."]}),
        ("compare", 400, {"models": ["Give 2 to 4 models."]}),
    ],
)
def test_the_api_answers_a_domain_error_with_its_status_and_message(client, db, kind, status, body):
    response = client.get(f"/api/raise/{kind}/")
    assert response.status_code == status
    assert response.json() == body


@pytest.mark.urls("tests.core.urls")
@pytest.mark.parametrize(
    "kind,status,title",
    [("transition", 409, "Conflict"), ("hub", 503, "Service Unavailable"), ("submission", 400, "Bad Request")],
)
def test_a_page_answers_a_domain_error_with_its_status_and_message(client, db, kind, status, title):
    response = client.get(f"/raise/{kind}/")
    assert response.status_code == status
    page = response.content.decode()
    assert f"<h1>{title}</h1>" in page
    assert str(RAISED_MESSAGES[kind]) in page


RAISED_MESSAGES = {
    "transition": "a Finished submission cannot become Queued",
    "hub": "The hub did not answer.",
    "submission": "Select one of: float32.",
}
