"""Shared pieces of the OpenAPI description."""

from drf_spectacular.utils import OpenApiResponse

from core.serializers import ErrorSerializer


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


ERROR_RESPONSES = {
    400: _error("Invalid input: `error`, and `fields` with a list of messages per field."),
    401: _error("Missing, invalid or expired token."),
    403: _error("Signed in, but not allowed to do this."),
    404: _error("Unknown id; `missing_ids` when some of several ids are unknown."),
    409: _error("Conflicts with existing data; nothing was changed."),
    415: _error("The body is not JSON."),
    429: _error("Rate limited; see the Retry-After header."),
}
LIST_ERRORS = {code: ERROR_RESPONSES[code] for code in (400, 401, 403, 429)}
