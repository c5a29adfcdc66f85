"""One error shape for every failure: {"error": sentence, "fields": {field: [messages]}}."""

import logging
import math

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, InterfaceError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from core import errors

logger = logging.getLogger(__name__)


class APIConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with existing data."
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class ServiceUnavailable(exceptions.APIException):
    """A service the request needs (for example the shared cache) does not answer."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "A service the API needs is unavailable; try again shortly."
    default_code = "service_unavailable"
    wait = 10  # seconds, sent as Retry-After


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable; try again shortly."
    default_code = "database_unavailable"
    wait = 5  # seconds, sent as Retry-After


CONCURRENT_CHANGE = "The request conflicts with a concurrent change; try again."

# Driver errors that mean a concurrent transaction won, not that the database is gone:
# PostgreSQL's serialization failure, deadlock and lock-not-available (SQLSTATE), and
# MariaDB/MySQL's lock wait timeout and deadlock (error number).
_PG_CONCURRENCY_STATES = {"40001", "40P01", "55P03"}
_MYSQL_CONCURRENCY_CODES = {1205, 1213}
# MariaDB/MySQL server errors that mean "will not serve you now": too many connections, shutting
# down, too many user connections, connection killed, idle connection closed. Client-side
# errors (2000-2999) are all about reaching the server. Other server errors are bugs (500).
_MYSQL_UNAVAILABLE_CODES = {1040, 1053, 1203, 1927, 4031}

UNAVAILABLE, CONFLICT = "unavailable", "conflict"


def database_failure(exc: BaseException) -> str | None:
    """UNAVAILABLE when `exc` means the database cannot be reached or will not serve now,
    CONFLICT when a concurrent transaction won (deadlock, lock timeout, serialization failure),
    None for anything else (a bug, answered with 500)."""
    if isinstance(exc, InterfaceError):
        return UNAVAILABLE
    if not isinstance(exc, OperationalError):
        return None
    cause = exc.__cause__  # Django wraps the driver's exception
    state = getattr(cause, "sqlstate", None)
    if state is not None:  # psycopg: every OperationalError but a lost race means unavailable
        return CONFLICT if state in _PG_CONCURRENCY_STATES else UNAVAILABLE
    code = cause.args[0] if cause is not None and cause.args else None
    if isinstance(code, int) and type(cause).__module__.startswith("MySQLdb"):
        if code in _MYSQL_CONCURRENCY_CODES:
            return CONFLICT
        return UNAVAILABLE if code >= 2000 or code in _MYSQL_UNAVAILABLE_CODES else None
    # psycopg's client-side failures (no SQLSTATE: refused, reset, closed) and SQLite's.
    return UNAVAILABLE


def database_failure_exception(exc: BaseException) -> exceptions.APIException | None:
    """The API error for a database failure (logged here), else None."""
    failure = database_failure(exc)
    if failure == UNAVAILABLE:
        logger.warning("database unavailable: %r", exc)
        return DatabaseUnavailable()
    if failure == CONFLICT:
        logger.warning("transaction lost a race: %r", exc)
        return APIConflict(CONCURRENT_CHANGE)
    return None


def flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into {"field.0.sub": ["message", ...]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            # A nested serializer's errors about itself as a whole (a list too long, a dict
            # that is not an object) belong to the field that holds it.
            if key == api_settings.NON_FIELD_ERRORS_KEY and prefix:
                for name, messages in flatten_errors(value, prefix).items():
                    flat.setdefault(name, []).extend(messages)
                continue
            flat.update(flatten_errors(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {prefix: [str(item) for item in detail]} if detail else {}
        flat = {}
        for index, item in enumerate(detail):
            flat.update(flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix: [str(detail)]}


def _validation_body(detail) -> dict:
    fields = flatten_errors(detail if isinstance(detail, (dict, list)) else [detail])
    general = fields.pop("non_field_errors", None) or fields.pop("", None)
    if not isinstance(detail, dict) and not general:
        general, fields = [msg for msgs in fields.values() for msg in msgs], {}
    body: dict = {"error": general[0] if general else "Invalid input."}
    if fields:
        body["fields"] = fields
    return body


def _sentence(detail) -> str:
    """One human-readable sentence from whatever detail an exception carries."""
    if isinstance(detail, dict):
        # SimpleJWT explains an invalid token per token class: {"detail", "code", "messages":
        # [{"message": "Token is expired", ...}]}; the first explanation is the useful one.
        messages = [m.get("message") for m in detail.get("messages") or [] if isinstance(m, dict)]
        detail = (
            next((f"{m}." for m in messages if m), None) or detail.get("detail") or next(iter(detail.values()), None)
        )
    if isinstance(detail, list):
        detail = detail[0] if detail else None
    return str(detail) if detail else "Error."


def _translate(exc: Exception) -> Exception:
    """Map errors raised below the API layer onto DRF exceptions."""
    if isinstance(exc, errors.NotFound):
        return exceptions.NotFound(exc.message)
    if isinstance(exc, errors.Conflict):
        return APIConflict(exc.message)
    if isinstance(exc, errors.Forbidden):
        return exceptions.PermissionDenied(exc.message)
    if isinstance(exc, errors.InvalidInput):
        return exceptions.ValidationError(exc.fields or {"non_field_errors": [exc.message]})
    if isinstance(exc, errors.Unavailable):
        return ServiceUnavailable(exc.message)
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, (ProtectedError, RestrictedError)):
        return APIConflict("This record is still referenced by other records and cannot be deleted.")
    if isinstance(exc, IntegrityError):
        # Reached only when a concurrent request won a race our own checks had passed.
        return APIConflict(CONCURRENT_CHANGE)
    if (failure := database_failure_exception(exc)) is not None:
        return failure
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def api_exception_handler(exc, context):
    translated = _translate(exc)
    response = drf_exception_handler(translated, context)
    if response is None:
        return None  # a real bug: Django's handler500 answers with the JSON error shape
    if isinstance(translated, exceptions.ValidationError):
        response.data = _validation_body(translated.detail)
    else:
        detail = translated.detail if isinstance(translated, exceptions.APIException) else None
        response.data = {"error": _sentence(detail)}
        if isinstance(exc, errors.ServiceError):
            response.data.update(exc.extra)
    if (wait := getattr(translated, "wait", None)) is not None:  # Throttled, DatabaseUnavailable, ...
        response["Retry-After"] = str(max(1, math.ceil(wait)))
    return response
