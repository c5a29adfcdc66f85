from django.contrib.auth import middleware as django_auth
from django.contrib.messages import middleware as django_messages
from django.contrib.sessions import middleware as django_sessions
from django.http import HttpResponse, JsonResponse

from core.exceptions import database_failure_exception

# Pages meant for people in a browser keep their HTML errors.
_HTML_PREFIXES = ("/admin/", "/api/docs", "/api/redoc", "/static/")


class JsonErrorMiddleware:
    """Turn any HTML error page (Django's 404/500 pages, DEBUG's technical pages) into the API's
    JSON error shape, so no client of the API ever receives HTML.

    It also answers a database outage met outside the API's views (the admin, Django's own
    views) with 503, as the API's exception handler does inside them, instead of a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and response.get("Content-Type", "").startswith("text/html")
            and not request.path.startswith(_HTML_PREFIXES)
        ):
            message = "Not found." if response.status_code == 404 else response.reason_phrase
            return JsonResponse({"error": message}, status=response.status_code)
        return response

    def process_exception(self, request, exception):
        error = database_failure_exception(exception)
        if error is None:
            return None  # Django's handler500
        if request.path.startswith(_HTML_PREFIXES):
            response = HttpResponse(str(error.detail), status=error.status_code, content_type="text/plain; charset=utf-8")
        else:
            response = JsonResponse({"error": str(error.detail)}, status=error.status_code)
        if (wait := getattr(error, "wait", None)) is not None:
            response["Retry-After"] = str(wait)
        return response


# --- browser-session middleware, for browser pages only ------------------------------------------
# Pages people use in a browser: the admin (sessions, login, messages) and the API docs.
BROWSER_PATH_PREFIXES = ("/admin/", "/api/")


def is_browser_page(request) -> bool:
    return request.path_info.startswith(BROWSER_PATH_PREFIXES)


class BrowserPagesOnly:
    """Runs one of Django's browser-session middleware for browser pages only.

    The API authenticates every request by its bearer token and never reads a session or a flash
    message, so its requests skip the work (a session store, a cookie signer and a lazy user built
    for each: about a tenth of an uncached API read). Django's CSRF middleware stays as it is: its
    deploy checks look for it by name, and DRF's views are exempt from it anyway.
    """

    def __call__(self, request):
        if not is_browser_page(request):
            return self.get_response(request)
        return super().__call__(request)


class SessionMiddleware(BrowserPagesOnly, django_sessions.SessionMiddleware):
    pass


class AuthenticationMiddleware(BrowserPagesOnly, django_auth.AuthenticationMiddleware):
    pass


class MessageMiddleware(BrowserPagesOnly, django_messages.MessageMiddleware):
    pass
