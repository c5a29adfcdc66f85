from django.urls import re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core.views import HealthView

urlpatterns = [
    re_path(r"^healthz/?$", HealthView.as_view(), name="healthz"),
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^api/docs/?$", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    re_path(
        r"^api/redoc/?$", SpectacularRedocView.as_view(url_name="schema", template_name="core/redoc.html"), name="redoc"
    ),
]
