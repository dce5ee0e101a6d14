"""Reads of community flags."""

from django.db.models import Case, Count, QuerySet, Value, When

from flags.models import Flag, FlagStatus


def model_flags(model_id: str) -> QuerySet[Flag]:
    return Flag.objects.filter(model_id=model_id).select_related("user").order_by("-created_at")


def flags_public() -> QuerySet[Flag]:
    """Every flag: open ones first, then upheld, then dismissed; newest first within each."""
    order = Case(
        When(status=FlagStatus.OPEN, then=Value(0)), When(status=FlagStatus.UPHELD, then=Value(1)), default=Value(2)
    )
    return Flag.objects.select_related("user").annotate(n_comments=Count("comments")).order_by(order, "-created_at")


def flag_shown(pk: int) -> Flag | None:
    """A flag with who raised and who decided it, for its page (None: no such flag)."""
    return Flag.objects.select_related("user", "moderator").filter(pk=pk).first()
