"""Bearer tokens: what is accepted, and every way a bad one is refused with 401 (never 500).

Also the staff sign-in (`POST /auth/login`) and the refresh exchange (`POST /auth/refresh`).
Customer sign-in lives in customers/tests/test_login_and_passwords.py.
"""

import base64
import hashlib
import hmac
import json
from datetime import timedelta

import jwt
import pytest
from django.core.cache import cache
from django.conf import settings as django_settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from rest_framework_simplejwt.utils import aware_utcnow

from conftest import STAFF_PASSWORD, client_with_token
from core.authentication import tokens_for_customer, tokens_for_staff

SIGNING_KEY = django_settings.SIMPLE_JWT["SIGNING_KEY"]
ANOTHER_KEY = "an-attacker-key-that-is-not-the-server-key-0123456789"
TOKEN_BODY_KEYS = {"status", "message", "auth_token", "refresh_token", "token_type", "expires_in"}


@pytest.fixture(autouse=True)
def _private_cache(settings):
    # Keeps login rate-limit counters away from other test runs sharing the default file cache.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "auth-tokens"}
    }
    cache.clear()  # a LocMemCache of this name outlives the test otherwise


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_json(value) -> str:
    return b64url(json.dumps(value).encode())


def hs256(signing_input: str, key: str = SIGNING_KEY) -> str:
    return b64url(hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest())


