from django.contrib import admin
from django.urls import path

import accounts.urls
import core.urls
import customers.urls
import documents.urls
import inventory.urls
import mechanics.urls
import notifications.urls
import reports.urls
import tickets.urls
import vehicles.urls
import webhooks.urls

# Every app's routes in one flat list, not one `include("")` per app: Django's resolver raises,
# and lists what it tried, for each include that does not match, on every request to the apps
# after it.
urlpatterns = [
    *accounts.urls.urlpatterns,
    *notifications.urls.urlpatterns,
    *customers.urls.urlpatterns,
    *mechanics.urls.urlpatterns,
    *inventory.urls.urlpatterns,
    *tickets.urls.urlpatterns,
    *documents.urls.urlpatterns,
    *reports.urls.urlpatterns,
    *vehicles.urls.urlpatterns,
    *webhooks.urls.urlpatterns,
    *core.urls.urlpatterns,
    path("admin/", admin.site.urls),
]

handler400 = "core.views.json_bad_request"
handler403 = "core.views.json_forbidden"
handler404 = "core.views.json_not_found"
handler500 = "core.views.json_server_error"
