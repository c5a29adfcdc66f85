from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from core.authentication import NoAuthentication, principal_for_token, tokens_for_staff
from core.openapi import SIGN_IN, errors
from core.ratelimits import enforce_login_limits
from core.serializers import (
    AccessTokenSerializer,
    LoginResponseSerializer,
    RefreshSerializer,
    StaffLoginSerializer,
    token_pair_body,
)
from django.conf import settings


class StaffLoginView(APIView):
    authentication_classes = [NoAuthentication]
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["auth"],
        request=StaffLoginSerializer,
        responses={200: LoginResponseSerializer, **errors(*SIGN_IN)},
        summary="Staff sign-in: a token for a Django user with is_staff",
    )
    def post(self, request):
        serializer = StaffLoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username = serializer.validated_data["username"]
        enforce_login_limits(request, f"staff:{username}")
        # authenticate() runs the hasher even for unknown usernames, so timing tells nothing.
        user = authenticate(request, username=username, password=serializer.validated_data["password"])
        if user is None or not user.is_staff:
            raise AuthenticationFailed("Invalid username or password")
        return Response(token_pair_body(tokens_for_staff(user), "Successfully logged in"))


class TokenRefreshView(APIView):
    authentication_classes = [NoAuthentication]
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["auth"],
        request=RefreshSerializer,
        responses={200: AccessTokenSerializer, **errors(400, 401, 413, 415, 503)},
        summary="Exchange a refresh token for a new access token",
    )
    def post(self, request):
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            refresh = RefreshToken(serializer.validated_data["refresh_token"])
        except TokenError:
            raise AuthenticationFailed("The refresh token is invalid or expired.")
        principal_for_token(refresh)
        return Response(
            {
                "auth_token": str(refresh.access_token),
                "token_type": "Bearer",
                "expires_in": settings.JWT_ACCESS_TOKEN_LIFETIME,
            }
        )


def _check(probe) -> str:
    try:
        probe()
    except Exception as exc:  # any failure of a dependency means "not healthy"
        return f"error: {exc.__class__.__name__}"
    return "ok"


def _probe_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _probe_cache() -> None:
    cache.set("healthz", "ok", timeout=10)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache did not return what was written")


class HealthView(APIView):
    authentication_classes = [NoAuthentication]
    permission_classes = [AllowAny]

    @extend_schema(tags=["operations"], responses={200: dict, 503: dict}, summary="Database and cache health")
    def get(self, request):
        checks = {"database": _check(_probe_database), "cache": _check(_probe_cache)}
        failing = [name for name, result in checks.items() if result != "ok"]
        if not failing:
            return Response({"status": "ok", **checks})
        # The API's error shape too, so a client reading only "error" sees what is down.
        error = f"Unavailable: the {' and the '.join(failing)} did not answer."
        return Response(
            {"status": "unavailable", "error": error, **checks}, status=status.HTTP_503_SERVICE_UNAVAILABLE
        )


def json_not_found(request, exception=None):
    return JsonResponse({"error": "Not found."}, status=404)


def json_bad_request(request, exception=None):
    return JsonResponse({"error": "Bad request."}, status=400)


def json_forbidden(request, exception=None):
    return JsonResponse({"error": "You do not have permission to perform this action."}, status=403)


def json_server_error(request):
    return JsonResponse({"error": "Internal server error."}, status=500)
