from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.timesince import timesince

register = template.Library()


@register.filter
def resubmit_url(submission) -> str:
    """The submit form, filled in with this submission's fields ("submit it again")."""
    fields = {
        "model_id": submission.model_id,
        "revision": submission.revision,
        "precision": submission.precision,
        "weight_type": submission.weight_type,
        "base_model": submission.base_model,
        "model_type": submission.model_type,
        "think_end_token": submission.think_end_token,
        "suite": submission.suite.slug,
    }
    if submission.use_chat_template:
        fields["use_chat_template"] = "on"
    return f"{reverse('submit')}?{urlencode(fields)}"


@register.filter
def field_label(form, name: str) -> str:
    return form[name].label


@register.filter
def ago(moment) -> str:
    """How long ago ``moment`` was, as "just now" under a minute (never "0 minutes ago")."""
    if moment is None:
        return ""
    if (timezone.now() - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment)} ago"
