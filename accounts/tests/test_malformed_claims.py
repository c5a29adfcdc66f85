"""A token signed with the right key whose claims are malformed (a string `exp`, a list where a
number goes, a huge number, null, a claim of the wrong type) is a 401 with
`WWW-Authenticate: Bearer`, never a 500: as a bearer token, and as the refresh token of
`/auth/refresh`, `/auth/logout` and `/customers/logout` (API.md "General rules": no client input,
however malformed, produces a 500).

Only a holder of the signing key can make these tokens, but a leaked key, a key shared with
another service, or a future change of what the server writes must still end in a clean 401."""

import jwt
import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.settings import api_settings

from accounts.tokens import tokens_for_customer, tokens_for_staff
from conftest import client_with_token

SIGNING_KEY = django_settings.SIMPLE_JWT["SIGNING_KEY"]
REMOVED = object()
CUSTOMER_PROBE, STAFF_PROBE = "/tickets/my-tickets", "/mechanics"
REVOKE = api_settings.REVOKE_TOKEN_CLAIM
FAR_FUTURE = 4_000_000_000

# (claim, value) pairs no token of this server carries; REMOVED takes the claim out.
MALFORMED = [
    ("exp", "9999999999"),
    ("exp", "soon"),
    ("exp", [FAR_FUTURE]),
    ("exp", {"at": FAR_FUTURE}),
    ("exp", None),
    ("exp", True),
    ("exp", 10**400),
    ("exp", -(10**400)),
    ("exp", 1e300),
    ("exp", float("inf")),
    ("exp", float("nan")),
    ("exp", REMOVED),
    ("iat", "yesterday"),
    ("iat", "1900000000"),
    ("iat", [1]),
    ("iat", None),
    ("iat", 10**400),
    ("iat", float("inf")),
    ("nbf", "now"),
    ("nbf", [1]),
    ("token_type", 1),
    ("token_type", None),
    ("token_type", ["access", "refresh"]),
    ("token_type", {"type": "access"}),
    ("token_type", REMOVED),
    ("jti", 12345),
    ("jti", None),
    ("jti", ["a", "b"]),
    ("jti", {"id": "x"}),
    ("jti", "x" * 300),
    ("jti", REMOVED),
    ("role", ["customer"]),
    ("role", None),
    ("role", 1),
    (REVOKE, None),
    (REVOKE, 123),
    (REVOKE, ["x"]),
    ("user_id", [1]),
    ("user_id", {"id": 1}),
    ("user_id", "abc"),
    ("user_id", 1.5),
    ("user_id", True),
    ("user_id", None),
    ("user_id", 2**70),
    ("customer_id", None),
    ("customer_id", [1]),
    ("customer_id", 1.5),
]


def malformed_id(case) -> str:
    claim, value = case
    return f"{claim}={'removed' if value is REMOVED else repr(value)[:24]}"


CASES = [pytest.param(claim, value, id=malformed_id((claim, value))) for claim, value in MALFORMED]


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def resigned(token: str, claim: str, value) -> str:
    """`token` with one claim changed (or taken out), signed with the server's own key."""
    claims = claims_of(token)
    if value is REMOVED:
        claims.pop(claim, None)
    else:
        claims[claim] = value
    return jwt.encode(claims, SIGNING_KEY, algorithm="HS256")


def assert_bearer_401(response) -> None:
    assert response.status_code == 401, (response.status_code, response.content[:300])
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert set(response.json()) == {"error"}


@pytest.fixture(params=["customer", "staff"])
def tokens(request, customer, staff_user):
    """The refresh token (with its outstanding-token row) of a customer or a staff user, and a
    path its access token may read."""
    if request.param == "customer":
        return tokens_for_customer(customer), CUSTOMER_PROBE
    return tokens_for_staff(staff_user), STAFF_PROBE


def test_the_unchanged_tokens_work(api_client, tokens):
    """The baseline of the table: re-signing an untouched token keeps it valid."""
    refresh, probe = tokens
    access = resigned(str(refresh.access_token), "role", claims_of(str(refresh))["role"])

    assert client_with_token(access).get(probe).status_code == 200
    assert api_client.post("/auth/refresh", {"refresh_token": str(refresh)}).status_code == 200


@pytest.mark.parametrize(("claim", "value"), CASES)
def test_an_access_token_with_a_malformed_claim_is_401(tokens, claim, value):
    refresh, probe = tokens
    access = resigned(str(refresh.access_token), claim, value)

    assert_bearer_401(client_with_token(access).get(probe))
    # Also where anonymous callers are welcome: a bad token is never read as no token.
    assert_bearer_401(client_with_token(access).get("/inventory"))


@pytest.mark.parametrize(("claim", "value"), CASES)
@pytest.mark.parametrize("path", ["/auth/refresh", "/auth/logout", "/customers/logout"])
def test_a_refresh_token_with_a_malformed_claim_is_401(tokens, claim, value, path):
    refresh, _probe = tokens
    token = resigned(str(refresh), claim, value)

    assert_bearer_401(APIClient().post(path, {"refresh_token": token}))


@pytest.mark.parametrize("claim", ["customer_id", "user_id"])
def test_a_token_naming_both_kinds_of_account_is_401(customer, staff_user, claim):
    """A customer token carries no user_id and a staff token no customer_id: a token with both
    could be read as either account by code that looks at one claim only."""
    refresh = tokens_for_customer(customer) if claim == "user_id" else tokens_for_staff(staff_user)
    other_id = str(staff_user.pk if claim == "user_id" else customer.pk)

    assert_bearer_401(APIClient().post("/auth/refresh", {"refresh_token": resigned(str(refresh), claim, other_id)}))
    assert_bearer_401(client_with_token(resigned(str(refresh.access_token), claim, other_id)).get("/inventory"))


def test_a_staff_user_deleted_while_their_token_is_refreshed_is_401(api_client, staff_user, monkeypatch):
    """SimpleJWT's refresh looks the user up again after our check; a deletion in between is a
    401, not its User.DoesNotExist."""
    token = str(tokens_for_staff(staff_user))
    monkeypatch.setattr("accounts.serializers.account_for_token", lambda refresh: staff_user.delete())

    assert_bearer_401(api_client.post("/auth/refresh", {"refresh_token": token}))
