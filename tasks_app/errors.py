"""The one base for the errors a person sees: bad input, a schedule that is not one, a rate limit,
an unreachable broker or database, an unknown task. Pages show its message, the API answers it as
JSON with the status its class is given (tasks_app.api.errors.STATUSES), the CLI exits with it.

Nothing here imports the rest of the site, so every layer may raise it.
"""

from __future__ import annotations


class UserError(Exception):
    """A refusal a person reads. `message` says what is wrong and what to do; `field` names the input
    at fault (None: the request as a whole); `retry_after` is the seconds after which trying again may
    succeed (None: waiting does not help); `detail` is the library's own words, which may name hosts and
    ports (for staff, the CLI and the logs)."""

    field: str | None = None
    retry_after: int | None = None
    detail: str = ""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field

    def text_for(self, staff: bool) -> str:
        """The message as this person may read it: `detail` only for staff (and in local mode)."""
        return self.message
