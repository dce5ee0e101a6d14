"""schemathesis against the live schema: every operation, generated requests, no 5xx, responses match it."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import Scope
from accounts.services import token_create
from config.wsgi import application

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
EXAMPLES_PER_OPERATION = 50


@pytest.fixture
def live_schema(ranked, monkeypatch):
    """The schema as the running app serves it, each case called through the app's WSGI entry point."""
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "100000/min", "user": "100000/min"})
    # As Django's test client does: the test's transaction must outlive each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/", application)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.parametrize("role", ["anonymous", "staff"])
def test_every_operation_conforms_to_the_schema(live_schema, people, role):
    headers = {}
    if role != "anonymous":
        headers["Authorization"] = f"Bearer {token_create(user=people[role], name='fuzz', scope=Scope.MODERATE)[1]}"
    operations = [result.ok() for result in live_schema.get_all_operations()]
    calls = []
    failures = {}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,
        )
        def call(case):
            calls.append(case.call_and_validate(headers=headers, checks=CHECKS).status_code)

        try:
            call()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures[operation.label] = f"{type(exc).__name__}: {str(exc)[:1500]}"
    assert not failures, "\n\n".join(f"{label}\n{message}" for label, message in failures.items())
    assert len(operations) == 20 and len(calls) >= 10 * len(operations)
    assert not [code for code in calls if code >= 500]
