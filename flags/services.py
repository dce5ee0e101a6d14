"""Every write to community flags. What a flag changes in the ranking (only ranked models are flagged; a decision
shows at once) is the rankings app's step on top of these: rankings.flagging."""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.policy import MODERATE_FLAGS, can_moderate
from core.errors import DomainError
from flags.models import Flag, FlagComment, FlagReason, FlagStatus

MAX_EVIDENCE_LINKS = 10


class FlagError(DomainError):
    """Input a user or a moderator can fix; ``field`` names the form field at fault (None: the whole form)."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message, field=field)


def _evidence_clean(links: list[str]) -> list[str]:
    links = [link.strip() for link in links if link.strip()]
    if len(links) > MAX_EVIDENCE_LINKS:
        raise FlagError("evidence", f"Give at most {MAX_EVIDENCE_LINKS} links.")
    validate = URLValidator(schemes=["http", "https"])
    for link in links:
        try:
            validate(link)
        except ValidationError:
            raise FlagError("evidence", f"{link[:200]!r} is not an http or https link.") from None
    return links


@transaction.atomic
def flag_open(*, user, model_id: str, reason: str, explanation: str, evidence: list[str] = ()) -> Flag:
    """A user's flag on a model, open for review. One open flag per user and model; raises FlagError. Whether
    the model is ranked is rankings.flagging.flag_create's check, the one way the site and the API flag."""
    if reason not in FlagReason.values:
        raise FlagError("reason", "Choose one of the reasons.")
    explanation = explanation.strip()
    if not explanation:
        raise FlagError("explanation", "Explain what is wrong with the model.")
    try:
        with transaction.atomic():
            return Flag.objects.create(
                user=user, model_id=model_id, reason=reason, explanation=explanation, evidence=_evidence_clean(evidence)
            )
    except IntegrityError:
        open_flag = Flag.objects.get(user=user, model_id=model_id, status=FlagStatus.OPEN)
        raise FlagError(
            None, f"You already have an open flag on {model_id} (#{open_flag.pk}): add to it with a comment."
        ) from None


@transaction.atomic
def flag_comment_add(*, flag: Flag, user, text: str) -> FlagComment:
    text = text.strip()
    if not text:
        raise FlagError("text", "Write a comment.")
    return FlagComment.objects.create(flag=flag, user=user, text=text)


@transaction.atomic
def flag_decide(*, flag: Flag, actor, status: str, note: str) -> Flag:
    """Staff uphold or dismiss a flag (or change their decision), with a note. The ranking follows in
    rankings.flagging.flag_moderate, the one way the admin moderates."""
    if not can_moderate(actor, MODERATE_FLAGS):
        raise FlagError(None, "Only moderators (with two-factor passed in this session) moderate flags.")
    if status not in (FlagStatus.UPHELD, FlagStatus.DISMISSED):
        raise FlagError("status", "A flag is upheld or dismissed.")
    note = note.strip()
    if not note:
        raise FlagError("moderation_note", "Say why: the note is shown on the flag's public page.")
    flag = Flag.objects.select_for_update().get(pk=flag.pk)
    flag.status, flag.moderator, flag.moderation_note, flag.moderated_at = status, actor, note, timezone.now()
    flag.save(update_fields=["status", "moderator", "moderation_note", "moderated_at"])
    return flag
