"""Sign-in, refresh, sign-out and bearer tokens as a client sees them (accounts/views.py,
accounts/authentication.py). The sign-in limits are in test_sign_in_limits.py."""

import base64
import json
from datetime import timedelta

import jwt
import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.utils import aware_utcnow

from accounts.tokens import tokens_for_customer, tokens_for_staff
from conftest import CUSTOMER_PASSWORD, STAFF_PASSWORD, access_token_for, client_with_token

SIGNING_KEY = django_settings.SIMPLE_JWT["SIGNING_KEY"]
ANOTHER_KEY = "an-attacker-key-that-is-not-the-server-key-0123456789"
SIGN_IN_KEYS = {"status", "message", "auth_token", "refresh_token", "token_type", "expires_in"}
REFRESH_KEYS = {"auth_token", "refresh_token", "token_type", "expires_in"}
ADDRESS = "203.0.113.1"
# Reachable by both kinds of token and makes no query of its own beyond the caller's.
CUSTOMER_PROBE, STAFF_PROBE = "/tickets/my-tickets", "/mechanics"


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def encode(claims: dict, key: str = SIGNING_KEY) -> str:
    return jwt.encode(claims, key, algorithm="HS256")


def customer_login(client, email, password=CUSTOMER_PASSWORD, address=ADDRESS):
    return client.post("/customers/login", {"email": email, "password": password}, REMOTE_ADDR=address)


def staff_login(client, username, password=STAFF_PASSWORD, address=ADDRESS):
    return client.post("/auth/login", {"username": username, "password": password}, REMOTE_ADDR=address)


def refresh(client, token: str):
    return client.post("/auth/refresh", {"refresh_token": token})


def assert_unauthorized(response) -> None:
    """401 as the contract has it: WWW-Authenticate: Bearer, and one sentence for people."""
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert set(body) == {"error"}, body
    message = body["error"]
    assert isinstance(message, str) and message[:1].isupper(), message
    assert "\n" not in message and "ErrorDetail" not in message and "{" not in message


def assert_no_store(response) -> None:
    assert "no-store" in response["Cache-Control"]


# --- sign-in ------------------------------------------------------------------------------------


def test_customer_login_returns_working_tokens(api_client, customer):
    response = customer_login(api_client, customer.email)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == SIGN_IN_KEYS
    assert (body["status"], body["token_type"], body["expires_in"]) == ("success", "Bearer", 3600)
    access, refresh_claims = claims_of(body["auth_token"]), claims_of(body["refresh_token"])
    assert (access["token_type"], access["role"], access["customer_id"]) == ("access", "customer", str(customer.pk))
    assert "user_id" not in access
    # The pair's times count from the refresh token's issue (the access token's own "iat" is the
    # moment it was made, which may fall in the next second).
    assert access["exp"] - refresh_claims["iat"] == 3600
    assert refresh_claims["token_type"] == "refresh"
    assert client_with_token(body["auth_token"]).get(CUSTOMER_PROBE).status_code == 200
    assert_no_store(response)


def test_staff_login_returns_working_tokens(api_client, staff_user):
    response = staff_login(api_client, "staff")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == SIGN_IN_KEYS
    assert claims_of(body["auth_token"])["role"] == "staff"
    assert client_with_token(body["auth_token"]).get(STAFF_PROBE).status_code == 200
    assert_no_store(response)


@pytest.mark.parametrize("path", ["/customers/login", "/customers/login/"])
def test_login_works_with_and_without_trailing_slash(api_client, customer, path):
    assert api_client.post(path, {"email": customer.email, "password": CUSTOMER_PASSWORD}).status_code == 200


@pytest.mark.parametrize(
    "typed", ["ANN@EXAMPLE.COM", "  Ann@Example.com ", "an\u200bn@example.com", "\uff41nn@example.com"]
)
def test_login_email_is_normalised_like_sign_up(api_client, make_customer, typed):
    make_customer(email="ann@example.com")

    assert customer_login(api_client, typed).status_code == 200


