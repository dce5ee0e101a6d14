from django.db.models import QuerySet

from submissions.models import ModelSubmission


def submissions_of(user) -> QuerySet[ModelSubmission]:
    return ModelSubmission.objects.filter(user=user).select_related("suite").order_by("-created_at")
