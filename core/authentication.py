"""One JWT authentication for both kinds of principal.

Every token carries a `role` claim: "customer" tokens name a Customer (`customer_id`), "staff"
tokens a Django user (`user_id`). The claim is covered by the signature, so it cannot be
changed without invalidating the token.
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
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


def _by_id(queryset, raw_id):
    """The row whose primary key is the claim `raw_id`, else None (also for ids of the wrong type)."""
    if isinstance(raw_id, bool) or not isinstance(raw_id, (int, str)):
        return None
    try:
        return queryset.filter(pk=raw_id).first()
    except (TypeError, ValueError, OverflowError):
        return None


def principal_for_token(token):
    """The active Customer or staff user a validated token names, else AuthenticationFailed.

    The errors carry plain sentences: simplejwt's own exceptions would put a dict in the body.
    """
    role = token.get(ROLE_CLAIM)
    if role == CUSTOMER_ROLE:
        customer = _by_id(Customer.objects, token.get(CUSTOMER_ID_CLAIM))
        if customer is None:
            raise AuthenticationFailed(_("The customer of this token no longer exists."), code="user_not_found")
        return customer
    if role == STAFF_ROLE:
        user = _by_id(get_user_model().objects, token.get(api_settings.USER_ID_CLAIM))
        if user is None or not user.is_active or not user.is_staff:
            raise AuthenticationFailed(_("The staff account of this token is not active."), code="user_inactive")
        return user
    raise AuthenticationFailed(_("The token names no known role."), code="token_not_valid")


def _sentence(detail) -> str:
    """simplejwt raises with a dict detail ({"detail", "code", "messages": [{"message"}]});
    the API's error body wants one sentence."""
    if not isinstance(detail, dict):
        return str(detail)
    for message in detail.get("messages") or []:
        if isinstance(message, dict) and message.get("message"):
            return f"{message['message']}."
    return str(detail.get("detail", _("The token is not valid.")))


class PrincipalJWTAuthentication(JWTAuthentication):
    def get_raw_token(self, header: bytes) -> bytes | None:
        # RFC 7235 makes the scheme case-insensitive; simplejwt compares it exactly, so
        # "bearer <token>" would silently count as no credentials.
        parts = header.split()
        if parts and parts[0].lower() == b"bearer":
            header = b" ".join([b"Bearer", *parts[1:]])
        return super().get_raw_token(header)

    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except AuthenticationFailed as exc:
            raise AuthenticationFailed(_sentence(exc.detail)) from exc

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