def test_wrong_password_and_unknown_email_get_the_same_answer(api_client, customer):
    wrong_password = customer_login(api_client, customer.email, "Not-The-Password-1")
    unknown_email = customer_login(api_client, "nobody@example.com")

    for response in (wrong_password, unknown_email):
        assert_unauthorized(response)
        assert response.json() == {"error": "Invalid email or password"}


@pytest.mark.parametrize(
    ("username", "password", "fields"),
    [
        pytest.param("staff", "Wrong-Password-1", {}, id="wrong-password"),
        pytest.param("nobody", STAFF_PASSWORD, {}, id="unknown-user"),
        pytest.param("staff", STAFF_PASSWORD, {"is_staff": False}, id="not-staff"),
        pytest.param("staff", STAFF_PASSWORD, {"is_active": False}, id="inactive"),
    ],
)
def test_staff_login_refusals_are_401(api_client, make_staff, username, password, fields):
    make_staff(username="staff", **fields)

    response = staff_login(api_client, username, password)

    assert_unauthorized(response)
    assert response.json() == {"error": "Invalid username or password"}


def test_a_non_staff_users_right_password_issues_no_token_at_all(api_client, make_staff):
    """is_staff is checked before any token exists: no outstanding-token row (a refresh token
    the server lists) is made for an account that may not have one."""
    make_staff(username="clerk", is_staff=False)

    response = staff_login(api_client, "clerk")

    assert_unauthorized(response)
    assert not OutstandingToken.objects.exists()
    # A staff user's sign-in does make one: the check above can fail.
    make_staff(username="staff")
    assert staff_login(api_client, "staff").status_code == 200
    assert OutstandingToken.objects.count() == 1


def test_customer_credentials_do_not_open_staff_login_and_back(api_client, customer, staff_user):
    assert_unauthorized(staff_login(api_client, customer.email, CUSTOMER_PASSWORD))
    assert_unauthorized(customer_login(api_client, "staff", STAFF_PASSWORD))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": CUSTOMER_PASSWORD}, "email"),
        ({"email": "a@example.com"}, "password"),
        ({"email": ["a@example.com"], "password": CUSTOMER_PASSWORD}, "email"),
        ({"email": "a@example.com", "password": "x" * 129}, "password"),
    ],
)
def test_login_with_missing_or_malformed_fields_is_400(api_client, db, body, field):
    response = api_client.post("/customers/login", body)

    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_login_ignores_a_stale_authorization_header(staff_user):
    client = APIClient(HTTP_AUTHORIZATION="Bearer expired.or.broken")

    assert staff_login(client, "staff").status_code == 200


# --- refresh (rotating) and logout --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["customer", "staff"])
def test_refresh_rotates_and_spends_the_old_refresh_token(api_client, customer, staff_user, kind):
    old = str(tokens_for_customer(customer) if kind == "customer" else tokens_for_staff(staff_user))

    response = refresh(api_client, old)

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == REFRESH_KEYS
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    assert claims_of(body["auth_token"])["role"] == kind
    assert claims_of(body["auth_token"])["token_type"] == "access"
    assert body["refresh_token"] != old
    assert_no_store(response)
    probe = CUSTOMER_PROBE if kind == "customer" else STAFF_PROBE
    assert client_with_token(body["auth_token"]).get(probe).status_code == 200
    # The old refresh token is spent; the new one works once.
    assert_unauthorized(refresh(api_client, old))
    assert refresh(api_client, body["refresh_token"]).status_code == 200


@pytest.mark.parametrize(("kind", "path"), [("customer", "/customers/logout"), ("staff", "/auth/logout/")])
def test_logout_revokes_the_refresh_token(api_client, customer, staff_user, kind, path):
    token = str(tokens_for_customer(customer) if kind == "customer" else tokens_for_staff(staff_user))

    response = api_client.post(path, {"refresh_token": token})

    assert response.status_code == 204
    assert response.content == b""
    assert_unauthorized(refresh(api_client, token))
    assert_unauthorized(api_client.post(path, {"refresh_token": token}))  # already spent


