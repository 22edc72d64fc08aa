"""The one error type of the domain.

Every service refuses with a :class:`DomainError` (or a subclass): the message is
plain English for the person who tried, and nothing has changed. Pages show the
message; the API's exception handler (``portal.api_errors``) turns it into a JSON
answer with ``status`` (400 by default; 409 when the refusal is a conflict with the
current state of shared data, e.g. not enough budget or a stale version).
"""

from __future__ import annotations


class DomainError(Exception):
    """A use case that may not happen; ``message`` is for the person who tried."""

    status = 400

    def __init__(self, message: str, *, status: int | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if status is not None:
            self.status = status


class ConflictError(DomainError):
    """Refused because shared data is not as the caller assumed (budget, version): 409."""

    status = 409