def signed_segments(header_segment: str, payload_segment: str, key: str = SIGNING_KEY) -> str:
    """A token with arbitrary (possibly non-JSON) segments but a correct HS256 signature."""
    signing_input = f"{header_segment}.{payload_segment}"
    return f"{signing_input}.{hs256(signing_input, key)}"


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def encode(claims: dict, key: str = SIGNING_KEY, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


class Principals:
    def __init__(self, customer, staff):
        self.customer, self.staff = customer, staff
        self.customer_refresh = tokens_for_customer(customer)
        self.customer_access = str(self.customer_refresh.access_token)
        self.staff_access = str(tokens_for_staff(staff).access_token)

    @property
    def customer_claims(self) -> dict:
        return claims_of(self.customer_access)

    def customer_claims_with(self, **changes) -> dict:
        claims = {**self.customer_claims, **changes}
        return {key: value for key, value in claims.items() if value is not None}


@pytest.fixture
def principals(customer, staff_user) -> Principals:
    return Principals(customer, staff_user)


def expired_access(p: Principals) -> str:
    token = p.customer_refresh.access_token
    token.set_exp(from_time=aware_utcnow() - timedelta(hours=2), lifetime=timedelta(hours=1))
    return str(token)


def edited_without_resigning(p: Principals) -> str:
    header, _payload, signature = p.customer_access.split(".")
    forged = p.customer_claims_with(role="staff", user_id=p.staff.pk, customer_id=None)
    return f"{header}.{b64url_json(forged)}.{signature}"


def unsigned_alg_none(p: Principals) -> str:
    header = b64url_json({"alg": "none", "typ": "JWT"})
    return f"{header}.{b64url_json(p.customer_claims)}."


def token_with_claims(**changes):
    """A correctly signed customer token with some claims changed (None: removed)."""
    return lambda p: "Bearer " + encode(p.customer_claims_with(**changes))


HS256_HEADER = b64url_json({"alg": "HS256", "typ": "JWT"})

# Authorization header values (None: no header), each of which must be refused with 401.
BAD_AUTHORIZATION = [
    pytest.param(lambda p: None, id="no-header"),
    pytest.param(lambda p: "Bearer", id="bearer-without-token"),
    pytest.param(lambda p: "Bearer   ", id="bearer-and-spaces"),
    pytest.param(lambda p: f"Bearer {p.customer_access} {p.customer_access}", id="two-tokens"),
    pytest.param(lambda p: "Basic dXNlcjpwYXNz", id="other-scheme"),
    pytest.param(lambda p: "Bearer garbage", id="garbage"),
    pytest.param(lambda p: "Bearer t\u00f8ken.\u00e9.\u00ff", id="latin-1-garbage"),
    pytest.param(lambda p: "Bearer %%%.&&&.***", id="segments-not-base64"),
    pytest.param(lambda p: "Bearer " + "a" * 5000, id="very-long"),
    pytest.param(lambda p: "Bearer " + signed_segments(b64url(b"not json"), b64url_json(p.customer_claims)), id="header-not-json"),
    pytest.param(lambda p: "Bearer " + signed_segments(HS256_HEADER, b64url(b"not json")), id="payload-not-json"),
    pytest.param(lambda p: "Bearer " + signed_segments(HS256_HEADER, b64url_json([1, 2])), id="payload-not-an-object"),
    pytest.param(lambda p: "Bearer " + encode(p.customer_claims, key=ANOTHER_KEY), id="signed-with-another-key"),
    pytest.param(lambda p: "Bearer " + p.customer_access[:-4], id="truncated-signature"),
    pytest.param(lambda p: "Bearer " + expired_access(p), id="expired"),
    pytest.param(lambda p: "Bearer " + unsigned_alg_none(p), id="alg-none"),
    pytest.param(
        lambda p: "Bearer " + encode(p.customer_claims, algorithm="HS512"),
        id="unexpected-algorithm",
        marks=pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
    ),
    pytest.param(lambda p: f"Bearer {p.customer_refresh}", id="refresh-token-as-access"),
    pytest.param(
        lambda p: "Bearer " + encode(p.customer_claims_with(role="staff", user_id=p.staff.pk), key=ANOTHER_KEY),
        id="staff-role-forged-with-another-key",
    ),
    pytest.param(lambda p: "Bearer " + edited_without_resigning(p), id="staff-role-edited-without-resigning"),
    # The rest carry a valid signature: only a holder of the key could make them, but they
    # must still be refused cleanly.
    pytest.param(token_with_claims(role="admin"), id="unknown-role"),
    pytest.param(token_with_claims(role=None), id="no-role"),
    pytest.param(token_with_claims(role=["customer"]), id="role-not-a-string"),
    pytest.param(token_with_claims(customer_id=None), id="no-customer-id"),
    pytest.param(token_with_claims(customer_id="abc"), id="customer-id-not-a-number"),
    pytest.param(token_with_claims(customer_id={"pk": 1}), id="customer-id-an-object"),
    pytest.param(token_with_claims(customer_id=2**70), id="customer-id-out-of-range"),
    pytest.param(token_with_claims(token_type=None), id="no-token-type"),
    pytest.param(token_with_claims(exp=None), id="no-exp"),
    pytest.param(token_with_claims(exp="tomorrow"), id="exp-not-a-number"),
    pytest.param(token_with_claims(jti=None), id="no-jti"),
    pytest.param(lambda p: "Bearer " + encode({**p.customer_claims, "nbf": p.customer_claims["exp"]}), id="not-valid-yet"),
]


def assert_unauthorized(response):
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"], str)
    # The message is a sentence for people, not a Python repr of an error structure.
    assert "ErrorDetail" not in body["error"] and not body["error"].startswith("{")


@pytest.mark.parametrize("valid", ["customer_access", "staff_access"])
def test_valid_tokens_open_the_probe_endpoint(principals, valid):
    response = client_with_token(getattr(principals, valid)).get(f"/customers/{principals.customer.pk}")

    assert response.status_code == 200


@pytest.mark.parametrize("authorization", BAD_AUTHORIZATION)
def test_bad_token_is_401(principals, authorization):
    header = authorization(principals)
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(f"/customers/{principals.customer.pk}")

    assert_unauthorized(response)


@pytest.mark.parametrize(
    "path", ["/inventory", "/customers/{customer}", "/tickets/my-tickets", "/mechanics", "/tickets"]
)
def test_bad_token_is_401_on_every_kind_of_endpoint(principals, path):
    # Decision: a token that is present but invalid is refused even where anonymous callers
    # are welcome (GET /inventory), rather than silently treated as anonymous.
    client = APIClient(HTTP_AUTHORIZATION="Bearer " + encode(principals.customer_claims, key=ANOTHER_KEY))

    response = client.get(path.format(customer=principals.customer.pk))

    assert_unauthorized(response)


# --- the principal behind a well-signed token --------------------------------------------------


def test_token_of_deleted_customer_is_401(principals):
    client = client_with_token(principals.customer_access)
    principals.customer.delete()

    assert_unauthorized(client.get("/tickets/my-tickets"))


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"is_active": False}, id="deactivated"),
        pytest.param({"is_staff": False}, id="no-longer-staff"),
    ],
)
def test_token_of_staff_user_who_lost_access_is_401(principals, change):
    client = client_with_token(principals.staff_access)
    assert client.get("/mechanics").status_code == 200
    for field, value in change.items():
        setattr(principals.staff, field, value)
    principals.staff.save()

    assert_unauthorized(client.get("/mechanics"))


