"""SimpleJWT's token serializers, shaped as the API's sign-in contract:

{"status": "success", "message": "...", "auth_token": "<access>", "refresh_token": "<refresh>",
 "token_type": "Bearer", "expires_in": 3600}
"""

from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import serializers as jwt
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.authentication import account_for_token
from accounts.tokens import RefreshToken, tokens_for_customer, tokens_for_staff
from core.ratelimits import SignInGuard
from core.serializers import StrictIntegerField


def token_pair_body(refresh: RefreshToken) -> dict:
    return {
        "status": "success",
        "message": "Successfully logged in",
        "auth_token": str(refresh.access_token),
        "refresh_token": str(refresh),
        "token_type": "Bearer",
        "expires_in": settings.JWT_ACCESS_TOKEN_LIFETIME,
    }


class SignInSerializer(jwt.TokenObtainSerializer):
    """Counts the attempt against the sign-in limits, then lets Django's `authenticate()` check
    the password (ModelBackend for staff, accounts.backends.CustomerBackend for customers)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Bounded, and the password exactly as typed (sign-up does not trim it either).
        self.fields[self.username_field] = serializers.CharField(max_length=255, write_only=True)
        self.fields["password"] = jwt.PasswordField(max_length=128, trim_whitespace=False)

    def validate(self, attrs: dict) -> dict:
        guard = SignInGuard(self.context["request"], attrs[self.username_field])
        guard.check()
        try:
            super().validate(attrs)  # sets self.user, or raises AuthenticationFailed
            self.check_account(self.user)
        except AuthenticationFailed:
            guard.failed()
            raise
        guard.succeeded()
        return token_pair_body(self.get_token(self.user))

    def check_account(self, user) -> None:
        """A last word on an account whose password was right, before any token exists."""


class StaffSignInSerializer(SignInSerializer):
    default_error_messages = {"no_active_account": "Invalid username or password"}

    def check_account(self, user) -> None:
        if not user.is_staff:  # the same answer as a wrong password
            raise AuthenticationFailed(self.error_messages["no_active_account"], "no_active_account")

    @classmethod
    def get_token(cls, user) -> RefreshToken:
        return tokens_for_staff(user)


class CustomerSignInSerializer(SignInSerializer):
    username_field = "email"
    default_error_messages = {"no_active_account": "Invalid email or password"}

    @classmethod
    def get_token(cls, customer) -> RefreshToken:
        return tokens_for_customer(customer)


@contextmanager
def spending(refresh: RefreshToken):
    """A transaction holding the refresh token's outstanding-token row locked, inside which
    SimpleJWT checks the blacklist again and blacklists the token. Two requests that spend the
    same token (refreshing, or refreshing while signing out) then take turns, and the second
    finds it blacklisted: a refresh token is used once."""
    with transaction.atomic():
        OutstandingToken.objects.select_for_update().filter(jti=refresh[api_settings.JTI_CLAIM]).first()
        yield


class RefreshSerializer(jwt.TokenRefreshSerializer):
    """SimpleJWT's refresh (a new access token, a new refresh token, the old one blacklisted),
    after checking the account may still sign in."""

    refresh = None  # the contract names the field refresh_token
    refresh_token = serializers.CharField(max_length=4096)
    token_class = RefreshToken

    def validate(self, attrs: dict) -> dict:
        refresh = self.token_class(attrs["refresh_token"])
        account_for_token(refresh)
        try:
            with spending(refresh):
                data = super().validate({"refresh": attrs["refresh_token"]})
        except get_user_model().DoesNotExist as exc:
            # SimpleJWT looks the staff user up again (objects.get): deleted since the check above.
            raise AuthenticationFailed("The account of this token no longer exists.", "user_not_found") from exc
        return {
            "auth_token": data["access"],
            "refresh_token": data["refresh"],
            "token_type": "Bearer",
            "expires_in": settings.JWT_ACCESS_TOKEN_LIFETIME,
        }


class LogoutSerializer(jwt.TokenBlacklistSerializer):
    refresh = None
    refresh_token = serializers.CharField(max_length=4096, write_only=True)
    token_class = RefreshToken

    def validate(self, attrs: dict) -> dict:
        with spending(self.token_class(attrs["refresh_token"])):
            return super().validate({"refresh": attrs["refresh_token"]})


# Documentation only: what the views above answer.
class SignInRequestSerializer(serializers.Serializer):
    password = serializers.CharField(write_only=True)


class StaffSignInRequestSerializer(SignInRequestSerializer):
    username = serializers.CharField()


class CustomerSignInRequestSerializer(SignInRequestSerializer):
    email = serializers.CharField()


class AccessTokenResponseSerializer(serializers.Serializer):
    auth_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = StrictIntegerField()


class SignInResponseSerializer(AccessTokenResponseSerializer):
    status = serializers.CharField()
    message = serializers.CharField()
