"""Who may call what: one matrix for the whole API, read by MatrixPermission and tested exhaustively.

Roles: anonymous; user (the owner of the object: the submitter); other (another signed-in user); staff.

    endpoint                   method   anonymous  user  other  staff
    schema, docs               GET      yes        yes   yes    yes
    suites, suite              GET      yes        yes   yes    yes
    leaderboard                GET      yes        yes   yes    yes
    compare                    GET      yes        yes   yes    yes
    model                      GET      yes        yes   yes    yes
    samples                    GET      yes        yes   yes    yes
    flags, flag                GET      yes        yes   yes    yes
    flags                      POST     401        yes   yes    yes
    flag-comments              POST     401        yes   yes    yes
    submissions                GET      401        own   own    all
    submissions                POST     401        yes   yes    yes
    submission                 GET      401        yes   404    yes
    submission-cancel          POST     401        yes   404    yes   (the submitter: while pending or queued)
    submission-vote            POST     401        yes   yes    yes   (while pending review or queued)
    submission-vote            DELETE   401        yes   yes    yes   (the voter's own vote)
    submission-approve         POST     401        403   403    yes
    submission-reject          POST     401        403   403    yes
    submission-requeue         POST     401        403   403    yes
    me                         GET      401        yes   yes    yes

Any method not listed answers 405. "staff" means a staff user with the permission the admin's moderation actions
need (submissions.change_modelsubmission) and two-factor passed (accounts.policy); a staff user without them gets 403.

A request authenticated by a token is also held to the token's scope: GET needs "read", any other method
"submit", and the staff rows (and a staff user cancelling someone else's submission) "moderate"; a token
without the scope gets 403.
"""

from rest_framework import permissions

from accounts import policy
from accounts.models import ApiToken, Scope

PUBLIC = "public"  # everyone
SIGNED_IN = "signed-in"  # any signed-in user; list endpoints show them their own
OWNER = "owner"  # the object's owner and staff; another user gets 404, as if it did not exist
STAFF = "staff"

MATRIX: dict[str, dict[str, str]] = {
    "schema": {"GET": PUBLIC},
    "docs": {"GET": PUBLIC},
    "suites": {"GET": PUBLIC},
    "suite": {"GET": PUBLIC},
    "leaderboard": {"GET": PUBLIC},
    "compare": {"GET": PUBLIC},
    "model": {"GET": PUBLIC},
    "samples": {"GET": PUBLIC},
    "flags": {"GET": PUBLIC, "POST": SIGNED_IN},
    "flag": {"GET": PUBLIC},
    "flag-comments": {"POST": SIGNED_IN},
    "submissions": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "submission": {"GET": OWNER},
    "submission-cancel": {"POST": OWNER},
    "submission-vote": {"POST": SIGNED_IN, "DELETE": SIGNED_IN},
    "submission-approve": {"POST": STAFF},
    "submission-reject": {"POST": STAFF},
    "submission-requeue": {"POST": STAFF},
    "me": {"GET": SIGNED_IN},
}


class MatrixPermission(permissions.BasePermission):
    """Grants what MATRIX says for the view's ``matrix_name`` and the request's method."""

    def has_permission(self, request, view):
        rule = MATRIX[view.matrix_name].get(request.method)
        if rule is None:
            return True  # an unlisted method is answered 405 by the view
        needed = Scope.MODERATE if rule == STAFF else Scope.SUBMIT
        if request.method not in permissions.SAFE_METHODS and not token_allows(request, needed):
            self.message = f"This token's scope ({request.auth.scope}) does not allow this: it needs {needed}."
            return False
        if rule == PUBLIC:
            return True
        if rule == STAFF:
            return can_moderate(request)
        return bool(request.user and request.user.is_authenticated)


def token_allows(request, scope: str) -> bool:
    """Whether the request's token, if it came with one, has ``scope``."""
    return not isinstance(request.auth, ApiToken) or request.auth.allows(scope)


def can_moderate(request) -> bool:
    """The moderation policy's yes for the request's user, and for a token the moderate scope."""
    return policy.can_moderate(request.user) and token_allows(request, Scope.MODERATE)
