from django.core.cache import caches
from django.db import connection
from django.http import JsonResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


def _check(probe) -> str:
    try:
        probe()
    except Exception as exc:  # noqa: BLE001 - any failure of a dependency means "not healthy"
        return f"error: {exc.__class__.__name__}"
    return "ok"


def _probe_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _probe_cache() -> None:
    cache = caches["limits"]  # the alias that reports its errors
    cache.set("healthz", "ok", timeout=10)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache did not return what was written")


HEALTH = inline_serializer(
    "Health",
    fields={
        "status": serializers.ChoiceField(["ok", "unavailable"]),
        "database": serializers.CharField(),
        "cache": serializers.CharField(),
        "error": serializers.CharField(required=False),
    },
)


class HealthView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(tags=["operations"], responses={200: HEALTH, 503: HEALTH}, summary="Database and cache health")
    def get(self, request):
        checks = {"database": _check(_probe_database), "cache": _check(_probe_cache)}
        failing = [name for name, result in checks.items() if result != "ok"]
        if not failing:
            return Response({"status": "ok", **checks})
        # The API's error shape too, so a client reading only "error" sees what is down.
        error = f"Unavailable: the {' and the '.join(failing)} did not answer."
        return Response({"status": "unavailable", "error": error, **checks}, status=status.HTTP_503_SERVICE_UNAVAILABLE)


# Django's own error pages, as the API's JSON error shape (mechanic_shop/urls.py).
def json_not_found(request, exception=None):
    return JsonResponse({"error": "Not found."}, status=404)


def json_bad_request(request, exception=None):
    return JsonResponse({"error": "Bad request."}, status=400)


def json_forbidden(request, exception=None):
    return JsonResponse({"error": "You do not have permission to perform this action."}, status=403)


def json_server_error(request):
    return JsonResponse({"error": "Internal server error."}, status=500)
