class SubmissionError(ValueError):
    """A submission that cannot be accepted; ``field`` names the form field at fault (None: the whole form)."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class HubUnavailable(SubmissionError):
    """The Hugging Face hub did not answer (down, unreachable, too slow): nothing is wrong with the submission."""

    def __init__(self, message: str):
        super().__init__(None, message)
