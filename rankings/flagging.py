"""Flags as they touch the ranking: only a ranked model is flagged, and a moderator's decision shows in the
model's entries at once. The one way the site, the API and the admin flag and moderate (flags.services writes
the flag itself; rankings, above flags, joins the two)."""

from django.db import transaction

from flags.models import Flag
from flags.services import FlagError, flag_decide, flag_open
from rankings.models import LeaderboardEntry
from rankings.services import entries_refresh_model


@transaction.atomic
def flag_create(*, user, model_id: str, reason: str, explanation: str, evidence: list[str] = ()) -> Flag:
    """A user flags a ranked model. One open flag per user and model; raises FlagError."""
    if not LeaderboardEntry.objects.filter(model_id=model_id, is_reference=False).exists():
        raise FlagError(None, f"{model_id} is not ranked: only ranked models can be flagged.")
    return flag_open(user=user, model_id=model_id, reason=reason, explanation=explanation, evidence=evidence)


@transaction.atomic
def flag_moderate(*, flag: Flag, actor, status: str, note: str) -> Flag:
    """Staff uphold or dismiss a flag (or change their decision), with a note; the ranking follows at once."""
    flag = flag_decide(flag=flag, actor=actor, status=status, note=note)
    entries_refresh_model(flag.model_id)
    return flag
