"""The site's URLs plus a page and an API view that let a domain error through, to test its one mapping to HTTP."""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from comparisons.selectors import CompareError
from config.urls import urlpatterns as site
from core.errors import TransitionError
from submissions.errors import HubUnavailable, SubmissionError

RAISED = {
    "transition": lambda: TransitionError("a Finished submission cannot become Queued"),
    "hub": lambda: HubUnavailable("The hub did not answer."),
    "submission": lambda: SubmissionError("precision", "Select one of: float32."),
    "whole": lambda: SubmissionError(None, "Over the quota."),
    "compare": lambda: CompareError("Give 2 to 4 models."),
}


def page(request, kind):
    raise RAISED[kind]()


class Api(APIView):
    permission_classes = [AllowAny]

    def get(self, request, kind):
        raise RAISED[kind]()


urlpatterns = [path("raise/<kind>/", page), path("api/raise/<kind>/", Api.as_view()), *site]
