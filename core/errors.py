"""Errors raised by services, selectors and the signal receivers they set off. They know nothing
of HTTP: core.exceptions maps them to status codes (404, 409, 403, 400, 503), with `extra`
added to the error body."""

from collections.abc import Iterable


class ServiceError(Exception):
    """A business rule refused the operation. `extra` goes into the error body as it is."""

    def __init__(self, message: str, **extra):
        super().__init__(message)
        self.message = message
        self.extra = extra


class NotFound(ServiceError):
    """Something the caller named does not exist; `missing_ids` lists ids that were not found."""

    def __init__(self, message: str, missing_ids: Iterable[int] | None = None):
        super().__init__(message, **({"missing_ids": sorted(missing_ids)} if missing_ids is not None else {}))


class Conflict(ServiceError):
    """The operation conflicts with the data as it is (history that must be kept, a status that
    does not allow it, stock that is not there)."""


class Forbidden(ServiceError):
    """The caller may not do this to this object."""


class InvalidInput(ServiceError):
    """The input is well-formed but breaks a rule; `fields` maps field names to messages."""

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.fields = fields or {}


class Unavailable(Exception):
    """A service the operation needs (the shared cache, say) does not answer, so it was not done:
    not a rule that refused it (no ServiceError), and worth trying again shortly."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
