"""One JWT authentication for both kinds of principal.

Every token carries a `role` claim: "customer" tokens name a Customer (`customer_id`), "staff"
tokens a Django user (`user_id`). The claim is covered by the signature, so it cannot be
changed without invalidating the token.
"""

from django.contrib.auth import get_user_model
from rest_framework.authentication import BaseAuthentication
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken

from customers.models import Customer

ROLE_CLAIM = "role"
CUSTOMER_ROLE = "customer"
STAFF_ROLE = "staff"
CUSTOMER_ID_CLAIM = "customer_id"


def tokens_for_customer(customer: Customer) -> RefreshToken:
    refresh = RefreshToken()
    refresh[ROLE_CLAIM] = CUSTOMER_ROLE
    refresh[CUSTOMER_ID_CLAIM] = customer.pk
    return refresh


def tokens_for_staff(user) -> RefreshToken:
    refresh = RefreshToken.for_user(user)
    refresh[ROLE_CLAIM] = STAFF_ROLE
    return refresh


def principal_for_token(token):
    """The active Customer or staff user a validated token names, else AuthenticationFailed."""
    role = token.get(ROLE_CLAIM)
    if role == CUSTOMER_ROLE:
        customer = Customer.objects.filter(pk=token.get(CUSTOMER_ID_CLAIM)).first()
        if customer is None:
            raise AuthenticationFailed(_("The customer of this token no longer exists."), code="user_not_found")
        return customer
    if role == STAFF_ROLE:
        user = get_user_model().objects.filter(pk=token.get(api_settings.USER_ID_CLAIM)).first()
        if user is None or not user.is_active or not user.is_staff:
            raise AuthenticationFailed(_("The staff account of this token is not active."), code="user_inactive")
        return user
    raise InvalidToken(_("The token names no known role."))


class PrincipalJWTAuthentication(JWTAuthentication):
    def get_user(self, validated_token):
        return principal_for_token(validated_token)


def is_staff(user) -> bool:
    return bool(user and user.is_authenticated and not isinstance(user, Customer) and user.is_staff)


def as_customer(user) -> Customer | None:
    return user if isinstance(user, Customer) else None


class NoAuthentication(BaseAuthentication):
    """For sign-in endpoints: reads no credentials, but lets a failed sign-in answer 401 with
    `WWW-Authenticate: Bearer` (DRF turns 401 into 403 when a view has no authenticator)."""

    def authenticate(self, request):
        return None

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'
