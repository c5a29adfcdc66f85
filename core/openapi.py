"""Shared pieces of the OpenAPI description.

Each operation documents exactly the error statuses it can answer with; `errors(...)` builds
them. What brings each status:
- 400: a body (or `page`/`per_page`) that fails validation, or a body that is not valid JSON;
- 401: a missing, invalid or expired token where one is needed, a bad token sent anywhere
  else, and wrong credentials on the sign-in endpoints;
- 403: a signed-in caller whose role may not do this;
- 404: an unknown id in the path (or in the body, with `missing_ids`);
- 409: a write that conflicts with existing data or loses a race with a concurrent one;
- 413 and 415: a body too large, or not sent as JSON (only where a body is read);
- 429: the operation's rate limit;
- 503: the database (for sign-in, also the rate-limit store) does not answer.
"""

from drf_spectacular.utils import OpenApiResponse

from core.serializers import ErrorSerializer


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


ERROR_RESPONSES = {
    400: _error("Invalid input: `error`, and `fields` with a list of messages per field."),
    401: _error("Missing, invalid or expired token (or, when signing in, wrong credentials)."),
    403: _error("Signed in, but not allowed to do this."),
    404: _error("Unknown id; `missing_ids` when some of several ids are unknown."),
    409: _error("Conflicts with existing data or with a concurrent change; nothing was changed."),
    413: _error("The body is larger than the server accepts."),
    415: _error("The body is not JSON."),
    429: _error("Rate limited; see the Retry-After header."),
    503: _error("A service the API needs is unavailable; try again after the Retry-After header's seconds."),
}

# The usual sets; an operation adds 429 when it is rate limited, or lists its own codes.
LIST = (400, 401, 403, 503)  # 400: page and per_page
RETRIEVE = (401, 403, 404, 503)
CREATE = (400, 401, 403, 409, 413, 415, 503)
UPDATE = (*CREATE, 404)
DESTROY = (401, 403, 404, 409, 503)
SIGN_IN = (400, 401, 413, 415, 429, 503)


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The documented error responses for these status codes."""
    return {code: ERROR_RESPONSES[code] for code in sorted(set(codes))}
