"""Customer sign-in (`POST /customers/login`), its rate limits, and how passwords are kept."""

import jwt
import pytest
from django.core.cache import cache
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from rest_framework.test import APIClient

from conftest import CUSTOMER_PASSWORD, STAFF_PASSWORD, client_with_token
from customers import services
from customers.models import Customer

LOGIN_BODY_KEYS = {"status", "message", "auth_token", "refresh_token", "token_type", "expires_in"}
INVALID_LOGIN = {"error": "Invalid email or password"}
NEW_PASSWORD = "Fresh-Lantern-77"


@pytest.fixture(autouse=True)
def _private_cache(settings):
    # Rate-limit counters and cached reads stay away from other runs sharing the file cache.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "customer-login"}
    }
    cache.clear()  # a LocMemCache of this name outlives the test otherwise


def login(client: APIClient, email: str, password: str = CUSTOMER_PASSWORD, address: str = "203.0.113.1", **extra):
    return client.post(
        "/customers/login", {"email": email, "password": password}, format="json", REMOTE_ADDR=address, **extra
    )


# --- signing in ------------------------------------------------------------------------------


def test_login_returns_exactly_the_token_body(api_client, customer):
    response = login(api_client, customer.email)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == LOGIN_BODY_KEYS
    assert body["status"] == "success"
    assert isinstance(body["message"], str) and body["message"]
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    refresh_claims = jwt.decode(body["refresh_token"], options={"verify_signature": False})
    assert (refresh_claims["token_type"], refresh_claims["customer_id"]) == ("refresh", customer.pk)


def test_login_token_opens_the_customers_own_record(api_client, customer):
    token = login(api_client, customer.email).json()["auth_token"]

    response = client_with_token(token).get(f"/customers/{customer.pk}")

    assert response.status_code == 200
    assert response.json()["email"] == customer.email


@pytest.mark.parametrize("path", ["/customers/login", "/customers/login/"])
def test_login_works_with_and_without_trailing_slash(api_client, customer, path):
    response = api_client.post(path, {"email": customer.email, "password": CUSTOMER_PASSWORD}, format="json")

    assert response.status_code == 200


def test_wrong_password_and_unknown_email_are_indistinguishable(api_client, customer):
    wrong_password = login(api_client, customer.email, "Not-The-Password-1")
    unknown_email = login(api_client, "nobody@example.com", CUSTOMER_PASSWORD)

    for response in (wrong_password, unknown_email):
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response.json() == INVALID_LOGIN
    assert wrong_password.content == unknown_email.content


@pytest.mark.parametrize("typed", ["CUSTOMER1@EXAMPLE.COM", "Customer1@Example.com", "  customer1@example.com  "])
def test_login_email_ignores_case_and_surrounding_spaces(api_client, make_customer, typed):
    make_customer(email="customer1@example.com")

    assert login(api_client, typed).status_code == 200


def test_customer_signed_up_with_mixed_case_email_logs_in_with_any_case(api_client, db):
    signup = {"name": "Mixed Case", "email": "Mixed.Case@Example.COM", "phone": "555-0100", "password": CUSTOMER_PASSWORD}
    assert api_client.post("/customers", signup, format="json").status_code == 201

    assert login(api_client, "mixed.case@example.com").status_code == 200
    assert login(api_client, "MIXED.CASE@EXAMPLE.COM").status_code == 200


def test_password_is_case_sensitive(api_client, customer):
    response = login(api_client, customer.email, CUSTOMER_PASSWORD.upper())

    assert response.status_code == 401
    assert response.json() == INVALID_LOGIN


def test_staff_credentials_do_not_open_customer_login(api_client, staff_user):
    response = login(api_client, "staff", STAFF_PASSWORD)

    assert response.status_code == 401
    assert response.json() == INVALID_LOGIN


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": CUSTOMER_PASSWORD}, "email"),
        ({"email": "customer1@example.com"}, "password"),
        ({"email": ["customer1@example.com"], "password": CUSTOMER_PASSWORD}, "email"),
        ({"email": "customer1@example.com", "password": None}, "password"),
        ({"email": "customer1@example.com", "password": "x" * 129}, "password"),
    ],
)
def test_login_with_missing_or_malformed_fields_is_400(api_client, customer, body, field):
    response = api_client.post("/customers/login", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]


# --- rate limits on sign-in --------------------------------------------------------------------


class FrozenClock:
    """Stands in for the `time` module inside django-ratelimit, so windows move only when told."""

    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture(params=["locmem", "redis"])
def login_limits(request, monkeypatch):
    """A frozen rate-limit clock, on a process-local cache and on the shared Redis cache."""
    if request.param == "redis":
        request.getfixturevalue("redis_cache")
    clock = FrozenClock(1_900_000_000.0)
    monkeypatch.setattr("django_ratelimit.core.time", clock)
    return clock


def assert_rate_limited(response):
    assert response.status_code == 429, response.content
    assert 1 <= int(response["Retry-After"]) <= 60
    body = response.json()
    assert set(body) == {"error"} and isinstance(body["error"], str)


