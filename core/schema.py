"""What the OpenAPI document shares across apps: the error responses and two post-processing hooks.

Each operation documents exactly the error statuses it can answer with; `errors(...)` builds them.
What brings each status:
- 400: a body or query parameter that fails validation, or a body that is not valid JSON; on every
  operation, a control character in the path or query string (`control_characters_are_400`);
- 401: a missing, invalid or expired token where one is needed, a bad token sent anywhere
  else, and wrong credentials on the sign-in endpoints;
- 403: a signed-in caller whose role may not do this;
- 404: an unknown id in the path (or in the body, with `missing_ids`);
- 405: a method the path does not serve;
- 409: a write that conflicts with existing data or loses a race with a concurrent one;
- 411: a body sent without a length;
- 413 and 415: a body too large, or not sent as JSON (only where a body is read);
- 429: the operation's rate limit;
- 503: the database (for sign-in, also the rate-limit store) does not answer.
"""

import copy

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from core.serializers import StrictDecimalField, StrictIntegerField


class ShortageSerializer(serializers.Serializer):
    inventory_id = StrictIntegerField()
    requested = StrictIntegerField()
    on_hand = StrictIntegerField()


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
    missing_ids = serializers.ListField(child=StrictIntegerField(), required=False)
    # Stock conflicts (409): what is on hand now, and each item short when adding parts to a ticket.
    on_hand = StrictIntegerField(required=False)
    shortages = ShortageSerializer(many=True, required=False)
    # Ticket conflicts (409): the ticket's status; for a refused transition the moves it allows, for
    # closing with money owed the balance.
    status = serializers.CharField(required=False, help_text="The ticket's status (a ticket conflict).")
    allowed = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="The statuses the ticket may move to (a refused transition).",
    )
    balance = StrictDecimalField(
        max_digits=16,
        decimal_places=2,
        required=False,
        help_text="What is still owed (closing a ticket with a balance).",
    )


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


ERROR_RESPONSES = {
    400: _error(
        "Invalid input: `error`, and `fields` with a list of messages per field; or a control character in "
        "the path or query string."
    ),
    401: _error("Missing, invalid or expired token (or, when signing in, wrong credentials)."),
    403: _error("Signed in, but not allowed to do this."),
    404: _error("Unknown id; `missing_ids` when some of several ids are unknown."),
    409: _error(
        "Conflicts with existing data or with a concurrent change; nothing was changed. Too little stock: "
        "`shortages` (parts for a ticket) or `on_hand` (an adjustment). A ticket's conflicts name its `status`; a "
        "refused transition adds `allowed` (the moves its status allows), closing with money owed `balance`."
    ),
    411: _error("The body was sent without a Content-Length."),
    413: _error("The body is larger than the server accepts."),
    415: _error("The body is not JSON."),
    429: _error("Rate limited; see the Retry-After header."),
    503: _error("A service the API needs is unavailable; try again after the Retry-After header's seconds."),
}