@pytest.mark.parametrize("path", ["/auth/refresh", "/auth/logout"])
@pytest.mark.parametrize("body", [{}, {"refresh": "x"}, {"refresh_token": ""}, {"refresh_token": ["x"]}])
def test_refresh_and_logout_without_a_refresh_token_are_400(api_client, db, path, body):
    response = api_client.post(path, body)

    assert response.status_code == 400
    assert "refresh_token" in response.json()["fields"]


def expired_refresh(customer, staff) -> str:
    token = tokens_for_customer(customer)
    token.set_exp(from_time=aware_utcnow() - timedelta(days=3), lifetime=timedelta(days=1))
    return str(token)


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda c, s: access_token_for(c), id="access-token"),
        pytest.param(lambda c, s: "garbage", id="garbage"),
        pytest.param(expired_refresh, id="expired"),
        pytest.param(lambda c, s: encode(claims_of(str(tokens_for_customer(c))), ANOTHER_KEY), id="another-key"),
        pytest.param(
            lambda c, s: encode({**claims_of(str(tokens_for_customer(c))), "role": "staff", "user_id": s.pk}),
            id="customer-refresh-relabelled-staff",
        ),
    ],
)
def test_bad_refresh_token_is_401(api_client, customer, staff_user, make_token):
    assert_unauthorized(refresh(api_client, make_token(customer, staff_user)))


def test_refresh_for_a_deleted_or_demoted_account_is_401(api_client, customer, staff_user):
    customer_refresh, staff_refresh = str(tokens_for_customer(customer)), str(tokens_for_staff(staff_user))
    customer.delete()
    staff_user.is_staff = False
    staff_user.save()

    assert_unauthorized(refresh(api_client, customer_refresh))
    assert_unauthorized(refresh(api_client, staff_refresh))


# --- bearer tokens ------------------------------------------------------------------------------


