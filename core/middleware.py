import re
from datetime import UTC

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from core.errors import Unavailable
from core.exceptions import ServiceUnavailable, database_failure_exception

# Pages meant for people in a browser keep their HTML errors.
_HTML_PREFIXES = ("/admin/", "/api/docs", "/api/redoc", "/static/", "/estimates/", "/password-reset")


def error_response(request, message: str, status: int) -> HttpResponse:
    """An error answered outside the API's views: the API's JSON shape, or plain text on the
    pages people open in a browser (the admin, the API docs, static files)."""
    if request.path.startswith(_HTML_PREFIXES):
        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    return JsonResponse({"error": message}, status=status)


class JsonErrorMiddleware:
    """Turn any HTML error page (Django's 404/500 pages, DEBUG's technical pages) into the API's
    JSON error shape, so no client of the API ever receives HTML.

    It also answers a database outage, or another service the request needed being unavailable
    (core.errors.Unavailable), met outside the API's views (the admin, Django's own views) with
    503, as the API's exception handler does inside them, instead of a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or not response.get("Content-Type", "").startswith("text/html"):
            return response
        if not request.path.startswith(_HTML_PREFIXES):
            message = "Not found." if response.status_code == 404 else response.reason_phrase
            return JsonResponse({"error": message}, status=response.status_code)
        if response.status_code == 404:
            # With DEBUG on, Django's 404 page lists every URL pattern; say no more than this.
            return HttpResponse("Not found.", status=404, content_type="text/plain; charset=utf-8")
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, Unavailable):
            error = ServiceUnavailable(exception.message)
        else:
            error = database_failure_exception(exception)
        if error is None:
            return None  # Django's handler500
        response = error_response(request, str(error.detail), error.status_code)
        if (wait := getattr(error, "wait", None)) is not None:
            response["Retry-After"] = str(wait)
        return response


class PrivateApiResponseMiddleware:
    """Responses to a signed-in caller are theirs alone: `Cache-Control: private` keeps shared
    HTTP caches (proxies, CDNs) from storing them, and `no-cache` makes the caller's own client
    revalidate, so it sees its writes at once. How long the server's cache (core/caching.py)
    keeps an answer is not a lifetime promised to clients: no max-age, no Expires."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if "HTTP_AUTHORIZATION" in request.META or (user is not None and user.is_authenticated):
            if "no-store" not in response.get("Cache-Control", ""):
                response["Cache-Control"] = "private, no-cache"
                del response["Expires"]
            patch_vary_headers(response, ["Authorization"])
        return response


class ContentLengthRequiredMiddleware:
    """A body sent with `Transfer-Encoding: chunked` and no Content-Length is refused with 411.
    Django reads exactly Content-Length bytes of a body, so it would otherwise see an empty body
    and answer with a misleading "this field is required"."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not request.META.get("CONTENT_LENGTH"):
            return JsonResponse(
                {"error": "A request body needs a Content-Length header (chunked bodies are not accepted)."},
                status=411,
            )
        return self.get_response(request)


class UtcApiMiddleware:
    """The API writes every timestamp in UTC (API.md), whatever the shop's TIME_ZONE: DRF renders a
    datetime in the active time zone, so the API's requests run with UTC active. The admin keeps
    the shop's time zone; reports and documents name the shop's zone themselves."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/admin/"):
            return self.get_response(request)
        with timezone.override(UTC):
            return self.get_response(request)


# Unicode's control characters (category Cc): C0 (U+0000-U+001F, tab and line breaks included),
# DEL (U+007F) and C1 (U+0080-U+009F).
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class ControlCharacterMiddleware:
    """A path or query string holding a control character is refused with 400 before any view
    reads it. No URL of the API or the admin needs one, and some databases refuse them in a
    query (PostgreSQL: "A string literal cannot contain NUL characters"), which would otherwise
    be a 500 wherever a view filters on a parameter (the admin's changelists on every field).

    Both are checked as Django decodes them: the path after percent-decoding, the query string's
    names and values after percent-decoding as UTF-8 (so `%C2%85` is the C1 control U+0085, while
    the euro sign's bytes E2 82 AC are no control)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _CONTROL_CHARACTER.search(request.path) or any(
            _CONTROL_CHARACTER.search(name) or any(_CONTROL_CHARACTER.search(value) for value in values)
            for name, values in request.GET.lists()
        ):
            return error_response(request, "The URL holds a control character.", 400)
        return self.get_response(request)
