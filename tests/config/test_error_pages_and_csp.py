"""Error pages tell nothing of the failure; every page carries the Content-Security-Policy and the other
security headers; no template runs inline script."""

import os
import re
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import Client
from django.urls import include, path

from config.urls import urlpatterns as site_urlpatterns

REPO = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [REPO / "templates", *REPO.glob("*/templates")]


def fails(request):
    raise RuntimeError(f"the database is at {os.environ.get('PATH')}")


def forbidden(request):
    raise PermissionDenied("staff only: the secret reason")


def suspicious(request):
    raise SuspiciousOperation("forged header: the secret detail")


# This module is the URLconf of its tests (pytest.mark.urls): the site, plus views that fail.
urlpatterns = [
    path("boom/", fails),
    path("api/boom/", fails),
    path("forbidden/", forbidden),
    path("suspicious/", suspicious),
    path("api/suspicious/", suspicious),
    path("", include(site_urlpatterns)),
]
handler400 = "config.views.bad_request"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("url", "status", "title"),
    [
        ("/boom/", 500, "Server error"),
        ("/no-such-page/", 404, "Page not found"),
        ("/forbidden/", 403, "Forbidden"),
        ("/suspicious/", 400, "Bad request"),
    ],
)
def test_error_pages_show_no_traceback_and_no_environment(db, url, status, title):
    response = Client(raise_request_exception=False).get(url)
    assert response.status_code == status
    page = response.content.decode()
    assert f"<h1>{title}</h1>" in page
    for leak in ("Traceback", "RuntimeError", os.environ["PATH"], "secret", "DATABASE", "settings"):
        assert leak not in page
    if status != 500:  # the site's header, with its links (500.html is plain: the process may be failing)
        assert '<a href="/about/">About</a>' in page and '<a href="/accounts/login/">Log in</a>' in page


@pytest.mark.urls(__name__)
def test_api_errors_are_json(db):
    client = Client(raise_request_exception=False)
    assert client.get("/api/boom/").json() == {"detail": "Server error."}
    assert client.get("/api/no-such-thing/").json() == {"detail": "Not found."}
    assert client.get("/api/suspicious/").json() == {"detail": "Bad request."}


@pytest.mark.parametrize("url", ["/about/", "/flags/", "/accounts/login/", "/no-such-page/", "/api/docs/"])
def test_every_page_has_the_csp_and_the_security_headers(client, db, url):
    response = client.get(url)
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_no_template_runs_inline_script():
    templates = [t for d in TEMPLATE_DIRS for t in d.rglob("*.html")]
    assert len(templates) > 20
    for template in templates:
        text = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text, flags=re.I):
            assert "src=" in tag, f"{template}: inline <script> {tag}"
        assert not re.search(r"\son[a-z]+\s*=", text, flags=re.I), f"{template}: an on...= handler"
        assert "javascript:" not in text.lower(), f"{template}: a javascript: URL"
