from django.contrib import admin
from django.http import HttpResponse

from core.ratelimits import SignInGuard, SignInUnavailable, TooManySignIns


class ShopAdminSite(admin.AdminSite):
    """The Django admin, with the API's sign-in limits on its login form."""

    site_header = "Mechanic Shop administration"
    site_title = "Mechanic Shop"
    index_title = "Shop records"
    # The front page with the day's dashboard above the apps (the template and its tag are the
    # reports app's: named here, not imported, as accounts comes before the apps it shows).
    index_template = "admin/shop_index.html"
    # The lists need the width (a ticket's row is one line, totals and date included, on a
    # laptop's screen); the breadcrumbs and the front page lead to every list.
    enable_nav_sidebar = False

    def login(self, request, extra_context=None):
        if request.method != "POST":
            return super().login(request, extra_context)
        guard = SignInGuard(request, request.POST.get("username", ""))
        try:
            guard.check()
            response = super().login(request, extra_context)
            # Django's login view redirects once signed in and shows the form again otherwise.
            guard.succeeded() if response.status_code == 302 else guard.failed()
        except SignInUnavailable as exc:
            return _plain(str(exc.detail), 503, exc.wait)
        except TooManySignIns as exc:
            return _plain(str(exc.detail), 429, exc.wait)
        return response


def _plain(message: str, status: int, retry_after: int) -> HttpResponse:
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    return response
