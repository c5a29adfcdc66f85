"""One error shape for every failure: {"error": sentence, "fields": {field: [messages]}}."""

import math

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from core import errors


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with existing data."
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into {"field.0.sub": ["message", ...]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
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
        detail = detail.get("detail") or next(iter(detail.values()), None)
    if isinstance(detail, list):
        detail = detail[0] if detail else None
    return str(detail) if detail else "Error."


def _translate(exc: Exception) -> Exception:
    """Map errors raised below the API layer onto DRF exceptions."""
    if isinstance(exc, errors.NotFound):
        return exceptions.NotFound(exc.message)
    if isinstance(exc, errors.Conflict):
        return Conflict(exc.message)
    if isinstance(exc, errors.Forbidden):
        return exceptions.PermissionDenied(exc.message)
    if isinstance(exc, errors.InvalidInput):
        return exceptions.ValidationError(exc.fields or {"non_field_errors": [exc.message]})
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, (ProtectedError, RestrictedError)):
        return Conflict("This record is still referenced by other records and cannot be deleted.")
    if isinstance(exc, IntegrityError):
        # Reached only when a concurrent request won a race our own checks had passed.
        return Conflict("The request conflicts with a concurrent change; try again.")
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
        if isinstance(exc, errors.NotFound) and exc.missing_ids is not None:
            response.data["missing_ids"] = exc.missing_ids
    if isinstance(translated, exceptions.Throttled) and translated.wait is not None:
        response["Retry-After"] = str(max(1, math.ceil(translated.wait)))
    return response


def error_response(message: str, status_code: int, **extra) -> Response:
    return Response({"error": message, **extra}, status=status_code)
