from django.http import JsonResponse

# Pages meant for people in a browser keep their HTML errors.
_HTML_PREFIXES = ("/admin/", "/api/docs", "/api/redoc", "/static/")


class JsonErrorMiddleware:
    """Turn any HTML error page (Django's 404/500 pages, DEBUG's technical pages) into the API's
    JSON error shape, so no client of the API ever receives HTML."""

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