def test_token_of_deleted_staff_user_is_401(principals):
    client = client_with_token(principals.staff_access)
    principals.staff.delete()

    assert_unauthorized(client.get("/mechanics"))


def test_customer_token_never_acts_as_a_staff_user_with_the_same_id(customer, make_staff):
    # Customer and User ids come from different tables and can coincide.
    make_staff(id=customer.pk)
    client = client_with_token(str(tokens_for_customer(customer).access_token))

    assert client.get("/mechanics").status_code == 403


# --- lifetime, with the clock injected ----------------------------------------------------------


def test_access_token_lives_for_the_configured_lifetime(principals):
    claims = principals.customer_claims

    assert claims["exp"] - claims["iat"] == django_settings.JWT_ACCESS_TOKEN_LIFETIME == 3600


@pytest.mark.parametrize(("minutes_later", "status"), [(0, 200), (59, 200), (61, 401)])
def test_access_token_expires_after_an_hour(principals, monkeypatch, minutes_later, status):
    issued_at = aware_utcnow()
    monkeypatch.setattr(
        "rest_framework_simplejwt.tokens.aware_utcnow", lambda: issued_at + timedelta(minutes=minutes_later)
    )

    response = client_with_token(principals.customer_access).get("/tickets/my-tickets")

    assert response.status_code == status


# --- POST /auth/login (staff) ---------------------------------------------------------------------


def test_staff_login_returns_a_working_staff_token(api_client, staff_user):
    response = api_client.post("/auth/login", {"username": "staff", "password": STAFF_PASSWORD}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == TOKEN_BODY_KEYS
    assert (body["status"], body["token_type"], body["expires_in"]) == ("success", "Bearer", 3600)
    assert claims_of(body["auth_token"])["role"] == "staff"
    assert client_with_token(body["auth_token"]).get("/mechanics").status_code == 200


@pytest.mark.parametrize("path", ["/auth/login", "/auth/login/"])
def test_staff_login_works_with_and_without_trailing_slash(api_client, staff_user, path):
    response = api_client.post(path, {"username": "staff", "password": STAFF_PASSWORD}, format="json")

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("username", "password", "user_fields"),
    [
        pytest.param("staff", "wrong-password", {"is_staff": True}, id="wrong-password"),
        pytest.param("nobody", STAFF_PASSWORD, {"is_staff": True}, id="unknown-user"),
        pytest.param("staff", STAFF_PASSWORD, {"is_staff": False}, id="not-staff"),
        pytest.param("staff", STAFF_PASSWORD, {"is_staff": True, "is_active": False}, id="inactive-staff"),
    ],
)
def test_staff_login_refusals_are_401(api_client, django_user_model, username, password, user_fields):
    django_user_model.objects.create_user(username="staff", password=STAFF_PASSWORD, **user_fields)

    response = api_client.post("/auth/login", {"username": username, "password": password}, format="json")

    assert_unauthorized(response)
    assert response.json() == {"error": "Invalid username or password"}


def test_customer_credentials_do_not_open_staff_login(api_client, customer):
    from conftest import CUSTOMER_PASSWORD

    response = api_client.post("/auth/login", {"username": customer.email, "password": CUSTOMER_PASSWORD}, format="json")

    assert_unauthorized(response)


