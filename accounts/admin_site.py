from django.contrib import admin
from django.http import HttpResponse

from accounts.ratelimits import SignInUnavailable, sign_in_attempt


class ShopAdminSite(admin.AdminSite):
    """The Django admin, with the API's sign-in limits on its login form."""

    site_header = "Mechanic Shop administration"
    site_title = "Mechanic Shop"
    index_title = "Shop records"

    def login(self, request, extra_context=None):
        if request.method == "POST":
            try:
                wait = sign_in_attempt(request, request.POST.get("username", ""))
            except SignInUnavailable as exc:
                return _plain(str(exc.detail), 503, exc.wait)
            if wait is not None:
                return _plain("Too many sign-in attempts. Try again later.", 429, wait)
        return super().login(request, extra_context)


def _plain(message: str, status: int, retry_after: int) -> HttpResponse:
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    return response
