"""Sign-in, token refresh and sign-out: SimpleJWT's views with the serializers of this app.
Token responses carry `Cache-Control: no-store` (RFC 6749 §5.1), from Django's never_cache."""

from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response
from rest_framework_simplejwt import views as jwt

from accounts import serializers
from core.schema import SIGN_IN, errors

TOKEN_ERRORS = errors(400, 401, 411, 413, 415, 503)


@extend_schema_view(
    post=extend_schema(
        tags=["auth"],
        summary="Staff sign-in: tokens for a Django user with is_staff",
        request=serializers.StaffSignInRequestSerializer,
        responses={200: serializers.SignInResponseSerializer, **errors(*SIGN_IN)},
    )
)
@method_decorator(never_cache, name="post")
class StaffSignInView(jwt.TokenObtainPairView):
    serializer_class = serializers.StaffSignInSerializer


@extend_schema_view(
    post=extend_schema(
        tags=["customers"],
        summary="Customer sign-in",
        request=serializers.CustomerSignInRequestSerializer,
        responses={200: serializers.SignInResponseSerializer, **errors(*SIGN_IN)},
    )
)
@method_decorator(never_cache, name="post")
class CustomerSignInView(jwt.TokenObtainPairView):
    serializer_class = serializers.CustomerSignInSerializer


@extend_schema_view(
    post=extend_schema(
        tags=["auth"],
        summary="A new access token (and a new refresh token) for a refresh token, which is then spent",
        request=serializers.RefreshSerializer,
        responses={200: serializers.AccessTokenResponseSerializer, **TOKEN_ERRORS},
    )
)
@method_decorator(never_cache, name="post")
class RefreshView(jwt.TokenRefreshView):
    serializer_class = serializers.RefreshSerializer


@extend_schema_view(
    post=extend_schema(
        tags=["auth"],
        summary="Sign out: the refresh token can no longer be used",
        request=serializers.LogoutSerializer,
        responses={204: None, **TOKEN_ERRORS},
    )
)
class SignOutView(jwt.TokenBlacklistView):
    serializer_class = serializers.LogoutSerializer

    def post(self, request, *args, **kwargs):
        super().post(request, *args, **kwargs)  # validates and blacklists, or raises
        return Response(status=status.HTTP_204_NO_CONTENT)
