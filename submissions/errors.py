class SubmissionError(ValueError):
    """A submission that cannot be accepted; ``field`` names the form field at fault (None: the whole form)."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message
