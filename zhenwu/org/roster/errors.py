"""The roster's errors; their messages are for the user (Chinese)."""

from zhenwu.core.errors import DomainError


class RosterFileError(DomainError):
    """The file as a whole cannot be used; the message is for the user (Chinese)."""


class RosterError(DomainError):
    """A request about a roster job that cannot be granted; the message is for the user."""

