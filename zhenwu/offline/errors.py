from zhenwu.core.errors import DomainError


class OfflineError(DomainError):
    """A queued record that cannot be taken as it is (its form's errors, in Chinese)."""


class QueueConflict(OfflineError):
    """The record's target changed while it waited (a household moved, a session closed, a
    permission withdrawn). `base` is the target's state now: a resend that carries it (after the
    user checked the record) is taken."""

    def __init__(self, message, *, base=None):
        super().__init__(message)
        self.base = base
