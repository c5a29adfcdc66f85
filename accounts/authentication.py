from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from accounts import principals
from accounts.tokens import CUSTOMER_ID_CLAIM, CUSTOMER_ROLE, ROLE_CLAIM, STAFF_ROLE
from core import caching
from customers.models import Customer


def account_for_token(token):
    """The Customer or staff user a verified token names, if it may still use it: the account
    exists, a staff user is active and staff, and its password is the one the token was issued
    under. Else AuthenticationFailed (401)."""
    return account_and_values(token)[0]


def account_and_values(token, also: Sequence[str] = ()):
    """account_for_token's account, and the values of the keys `also` of the accounts' cache
    read with it in one round trip (None when the cache could not be read)."""
    role = token.get(ROLE_CLAIM)
    if role == CUSTOMER_ROLE:
        principal, values = principals.load_with(Customer, token.get(CUSTOMER_ID_CLAIM), also)
    elif role == STAFF_ROLE:
        principal, values = principals.load_with(get_user_model(), token.get(api_settings.USER_ID_CLAIM), also)
    else:
        raise InvalidToken(_("The token names no known role."))
    if principal is None:
        raise AuthenticationFailed(_("The account of this token no longer exists."), code="user_not_found")
    account = principal.account
    if role == STAFF_ROLE and not (account.is_active and account.is_staff):
        raise AuthenticationFailed(_("The staff account of this token is not active."), code="user_inactive")
    if token.get(api_settings.REVOKE_TOKEN_CLAIM) != principal.password_fingerprint:
        raise AuthenticationFailed(
            _("The password of this account has changed since the token was issued."), code="password_changed"
        )
    return account, values


class ShopJWTAuthentication(JWTAuthentication):
    """SimpleJWT's JWT authentication for customers and staff alike. The account comes from
    Django's cache (accounts/principals.py) instead of a query on every request, read together
    with what the request's cached read needs, if it is one (core.caching): its versions and
    its stored answer, so that a cached answer costs no cache read of its own."""

    def authenticate(self, request):
        self.wanted = caching.prefetch_keys(request)
        self.values = None
        authenticated = super().authenticate(request)
        if authenticated is not None and self.wanted:
            caching.remember(request, self.wanted, self.values)
        return authenticated

    def get_raw_token(self, header: bytes) -> bytes | None:
        # RFC 9110 makes the scheme case-insensitive; SimpleJWT compares it exactly, so
        # "bearer <token>" would silently count as no credentials at all.
        parts = header.split()
        if parts and parts[0].lower() == b"bearer":
            header = b" ".join([b"Bearer", *parts[1:]])
        return super().get_raw_token(header)

    def get_user(self, validated_token):
        account, self.values = account_and_values(validated_token, self.wanted)
        return account