# The usual sets; an operation adds 429 when it is rate limited, or lists its own codes.
LIST = (400, 401, 403, 503)  # 400: page, per_page, filters and ordering
RETRIEVE = (401, 403, 404, 503)
CREATE = (400, 401, 403, 409, 411, 413, 415, 503)
UPDATE = (*CREATE, 404)
DESTROY = (401, 403, 404, 409, 503)
SIGN_IN = (400, 401, 411, 413, 415, 429, 503)


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The documented error responses for these status codes."""
    return {code: ERROR_RESPONSES[code] for code in sorted(set(codes))}


def strip_trailing_slashes(result, generator, request, public):
    """Document paths as clients write them (`/customers/{id}`); both spellings are served."""
    result["paths"] = {(path.rstrip("/") or "/"): operations for path, operations in result["paths"].items()}
    return result


def integer_path_ids(result, generator, request, public):
    """Document path ids as what they are, positive integers, not digit strings.

    The routes match `[0-9]+` (lookup_value_regex), which drf-spectacular describes as a string
    with a pattern; clients and client generators are better served by the integer type.
    """
    for operations in result["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["schema"] in (
                    {"type": "string", "pattern": "^[0-9]+$"},
                    {"type": "integer"},
                ):
                    parameter["schema"] = {"type": "integer", "minimum": 1}
    return result


CONTROL_CHARACTER_400 = {
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    "description": "A control character in the path or query string.",
}


def control_characters_are_400(result, generator, request, public):
    """Every operation may answer 400: a path or query string holding a control character is
    refused before any view runs (core.middleware.ControlCharacterMiddleware)."""
    for operations in result["paths"].values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if "400" not in responses:
                responses["400"] = copy.deepcopy(CONTROL_CHARACTER_400)
                operation["responses"] = dict(sorted(responses.items()))
    return result


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe: the first request with this key is carried out and its answer kept for 24 hours "
        "for the caller; a repeat with the same body gets that answer again (with `Idempotent-Replayed: true`) "
        "and changes nothing. The same key with another body: `422`; while the first still runs: `409`. "
        "Ignored on requests without a token."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7e]+$"},
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The ETag of a copy the client holds: when it is still current, the answer is `304` with no body.",
    "schema": {"type": "string"},
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": (
        "The ETag the client read: the write happens only if it is still current (checked under the row lock), "
        "else `412` and nothing changes. `*` matches any version."
    ),
    "schema": {"type": "string"},
}
ETAG_HEADER = {"ETag": {"description": "The resource's strong entity tag.", "schema": {"type": "string"}}}
REPLAYED_HEADER = {
    "Idempotent-Replayed": {
        "description": "`true` on an answer replayed for a repeated Idempotency-Key.",
        "schema": {"type": "string", "enum": ["true"]},
    }
}
NOT_MODIFIED = {"description": "Not modified: If-None-Match holds the current ETag. No body.", "headers": ETAG_HEADER}
SAFE_WRITE_ERRORS = {
    409: "A request with this Idempotency-Key is still being carried out; or a conflict with existing data.",
    412: "If-Match does not hold the current ETag: the resource changed since it was read; nothing changed.",
    422: "This Idempotency-Key was already used with a different request; nothing changed.",
}


def _handler(callback, method: str):
    actions = getattr(callback, "actions", None)
    name = actions.get(method) if actions else method
    return name, getattr(callback.cls, name, None)


def _add_error(operation: dict, code: int) -> None:
    responses = operation.setdefault("responses", {})
    if str(code) not in responses:
        responses[str(code)] = {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            "description": SAFE_WRITE_ERRORS[code],
        }
    operation["responses"] = dict(sorted(responses.items()))


def _add_headers(operation: dict, headers: dict) -> None:
    for code, response in operation.get("responses", {}).items():
        if code.startswith("2") and code != "204":
            response.setdefault("headers", {}).update(copy.deepcopy(headers))


def safe_write_headers(result, generator, request, public):
    """Document Idempotency-Key on every POST that honours it (idempotency.views.idempotent),
    ETag and If-None-Match on single-resource reads, If-Match on the writes that check it
    (core.conditional), with the 304, 409, 412 and 422 they answer."""
    from core.conditional import ETAG_ACTIONS, ConditionalMixin

    for path, _regex, method, callback in generator.endpoints:
        # The document names a ViewSet's lookup `{id}` (drf-spectacular) and drops the slash (above).
        documented = path.replace("{pk}", "{id}").rstrip("/") or "/"
        operation = result["paths"].get(documented, {}).get(method.lower())
        if operation is None:
            continue
        action, handler = _handler(callback, method.lower())
        parameters = operation.setdefault("parameters", [])
        conditional_view = issubclass(callback.cls, ConditionalMixin)
        if method == "POST" and getattr(handler, "idempotent", False):
            parameters.append(copy.deepcopy(IDEMPOTENCY_KEY))
            _add_error(operation, 409)
            _add_error(operation, 422)
            _add_headers(operation, REPLAYED_HEADER)
        if conditional_view and action in ETAG_ACTIONS:
            _add_headers(operation, ETAG_HEADER)
            if method == "GET":
                parameters.append(copy.deepcopy(IF_NONE_MATCH))
                operation["responses"]["304"] = copy.deepcopy(NOT_MODIFIED)
                operation["responses"] = dict(sorted(operation["responses"].items()))
        checks_if_match = (conditional_view and action in ("update", "partial_update", "destroy")) or getattr(
            handler, "checks_if_match", False
        )
        if checks_if_match:
            parameters.append(copy.deepcopy(IF_MATCH))
            _add_error(operation, 412)
    return result
