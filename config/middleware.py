"""Refuse text Postgres cannot store before any view, form or lookup sees it."""

import json
import re

from django.http import HttpResponseBadRequest, JsonResponse

# NUL has no place in a Postgres text value; an unpaired surrogate (only JSON's \ud800 escapes make one) has no UTF-8.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


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
        for where, text in _inputs(request):
            if UNSTORABLE.search(text):
                message = f"{where[0].upper()}{where[1:]} contains a NUL character or an unpaired surrogate; remove it."
                if request.path_info.startswith("/api/"):
                    return JsonResponse({"detail": message}, status=400)
                return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
