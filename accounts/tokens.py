"""The JWTs of both kinds of caller: SimpleJWT's RefreshToken and AccessToken with a `role` claim.

Staff tokens are SimpleJWT's own (`user_id` names the Django user). Customer tokens name a
Customer in `customer_id` and carry no `user_id`, so nothing that reads `user_id` can mistake a
customer for the staff user with the same number. Both carry SimpleJWT's revocation claim, a
fingerprint of the account's password hash (CHECK_REVOKE_TOKEN): a new password ends them.

A token is accepted only with the claims the server writes, each of the type it writes
(`check_claims`), before SimpleJWT or anything else reads them: SimpleJWT's own checks assume
well-formed claims (a string `exp` is a TypeError in its check_exp, a list `user_id` one in its
blacklist lookup), and an error there would be a 500 instead of a 401.
"""

import re

from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from customers.models import Customer

ROLE_CLAIM = "role"
CUSTOMER_ROLE = "customer"
STAFF_ROLE = "staff"
CUSTOMER_ID_CLAIM = "customer_id"
# The last second of the year 9999: every date a database and Python's datetime can hold.
LATEST_EPOCH = 253_402_300_799
JTI = re.compile(r"[0-9a-f]{32}")  # uuid4().hex
PASSWORD_FINGERPRINT = re.compile(r"[0-9A-F]{32}")  # an MD5 digest in SimpleJWT's upper case


def password_fingerprint(password_hash: str) -> str:
    """What a token's revocation claim holds: SimpleJWT's digest of the password hash."""
    return get_md5_hash_password(password_hash)


def account_id(claim) -> int | None:
    """The id a token's claim names, accepted only as the server writes it: a positive integer,
    or its decimal digits without a leading zero. `True`, "007", " 7" or 7.0 would name an
    account too under int(), but under a cache key that no save of that account clears."""
    if isinstance(claim, str) and claim.isascii() and claim.isdigit() and not claim.startswith("0"):
        claim = int(claim)
    if type(claim) is not int or not 0 < claim < 2**63:
        return None
    return claim


def _is_epoch(value) -> bool:
    return type(value) is int and 0 <= value <= LATEST_EPOCH


def _matches(pattern: re.Pattern):
    return lambda value: isinstance(value, str) and pattern.fullmatch(value) is not None


# What each kind of token carries, and what each claim must be.
_COMMON_CLAIMS = {
    "exp": _is_epoch,
    "iat": _is_epoch,
    api_settings.JTI_CLAIM: _matches(JTI),
    api_settings.REVOKE_TOKEN_CLAIM: _matches(PASSWORD_FINGERPRINT),
}
_ROLE_CLAIMS = {
    CUSTOMER_ROLE: {CUSTOMER_ID_CLAIM: lambda value: account_id(value) is not None},
    STAFF_ROLE: {api_settings.USER_ID_CLAIM: lambda value: account_id(value) is not None},
}


def check_claims(payload: dict, *, token_type: str) -> None:
    """TokenError (a 401) unless `payload` holds exactly the claims this server writes into a
    token of `token_type`, each as the server writes it."""
    role = payload.get(ROLE_CLAIM)
    expected = {
        api_settings.TOKEN_TYPE_CLAIM: lambda value: value == token_type,
        ROLE_CLAIM: lambda value: isinstance(value, str) and value in _ROLE_CLAIMS,
        **_COMMON_CLAIMS,
        **(_ROLE_CLAIMS.get(role, {}) if isinstance(role, str) else {}),
    }
    if payload.keys() != expected.keys() or not all(check(payload[claim]) for claim, check in expected.items()):
        raise TokenError(_("Token is invalid"))


class ServerClaims:
    """Verifies a token's claims (`check_claims`) before SimpleJWT's own checks, which read
    them (its blacklist check too)."""

    def verify(self) -> None:
        check_claims(self.payload, token_type=self.token_type)
        super().verify()


class AccessToken(ServerClaims, tokens.AccessToken):
    pass


class RefreshToken(ServerClaims, tokens.RefreshToken):
    access_token_class = AccessToken


def tokens_for_staff(user) -> RefreshToken:
    refresh = RefreshToken.for_user(user)  # user_id, the revocation claim, an outstanding-token row
    refresh[ROLE_CLAIM] = STAFF_ROLE
    return refresh


def tokens_for_customer(customer: Customer) -> RefreshToken:
    refresh = RefreshToken()
    refresh[ROLE_CLAIM] = CUSTOMER_ROLE
    refresh[CUSTOMER_ID_CLAIM] = str(customer.pk)
    refresh[api_settings.REVOKE_TOKEN_CLAIM] = password_fingerprint(customer.password)
    refresh.outstand()  # listed like a staff token's, so it can be blacklisted
    return refresh
