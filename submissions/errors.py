from core.errors import DomainError


class SubmissionError(DomainError):
    """A submission that cannot be accepted; ``field`` names the form field at fault (None: the whole form)."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message, field=field)


class HubUnavailable(SubmissionError):
    """The Hugging Face hub did not answer (down, unreachable, too slow): nothing is wrong with the submission."""

    status = 503

    def __init__(self, message: str):
        super().__init__(None, message)
