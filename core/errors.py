"""Errors raised by services and selectors. They know nothing of HTTP; the API maps them."""

from collections.abc import Iterable


class ServiceError(Exception):
    """A business rule refused the operation."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    """Something the caller named does not exist. `missing_ids` lists ids that were not found."""

    def __init__(self, message: str, missing_ids: Iterable[int] | None = None):
        super().__init__(message)
        self.missing_ids = sorted(missing_ids) if missing_ids is not None else None


class Conflict(ServiceError):
    """The operation conflicts with data that exists (for example, history that must be kept)."""


class Forbidden(ServiceError):
    """The caller may not do this to this object."""


class InvalidInput(ServiceError):
    """The input is well-formed but breaks a rule; `fields` maps field names to messages."""

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.fields = fields or {}