def test_eleventh_attempt_from_one_address_is_429(api_client, customer, login_limits):
    for _ in range(10):
        assert login(api_client, customer.email, "Wrong-Guess-1").status_code == 401

    # Even the right password: the limit is decided before the credentials are checked.
    assert_rate_limited(login(api_client, customer.email))


def test_address_limit_counts_attempts_on_different_accounts(api_client, make_customer, login_limits):
    victim = make_customer()
    for n in range(10):
        assert login(api_client, f"guess{n}@example.com", "Wrong-Guess-1").status_code == 401

    assert_rate_limited(login(api_client, victim.email))


def test_account_limit_holds_across_client_addresses(api_client, make_customer, login_limits):
    victim, bystander = make_customer(), make_customer()
    for n in range(10):
        assert login(api_client, victim.email, "Wrong-Guess-1", address=f"198.51.100.{n}").status_code == 401

    assert_rate_limited(login(api_client, victim.email.upper(), address="198.51.100.200"))
    assert login(api_client, bystander.email, address="198.51.100.201").status_code == 200


def test_forwarded_for_header_does_not_reset_the_address_limit(api_client, customer, login_limits):
    # With no trusted proxy configured, X-Forwarded-For is the client's own claim.
    for n in range(10):
        login(api_client, f"guess{n}@example.com", "Wrong-Guess-1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")

    assert_rate_limited(login(api_client, customer.email, HTTP_X_FORWARDED_FOR="192.0.2.99"))


def test_limit_lifts_when_the_minute_is_over(api_client, customer, login_limits):
    for _ in range(11):
        login(api_client, customer.email, "Wrong-Guess-1")
    assert_rate_limited(login(api_client, customer.email))

    login_limits.now += 60

    assert login(api_client, customer.email).status_code == 200


def test_staff_login_is_rate_limited_too(api_client, staff_user, login_limits):
    for _ in range(10):
        response = api_client.post("/auth/login", {"username": "staff", "password": "Wrong-1"}, format="json")
        assert response.status_code == 401

    response = api_client.post("/auth/login", {"username": "staff", "password": STAFF_PASSWORD}, format="json")
    assert_rate_limited(response)


def test_both_login_endpoints_share_one_budget_per_address(api_client, customer, staff_user, login_limits):
    for _ in range(10):
        login(api_client, customer.email, "Wrong-Guess-1")

    response = api_client.post(
        "/auth/login", {"username": "staff", "password": STAFF_PASSWORD}, format="json", REMOTE_ADDR="203.0.113.1"
    )
    assert_rate_limited(response)


def test_login_rate_comes_from_settings(api_client, customer, login_limits, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "login": "3/minute"}
    for _ in range(3):
        assert login(api_client, customer.email, "Wrong-Guess-1").status_code == 401

    assert_rate_limited(login(api_client, customer.email))


# --- passwords at rest and on the wire -----------------------------------------------------------

SIGNUP = {"name": "Pat Doe", "email": "pat.doe@example.com", "phone": "555-0142", "password": CUSTOMER_PASSWORD}


def test_signup_stores_a_hash_not_the_password(api_client, db):
    response = api_client.post("/customers", SIGNUP, format="json")

    assert response.status_code == 201
    stored = Customer.objects.get(pk=response.json()["id"]).password
    assert stored != CUSTOMER_PASSWORD
    assert CUSTOMER_PASSWORD not in stored
    assert identify_hasher(stored).algorithm
    assert check_password(CUSTOMER_PASSWORD, stored)


def test_signup_with_production_hashers_stores_argon2(api_client, db, settings):
    settings.PASSWORD_HASHERS = [h for h in settings.PASSWORD_HASHERS if "MD5" not in h]

    response = api_client.post("/customers", SIGNUP, format="json")

    assert response.status_code == 201
    assert Customer.objects.get(pk=response.json()["id"]).password.startswith("argon2")


def test_login_upgrades_an_older_hash_to_the_preferred_hasher(api_client, customer, settings):
    settings.PASSWORD_HASHERS = [h for h in settings.PASSWORD_HASHERS if "MD5" not in h]
    customer.password = make_password(CUSTOMER_PASSWORD, hasher="pbkdf2_sha256")
    customer.save()

    assert login(api_client, customer.email).status_code == 200

    customer.refresh_from_db()
    assert customer.password.startswith("argon2")


def _assert_no_password(response, *secrets):
    def keys(value):
        if isinstance(value, dict):
            return set(value) | {k for v in value.values() for k in keys(v)}
        if isinstance(value, list):
            return {k for v in value for k in keys(v)}
        return set()

    assert "password" not in keys(response.json())
    for secret in secrets:
        assert secret not in response.content.decode()


