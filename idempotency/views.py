"""`Idempotency-Key` on POST, for ViewSets: `IdempotentMixin` makes `create` idempotent, and
`@idempotent` (under `@action`) every other POST action. A request without the header, or from
an anonymous caller (sign-in, sign-up: there is no caller to keep the answer for, and a sign-in's
answer holds tokens, which are never stored), is carried out as before."""

import hashlib
import re
from functools import wraps

from django.db import transaction
from django.http import HttpResponse
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError

from idempotency import services
from idempotency.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
VALID_KEY = re.compile(r"[\x20-\x7e]{1,255}")
# Headers of the first answer that a replay repeats (Content-Type is kept on its own).
KEPT_HEADERS = ("Location", "ETag")


class KeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used with a different request."
    default_code = "idempotency_key_reused"


def caller_of(user) -> str | None:
    """Whose keys these are: the signed-in staff user or customer, None when anonymous."""
    if not user.is_authenticated:
        return None
    return f"{user._meta.label_lower}:{user.pk}"


def fingerprint_of(request) -> services.Fingerprint:
    return services.Fingerprint(
        method=request.method, path=request.path, body_sha256=hashlib.sha256(request.body).hexdigest()
    )


def replay(record: IdempotencyKey) -> HttpResponse:
    headers = dict(record.response_headers)
    response = HttpResponse(
        bytes(record.response_body), status=record.response_status, content_type=headers.pop("Content-Type", None)
    )
    for name, value in headers.items():
        response[name] = value
    response[REPLAYED] = "true"
    return response


def idempotent(handler):
    """Make a ViewSet's POST handler honour Idempotency-Key (other methods pass through)."""

    @wraps(handler)
    def idempotent_handler(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        caller = caller_of(request.user)
        if request.method != "POST" or key is None or caller is None:
            return handler(view, request, *args, **kwargs)
        if not VALID_KEY.fullmatch(key):
            raise ValidationError(f"The {HEADER} header must be 1 to 255 printable ASCII characters.")
        try:
            claim = services.claim(caller=caller, key=key, fingerprint=fingerprint_of(request))
        except services.KeyReused as exc:
            raise KeyReused(exc.message) from exc
        if claim.replay:
            return replay(claim.record)
        try:
            with transaction.atomic():
                response = handler(view, request, *args, **kwargs)
                if response.status_code >= 500:
                    transaction.set_rollback(True)
                else:
                    services.complete(record=claim.record, **_answer(view, request, response))
        except BaseException:
            services.release(record=claim.record)
            raise
        if response.status_code >= 500:
            services.release(record=claim.record)
        return response

    idempotent_handler.idempotent = True
    return idempotent_handler


def _answer(view, request, response) -> dict:
    """The status, headers and body the answer will have, rendered as finalize_response will."""
    if hasattr(response, "data"):
        body = request.accepted_renderer.render(response.data, request.accepted_media_type, view.get_renderer_context())
        content_type = request.accepted_media_type
    else:
        body, content_type = response.content, response.get("Content-Type")
    headers = {name: response[name] for name in KEPT_HEADERS if name in response}
    if content_type:
        headers["Content-Type"] = content_type
    return {"status": response.status_code, "headers": headers, "body": body}


class IdempotentMixin:
    """For ViewSets with a `create`: Idempotency-Key honoured on it."""

    @idempotent
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)
