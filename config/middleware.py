"""Refuse text Postgres cannot store, and JSON bodies nested deeper than any form or API payload, before any view,
form or lookup sees them; answer the domain errors a view lets through with their status."""

import json
import re
from http import HTTPStatus

from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import render

from core.errors import DomainError

# NUL has no place in a Postgres text value; an unpaired surrogate (only JSON's \ud800 escapes make one) has no UTF-8.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
JSON_MAX_DEPTH = 32  # no payload here nests beyond a few levels; Python's parser would recurse until it fails
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


def json_too_deep(body: bytes) -> bool:
    """Whether a JSON text nests arrays and objects more than JSON_MAX_DEPTH deep (read without parsing it)."""
    depth = 0
    for bracket in _JSON_BRACKET.finditer(_JSON_STRING.sub(b"", body)):
        depth += 1 if bracket.group() in (b"[", b"{") else -1
        if depth > JSON_MAX_DEPTH:
            return True
    return False


def _strings(value, where=None):
    """(where, text) for every key and string inside a parsed JSON body, placed by its top-level field."""
    if isinstance(value, str):
        yield where or "the body", value
    elif isinstance(value, dict):
        for key, item in value.items():
            here = where or f"field {key!r}"
            yield here, key
            yield from _strings(item, here)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, where)


def _inputs(request):
    """(where, text) for every piece of text a request carries that code below may query or store."""
    yield "the path", request.path_info
    for name, values in request.GET.lists():
        yield from ((f"query parameter {name!r}", text) for text in [name, *values])
    for name, value in request.COOKIES.items():
        yield from ((f"cookie {name!r}", text) for text in (name, value))
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.content_type == "application/json":
        try:
            yield from _strings(json.loads(request.body))
        except ValueError:
            return  # not JSON: the view's parser says so
    else:
        for name, values in request.POST.lists():
            yield from ((f"field {name!r}", text) for text in [name, *values])


class RefuseUnstorableText:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        writes = request.method not in ("GET", "HEAD", "OPTIONS")
        if writes and request.content_type == "application/json" and json_too_deep(request.body):
            return _refuse(request, f"The JSON body nests more than {JSON_MAX_DEPTH} levels deep.")
        for where, text in _inputs(request):
            if UNSTORABLE.search(text):
                return _refuse(
                    request,
                    f"{where[0].upper()}{where[1:]} contains a NUL character or an unpaired surrogate; remove it.",
                )
        return self.get_response(request)


def _refuse(request, message: str):
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": message}, status=400)
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


class DomainErrors:
    """The pages' one mapping of domain errors (core.errors) to HTTP: a view that lets one through answers its
    status with its message (JSON under /api/, where a view DRF does not run raised it; DRF's own views map them
    in api.errors)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError):
            return None
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": exception.message}, status=exception.status)
        context = {"title": HTTPStatus(exception.status).phrase, "message": exception.message}
        return render(request, "error.html", context, status=exception.status)
