"""The domain's errors: what a user or an operator can cause, each with a message for them and the HTTP status
it is answered with. Pages map them in one place (config.middleware.DomainErrors), the API in another
(api.errors.exception_handler); commands print the message."""


class DomainError(ValueError):
    """An error a user or an operator can fix; ``field`` names the form or API field at fault (None: the whole
    request)."""

    status = 400
    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field


class TransitionError(DomainError):
    """A status move its machine does not allow (submissions.transitions, evaluation.transitions)."""

    status = 409