@pytest.mark.parametrize(
    ("caller", "method", "path", "body"),
    [
        ("anonymous", "post", "/customers", SIGNUP),
        ("customer", "get", "/customers/{id}", None),
        ("staff", "get", "/customers/{id}", None),
        ("staff", "get", "/customers", None),
        ("staff", "get", "/customers?page=1&per_page=10", None),
        ("customer", "put", "/customers/{id}", {**SIGNUP, "email": "pat.new@example.com", "password": NEW_PASSWORD}),
        ("customer", "patch", "/customers/{id}", {"password": NEW_PASSWORD}),
        ("staff", "patch", "/customers/{id}", {"name": "Renamed"}),
    ],
)
def test_password_is_never_in_a_response(customer, client_for, staff_user, caller, method, path, body):
    client = {"anonymous": APIClient(), "customer": client_for(customer), "staff": client_for(staff_user)}[caller]

    response = getattr(client, method)(path.format(id=customer.pk), body, format="json")

    assert response.status_code in (200, 201)
    _assert_no_password(response, CUSTOMER_PASSWORD, NEW_PASSWORD, customer.password)


WEAK_PASSWORDS = [
    pytest.param("Ab1!xyz", id="too-short"),
    pytest.param("password1", id="common"),
    pytest.param("83749201", id="numeric"),
    pytest.param("pat.doe@example.com", id="same-as-email"),
    pytest.param("", id="empty"),
]


@pytest.mark.parametrize("password", WEAK_PASSWORDS)
def test_signup_rejects_weak_password(api_client, db, password):
    response = api_client.post("/customers", {**SIGNUP, "password": password}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"]["password"]
    assert not Customer.objects.filter(email=SIGNUP["email"]).exists()


def test_signup_without_password_is_400(api_client, db):
    body = {key: value for key, value in SIGNUP.items() if key != "password"}

    response = api_client.post("/customers", body, format="json")

    assert response.status_code == 400
    assert "password" in response.json()["fields"]


@pytest.mark.parametrize("password", WEAK_PASSWORDS)
def test_password_change_to_a_weak_password_is_refused(api_client, make_customer, client_for, password):
    customer = make_customer(email="pat.doe@example.com")

    response = client_for(customer).patch(f"/customers/{customer.pk}", {"password": password}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"]["password"]
    assert login(api_client, customer.email).status_code == 200


@pytest.mark.parametrize(
    ("caller", "method", "extra"),
    [
        ("customer", "patch", {}),
        ("customer", "put", {"name": "Pat Doe", "phone": "555-0142"}),
        ("staff", "patch", {}),
    ],
)
def test_after_password_change_only_the_new_password_works(
    api_client, customer, staff_user, client_for, caller, method, extra
):
    client = client_for(customer if caller == "customer" else staff_user)
    body = {**extra, "password": NEW_PASSWORD}
    if method == "put":
        body["email"] = customer.email

    response = getattr(client, method)(f"/customers/{customer.pk}", body, format="json")

    assert response.status_code == 200
    assert login(api_client, customer.email, NEW_PASSWORD).status_code == 200
    old = login(api_client, customer.email, CUSTOMER_PASSWORD)
    assert old.status_code == 401
    assert old.json() == INVALID_LOGIN


def test_update_without_password_keeps_the_password(api_client, customer, client_for):
    response = client_for(customer).patch(f"/customers/{customer.pk}", {"phone": "555-0199"}, format="json")

    assert response.status_code == 200
    assert login(api_client, customer.email).status_code == 200


# --- no account enumeration through timing -------------------------------------------------------


class HasherSpy:
    def __init__(self, real):
        self.real, self.calls = real, []

    def __call__(self, password, *args, **kwargs):
        self.calls.append(password)
        return self.real(password, *args, **kwargs)


def test_authenticate_unknown_email_still_runs_the_hasher(db, monkeypatch):
    spy = HasherSpy(make_password)
    monkeypatch.setattr(services, "make_password", spy)

    assert services.customer_authenticate("nobody@example.com", "Some-Guess-9") is None
    assert spy.calls == ["Some-Guess-9"]


def test_authenticate_known_email_checks_the_stored_hash(customer, monkeypatch):
    import customers.models

    spy = HasherSpy(check_password)
    monkeypatch.setattr(customers.models, "check_password", spy)

    assert services.customer_authenticate(customer.email, "Some-Guess-9") is None
    assert services.customer_authenticate(customer.email.upper(), CUSTOMER_PASSWORD) == customer
    assert spy.calls == ["Some-Guess-9", CUSTOMER_PASSWORD]


def test_login_endpoint_hashes_for_an_unknown_email(api_client, db, monkeypatch):
    spy = HasherSpy(make_password)
    monkeypatch.setattr(services, "make_password", spy)

    response = login(api_client, "nobody@example.com", "Some-Guess-9")

    assert response.status_code == 401
    assert spy.calls == ["Some-Guess-9"]


def test_staff_login_hashes_for_an_unknown_username(api_client, db, monkeypatch):
    import django.contrib.auth.base_user

    spy = HasherSpy(make_password)
    monkeypatch.setattr(django.contrib.auth.base_user, "make_password", spy)

    response = api_client.post("/auth/login", {"username": "nobody", "password": "Some-Guess-9"}, format="json")

    assert response.status_code == 401
    assert spy.calls == ["Some-Guess-9"]
