"""Who may call what: one matrix for the whole API, read by MatrixPermission and tested exhaustively.

Roles: anonymous; user (the owner of the object: the submitter); other (another signed-in user); staff.

    endpoint                   method   anonymous  user  other  staff
    schema, docs               GET      yes        yes   yes    yes
    suites, suite              GET      yes        yes   yes    yes
    leaderboard                GET      yes        yes   yes    yes
    model                      GET      yes        yes   yes    yes
    samples                    GET      yes        yes   yes    yes
    flags, flag                GET      yes        yes   yes    yes
    flags                      POST     401        yes   yes    yes
    flag-comments              POST     401        yes   yes    yes
    submissions                GET      401        own   own    all
    submissions                POST     401        yes   yes    yes
    submission                 GET      401        yes   404    yes
    submission-cancel          POST     401        yes   404    yes   (the submitter: while pending or queued)
    submission-approve         POST     401        403   403    yes
    submission-reject          POST     401        403   403    yes
    submission-requeue         POST     401        403   403    yes

Any method not listed answers 405.
"""

from rest_framework import permissions

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
    "model": {"GET": PUBLIC},
    "samples": {"GET": PUBLIC},
    "flags": {"GET": PUBLIC, "POST": SIGNED_IN},
    "flag": {"GET": PUBLIC},
    "flag-comments": {"POST": SIGNED_IN},
    "submissions": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "submission": {"GET": OWNER},
    "submission-cancel": {"POST": OWNER},
    "submission-approve": {"POST": STAFF},
    "submission-reject": {"POST": STAFF},
    "submission-requeue": {"POST": STAFF},
}


class MatrixPermission(permissions.BasePermission):
    """Grants what MATRIX says for the view's ``matrix_name`` and the request's method."""

    def has_permission(self, request, view):
        rule = MATRIX[view.matrix_name].get(request.method)
        if rule is None or rule == PUBLIC:
            return True  # an unlisted method is answered 405 by the view
        if rule == STAFF:
            return bool(request.user and request.user.is_staff)
        return bool(request.user and request.user.is_authenticated)