def b64url_json(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def expired_access(customer, staff) -> str:
    token = tokens_for_customer(customer).access_token
    token.set_exp(from_time=aware_utcnow() - timedelta(hours=2), lifetime=timedelta(hours=1))
    return f"Bearer {token}"


def edited_without_resigning(customer, staff) -> str:
    header, _payload, signature = access_token_for(customer).split(".")
    forged = {**claims_of(access_token_for(customer)), "role": "staff", "user_id": staff.pk}
    return f"Bearer {header}.{b64url_json(forged)}.{signature}"


def with_claims(**changes):
    """A correctly signed customer access token with some claims changed (None: removed; a
    callable: computed from the customer). Only a holder of the key could make these; they must
    still be refused cleanly."""

    def make(customer, staff) -> str:
        changed = {k: v(customer) if callable(v) else v for k, v in changes.items()}
        claims = {**claims_of(access_token_for(customer)), **changed}
        return "Bearer " + encode({k: v for k, v in claims.items() if v is not None})

    return make


BAD_AUTHORIZATION = [
    pytest.param(lambda c, s: None, id="no-header"),
    pytest.param(lambda c, s: "Bearer", id="scheme-without-token"),
    pytest.param(lambda c, s: f"Bearer {access_token_for(c)} extra", id="two-values"),
    pytest.param(lambda c, s: "Basic dXNlcjpwYXNz", id="other-scheme"),
    pytest.param(lambda c, s: "Bearer garbage", id="garbage"),
    pytest.param(lambda c, s: "Bearer " + "a" * 5000, id="very-long"),
    pytest.param(lambda c, s: "Bearer " + access_token_for(c)[:-4], id="truncated-signature"),
    pytest.param(lambda c, s: "Bearer " + encode(claims_of(access_token_for(c)), ANOTHER_KEY), id="another-key"),
    pytest.param(expired_access, id="expired"),
    pytest.param(lambda c, s: f"Bearer {tokens_for_customer(c)}", id="refresh-token-as-access"),
    pytest.param(edited_without_resigning, id="role-edited-without-resigning"),
    pytest.param(with_claims(role="admin"), id="unknown-role"),
    pytest.param(with_claims(role=None), id="no-role"),
    pytest.param(with_claims(customer_id=None), id="no-customer-id"),
    pytest.param(with_claims(customer_id="abc"), id="customer-id-not-a-number"),
    pytest.param(with_claims(customer_id=2**70), id="customer-id-out-of-range"),
    pytest.param(with_claims(customer_id=lambda c: {"pk": c.pk}), id="customer-id-an-object"),
]


@pytest.mark.parametrize("authorization", BAD_AUTHORIZATION)
def test_bad_authorization_is_a_one_sentence_401(customer, staff_user, authorization):
    header = authorization(customer, staff_user)
    client = APIClient() if header is None else APIClient(HTTP_AUTHORIZATION=header)

    assert_unauthorized(client.get(f"/customers/{customer.pk}"))


@pytest.mark.parametrize("claim", ["01", " 1", "1\n", "+1", "1.0", 1.0, True, "\uff11", "\u0661", [1]])
def test_only_the_id_as_the_server_writes_it_names_a_customer(make_customer, claim):
    """Each of these names customer 1 under int(), but none is what the server issues, and a
    save of customer 1 would not clear a cache entry made under it."""
    customer = make_customer(id=1)
    assert (
        client_with_token(encode({**claims_of(access_token_for(customer)), "customer_id": "1"}))
        .get(CUSTOMER_PROBE)
        .status_code
        == 200
    )

    token = encode({**claims_of(access_token_for(customer)), "customer_id": claim})

    assert_unauthorized(client_with_token(token).get(CUSTOMER_PROBE))


def test_a_bad_token_is_401_even_where_anonymous_callers_are_welcome(customer):
    client = APIClient(HTTP_AUTHORIZATION="Bearer " + encode(claims_of(access_token_for(customer)), ANOTHER_KEY))

    assert_unauthorized(client.get("/inventory"))


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_the_bearer_scheme_is_case_insensitive(customer, scheme):
    client = APIClient(HTTP_AUTHORIZATION=f"{scheme} {access_token_for(customer)}")

    assert client.get(CUSTOMER_PROBE).status_code == 200


def test_token_of_a_deleted_customer_is_401(customer):
    client = client_with_token(access_token_for(customer))
    assert client.get(CUSTOMER_PROBE).status_code == 200

    customer.delete()

    assert_unauthorized(client.get(CUSTOMER_PROBE))


@pytest.mark.parametrize(
    "lose_access",
    [
        pytest.param(lambda user: setattr(user, "is_active", False) or user.save(), id="deactivated"),
        pytest.param(lambda user: setattr(user, "is_staff", False) or user.save(), id="no-longer-staff"),
        pytest.param(lambda user: user.delete(), id="deleted"),
    ],
)
def test_token_of_a_staff_user_who_lost_access_is_401(staff_user, lose_access):
    client = client_with_token(access_token_for(staff_user))
    assert client.get(STAFF_PROBE).status_code == 200

    lose_access(staff_user)

    assert_unauthorized(client.get(STAFF_PROBE))


def test_customer_token_never_acts_as_the_staff_user_with_the_same_id(customer, make_staff):
    # Customer and User ids come from different tables and can coincide.
    make_staff(id=customer.pk)
    client = client_with_token(access_token_for(customer))

    assert client.get(STAFF_PROBE).status_code == 403
    assert client.get("/customers").status_code == 403


@pytest.mark.parametrize(("minutes_later", "status"), [(59, 200), (61, 401)])
def test_access_token_lives_one_hour(customer, monkeypatch, minutes_later, status):
    token = access_token_for(customer)
    later = aware_utcnow() + timedelta(minutes=minutes_later)
    monkeypatch.setattr("rest_framework_simplejwt.tokens.aware_utcnow", lambda: later)

    assert client_with_token(token).get(CUSTOMER_PROBE).status_code == status
