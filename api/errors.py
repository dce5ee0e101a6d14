"""The API's one mapping of domain errors (core.errors) to HTTP: a 400 names the field at fault, as DRF's own
validation errors do (``non_field_errors`` for the whole request); any other status gives ``{"detail": ...}``."""

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from core.errors import DomainError


def exception_handler(exc, context):
    if not isinstance(exc, DomainError):
        return drf_exception_handler(exc, context)
    set_rollback()
    if exc.status == 400:
        return Response({exc.field or "non_field_errors": [exc.message]}, status=400)
    return Response({"detail": exc.message}, status=exc.status)
