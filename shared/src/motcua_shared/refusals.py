"""A use case's refusals, in domain words: the domain and service layers raise these, never an HTTP
error; the API layer answers each kind with its status and the shared error shape
(`motcua_shared.api.errors`, `REFUSAL_STATUS`). A refusal carries a stable machine-readable `code`
(documented per route with `error_responses`) and a message for people."""


class Refused(Exception):
    """The request cannot be done; `code` tells the caller why."""

    def __init__(self, code: str, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        # Seconds after which the same request may succeed (a view catching up, a lock running out).
        self.retry_after = retry_after


class NotFound(Refused):
    """What the request names does not exist (or is not the caller's to see)."""


class Conflict(Refused):
    """Not now: the dossier, procedure or record is in a state that refuses the request."""


class Invalid(Refused):
    """The request is well formed but asks for something the rules do not allow."""


class Forbidden(Refused):
    """The caller may not do this."""


class TooManyAttempts(Refused):
    """The caller tried too often; `retry_after` says when to come back."""


class Unavailable(Refused):
    """Nothing was decided: something the use case needs (the broker, a view) is behind or away."""