@pytest.mark.parametrize(
    ("body", "field"),
    [({"password": STAFF_PASSWORD}, "username"), ({"username": "staff"}, "password"), ({"username": ["x"], "password": "y"}, "username")],
)
def test_staff_login_with_missing_or_malformed_fields_is_400(api_client, staff_user, body, field):
    response = api_client.post("/auth/login", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_sign_in_endpoints_ignore_a_stale_authorization_header(staff_user):
    # Decision: a client holding an expired or broken token must still be able to sign in again.
    client = APIClient(HTTP_AUTHORIZATION="Bearer expired.or.broken")

    response = client.post("/auth/login", {"username": "staff", "password": STAFF_PASSWORD}, format="json")

    assert response.status_code == 200


# --- POST /auth/refresh ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["customer", "staff"])
def test_refresh_returns_a_new_working_access_token(api_client, principals, kind):
    refresh = principals.customer_refresh if kind == "customer" else tokens_for_staff(principals.staff)

    response = api_client.post("/auth/refresh", {"refresh_token": str(refresh)}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"auth_token", "token_type", "expires_in"}
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    assert claims_of(body["auth_token"])["role"] == kind
    probe = "/tickets/my-tickets" if kind == "customer" else "/mechanics"
    assert client_with_token(body["auth_token"]).get(probe).status_code == 200


def expired_refresh(p: Principals) -> str:
    token = RefreshToken(str(p.customer_refresh))
    token.set_exp(from_time=aware_utcnow() - timedelta(days=3), lifetime=timedelta(days=1))
    return str(token)


@pytest.mark.parametrize(
    "refresh_token",
    [
        pytest.param(lambda p: p.customer_access, id="access-token"),
        pytest.param(lambda p: "garbage", id="garbage"),
        pytest.param(lambda p: expired_refresh(p), id="expired"),
        pytest.param(lambda p: encode(claims_of(str(p.customer_refresh)), key=ANOTHER_KEY), id="another-key"),
        pytest.param(
            lambda p: encode({**claims_of(str(p.customer_refresh)), "role": "staff", "user_id": p.staff.pk}, key=ANOTHER_KEY),
            id="forged-staff-role",
        ),
        pytest.param(lambda p: encode({**claims_of(str(p.customer_refresh)), "role": "admin"}), id="unknown-role"),
        pytest.param(lambda p: encode({**claims_of(str(p.customer_refresh)), "customer_id": "x"}), id="customer-id-not-a-number"),
    ],
)
def test_bad_refresh_token_is_401(api_client, principals, refresh_token):
    response = api_client.post("/auth/refresh", {"refresh_token": refresh_token(principals)}, format="json")

    assert_unauthorized(response)


def test_refresh_for_a_deleted_customer_is_401(api_client, principals):
    refresh = str(principals.customer_refresh)
    principals.customer.delete()

    assert_unauthorized(api_client.post("/auth/refresh", {"refresh_token": refresh}, format="json"))


def test_refresh_for_a_user_no_longer_staff_is_401(api_client, principals):
    refresh = str(tokens_for_staff(principals.staff))
    principals.staff.is_staff = False
    principals.staff.save()

    assert_unauthorized(api_client.post("/auth/refresh", {"refresh_token": refresh}, format="json"))


@pytest.mark.parametrize("body", [{}, {"refresh": "x"}, {"refresh_token": ""}, {"refresh_token": None}, {"refresh_token": ["x"]}])
def test_refresh_without_a_usable_refresh_token_field_is_400(api_client, body):
    response = api_client.post("/auth/refresh", body, format="json")

    assert response.status_code == 400
    assert "refresh_token" in response.json()["fields"]


def test_refreshed_access_token_is_an_access_token(api_client, principals):
    response = api_client.post("/auth/refresh", {"refresh_token": str(principals.customer_refresh)}, format="json")

    token = AccessToken(response.json()["auth_token"])
    assert token["token_type"] == "access"
    assert token["customer_id"] == principals.customer.pk
