"""One JWT authentication for both kinds of principal.

Every token carries a `role` claim: "customer" tokens name a Customer (`customer_id`), "staff"
tokens a Django user (`user_id`). The claim is covered by the signature, so it cannot be
changed without invalidating the token.
"""

import logging
from dataclasses import dataclass
from typing import ClassVar

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, models
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt import tokens as simplejwt_tokens
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from core.cache import CACHE_ERRORS
from core.ids import parse_id
from customers.models import Customer

logger = logging.getLogger(__name__)

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


# Principals are read on every authenticated request, so they are kept in the shared cache.
# A write to a customer or a staff user replaces its entry with a tombstone (signals below) and
# readers only ever *add* entries, so a reader that loaded the row just before the write cannot
# put the old row back: until the tombstone expires, that principal is read from the database.
PRINCIPAL_CACHE_SECONDS = 300
_TOMBSTONE = "gone"


def principal_cache_key(role: str, raw_id) -> str:
    return f"principal:{role}:{raw_id}"


def forget_principal(role: str, pk, created: bool = False) -> None:
    """Called on every save and delete of a customer or staff user. A new row had no earlier
    version anyone could have read, so it only clears whatever an old test database or a restored
    backup left under its id, and the new principal is cached from its first request."""
    key = principal_cache_key(role, pk)
    try:
        if created:
            cache.delete(key)
        else:
            cache.set(key, _TOMBSTONE, timeout=PRINCIPAL_CACHE_SECONDS)
    except CACHE_ERRORS as exc:
        logger.warning("cache unavailable; could not forget principal %s:%s: %r", role, pk, exc)


def _principal_id(raw_id) -> int | None:
    """The claim as a primary key (an int, or a string of digits), else None."""
    if isinstance(raw_id, bool):
        return None
    if isinstance(raw_id, int):
        return raw_id
    if isinstance(raw_id, str):
        return parse_id(raw_id)
    return None


def _by_id(queryset, pk: int):
    try:
        return queryset.filter(pk=pk).first()
    except (TypeError, ValueError, OverflowError):  # out of the column's range
        return None


def _may_enter(role: str, is_active, is_staff) -> bool:
    """Every existing customer may; a staff user only while active and staff."""
    return role == CUSTOMER_ROLE or bool(is_active and is_staff)


def _is_valid_principal(role: str, principal) -> bool:
    return principal is not None and _may_enter(role, getattr(principal, "is_active", None), getattr(principal, "is_staff", None))


def _model_for(role: str) -> type[models.Model]:
    return Customer if role == CUSTOMER_ROLE else get_user_model()


@dataclass(frozen=True)
class CachedPrincipal:
    """A principal's column values, as the cache keeps them: they pickle and unpickle several
    times faster than a model instance. The password hash is deferred, so it is not among them
    and never reaches the cache."""

    shared_when_cached: ClassVar[bool] = True  # immutable: the file cache may hand out one copy
    fields: tuple[tuple[str, object], ...]

    @classmethod
    def of(cls, principal: models.Model) -> "CachedPrincipal":
        loaded = principal.__dict__
        return cls(tuple((f.attname, loaded[f.attname]) for f in principal._meta.concrete_fields if f.attname in loaded))

    def may_enter_as(self, role: str) -> bool:
        fields = dict(self.fields)
        return _may_enter(role, fields.get("is_active"), fields.get("is_staff"))

    def instance(self, role: str) -> models.Model:
        names, values = zip(*self.fields, strict=True)
        return _model_for(role).from_db(DEFAULT_DB_ALIAS, names, values)


def _load_principal(role: str, raw_id):
    """The customer or staff user `raw_id` names, from the cache when it holds them."""
    pk = _principal_id(raw_id)
    if pk is None:
        return None
    key = principal_cache_key(role, pk)
    try:
        cached = cache.get(key)
    except CACHE_ERRORS:
        cached = _TOMBSTONE  # read from the database, and do not try to store
    if isinstance(cached, CachedPrincipal):
        return cached.instance(role)
    principal = _by_id(_model_for(role).objects.defer("password"), pk)
    if cached is None and _is_valid_principal(role, principal):
        try:
            cache.add(key, CachedPrincipal.of(principal), timeout=PRINCIPAL_CACHE_SECONDS)
        except CACHE_ERRORS:
            pass
    return principal


def principal_for_token(token):
    """The active Customer or staff user a validated token names, else AuthenticationFailed.

    The errors carry plain sentences: simplejwt's own exceptions would put a dict in the body.
    """
    role = token.get(ROLE_CLAIM)
    if role == CUSTOMER_ROLE:
        customer = _load_principal(CUSTOMER_ROLE, token.get(CUSTOMER_ID_CLAIM))
        if customer is None:
            raise AuthenticationFailed(_("The customer of this token no longer exists."), code="user_not_found")
        return customer
    if role == STAFF_ROLE:
        user = _load_principal(STAFF_ROLE, token.get(api_settings.USER_ID_CLAIM))
        if not _is_valid_principal(STAFF_ROLE, user):
            raise AuthenticationFailed(_("The staff account of this token is not active."), code="user_inactive")
        return user
    raise AuthenticationFailed(_("The token names no known role."), code="token_not_valid")


@dataclass(frozen=True)
class TokenPrincipal:
    """Who a verified token names, before anything is loaded."""

    role: str
    pk: int

    @property
    def cache_key(self) -> str:
        return principal_cache_key(self.role, self.pk)

    def may_enter_with(self, cached) -> bool:
        """Whether what the cache holds under cache_key lets this principal in right now."""
        return isinstance(cached, CachedPrincipal) and cached.may_enter_as(self.role)


def token_principal(token) -> TokenPrincipal | None:
    """The principal a verified token names, or None for malformed claims."""
    role = token.get(ROLE_CLAIM)
    if role == CUSTOMER_ROLE:
        pk = _principal_id(token.get(CUSTOMER_ID_CLAIM))
    elif role == STAFF_ROLE:
        pk = _principal_id(token.get(api_settings.USER_ID_CLAIM))
    else:
        return None
    return None if pk is None else TokenPrincipal(role, pk)


# A token's validity is a function of the token, the signing key and the clock alone (there is
# no blacklist), so a token verified once is kept per process and only its expiry is checked
# again. Verifying the signature is a fifth of the cost of a cached read.
_VERIFIED_TOKENS_MAX = 4096
_verified_tokens: dict[bytes, simplejwt_tokens.Token] = {}


def verified_token(raw_token: bytes):
    """The access token, verified, or None when it is not valid now."""
    token = _verified_tokens.get(raw_token)
    if token is not None:
        token.current_time = simplejwt_tokens.aware_utcnow()
        try:
            token.check_exp()
            return token
        except TokenError:
            _verified_tokens.pop(raw_token, None)
            return None
    for token_class in api_settings.AUTH_TOKEN_CLASSES:
        try:
            token = token_class(raw_token)
            break
        except TokenError:
            continue
    else:
        return None
    if len(_verified_tokens) >= _VERIFIED_TOKENS_MAX:
        _verified_tokens.clear()
    _verified_tokens[raw_token] = token
    return token


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

    def get_validated_token(self, raw_token: bytes):
        # Invalid tokens take simplejwt's path, which explains what is wrong with them.
        return verified_token(raw_token) or super().get_validated_token(raw_token)

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
