from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("notifications.urls")),
    path("", include("customers.urls")),
    path("", include("mechanics.urls")),
    path("", include("inventory.urls")),
    path("", include("tickets.urls")),
    path("", include("documents.urls")),
    path("", include("reports.urls")),
    path("", include("vehicles.urls")),
    path("", include("webhooks.urls")),
    path("", include("core.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "core.views.json_bad_request"
handler403 = "core.views.json_forbidden"
handler404 = "core.views.json_not_found"
handler500 = "core.views.json_server_error"
