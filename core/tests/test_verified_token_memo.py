"""The per-process memo of verified tokens (core.authentication.verified_token): it saves the
signature check, never a check that depends on time or on the kind of token. Time is injected
through rest_framework_simplejwt.tokens.aware_utcnow."""

from datetime import datetime, timedelta, timezone

import pytest
from rest_framework_simplejwt.tokens import AccessToken
from rest_framework_simplejwt.utils import aware_utcnow

from django.core.cache import cache

from conftest import client_with_token
from core import authentication
from core.authentication import STAFF_ROLE, principal_cache_key, tokens_for_customer, tokens_for_staff, verified_token
from mechanics.views import MechanicViewSet

pytestmark = pytest.mark.usefixtures("private_file_cache", "throttling_off")


def set_clock(monkeypatch, now: datetime) -> None:
    monkeypatch.setattr("rest_framework_simplejwt.tokens.aware_utcnow", lambda: now)


def expiry_of(raw: str) -> datetime:
    return datetime.fromtimestamp(AccessToken(raw)["exp"], tz=timezone.utc)


def settled(user):
    """Creating a user leaves a tombstone that keeps it out of the principal cache (and so out of
    the middleware's reach) for PRINCIPAL_CACHE_SECONDS; drop it, as its expiry would."""
    cache.delete(principal_cache_key(STAFF_ROLE, user.pk))
    return user


def warm_until_served_without_the_view(client, url: str, monkeypatch) -> None:
    assert [client.get(url)["X-Cache"] for _ in range(2)] == ["miss", "hit"]

    def view_must_not_run(*args, **kwargs):
        raise AssertionError("the view ran")

    monkeypatch.setattr(MechanicViewSet, "retrieve", view_must_not_run)
    assert client.get(url)["X-Cache"] == "hit"


def memoised(raw: str) -> bool:
    return raw.encode() in authentication._verified_tokens


def assert_unauthorized(response) -> None:
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert set(response.json()) == {"error"}


@pytest.mark.parametrize(
    ("seconds_after_exp", "status"), [(-1, 200), (1, 401), (7200, 401)], ids=["just-before", "just-after", "hours-after"]
)
def test_a_memoised_token_is_refused_once_it_has_expired(store, staff_user, monkeypatch, seconds_after_exp, status):
    raw = str(tokens_for_staff(staff_user).access_token)
    client = client_with_token(raw)
    assert client.get("/inventory").status_code == 200
    assert memoised(raw)

    set_clock(monkeypatch, expiry_of(raw) + timedelta(seconds=seconds_after_exp))
    response = client.get("/inventory")

    assert response.status_code == status
    if status == 401:
        assert_unauthorized(response)
        assert not memoised(raw)


def test_an_expired_memoised_token_stays_refused_on_a_warmed_cached_read(store, staff_user, make_mechanic, monkeypatch):
    """The stored-response middleware reads the memo too: expiry must stop it as well."""
    raw = str(tokens_for_staff(settled(staff_user)).access_token)
    client = client_with_token(raw)
    url = f"/mechanics/{make_mechanic(name='Expiry Probe').pk}"
    warm_until_served_without_the_view(client, url, monkeypatch)

    set_clock(monkeypatch, expiry_of(raw) + timedelta(seconds=1))
    response = client.get(url)

    assert_unauthorized(response)
    assert not response.has_header("X-Cache") and b"Expiry Probe" not in response.content


def test_verified_token_checks_expiry_on_every_call(staff_user, monkeypatch):
    raw = str(tokens_for_staff(staff_user).access_token).encode()
    issued = aware_utcnow()
    assert verified_token(raw) is not None

    set_clock(monkeypatch, issued + timedelta(hours=2))
    assert verified_token(raw) is None

    set_clock(monkeypatch, issued)
    assert verified_token(raw) is not None, "an expiry seen once must not refuse the token for good"


@pytest.mark.parametrize("kind", ["customer", "staff"])
def test_a_refresh_token_is_never_a_bearer_token_even_with_its_access_token_memoised(store, customer, staff_user, kind):
    pair = tokens_for_customer(customer) if kind == "customer" else tokens_for_staff(staff_user)
    access, refresh = str(pair.access_token), str(pair)
    assert client_with_token(access).get("/inventory").status_code == 200
    assert memoised(access)

    for _ in range(2):  # a refusal is not memoised into an acceptance either
        assert_unauthorized(client_with_token(refresh).get("/inventory"))
    assert verified_token(refresh.encode()) is None
    assert not memoised(refresh)


def test_a_refresh_token_does_not_open_a_staff_warmed_cached_read(store, staff_user, make_mechanic, monkeypatch):
    pair = tokens_for_staff(settled(staff_user))
    url = f"/mechanics/{make_mechanic().pk}"
    warm_until_served_without_the_view(client_with_token(str(pair.access_token)), url, monkeypatch)

    response = client_with_token(str(pair)).get(url)

    assert_unauthorized(response)
    assert not response.has_header("X-Cache")


def test_a_memoised_token_with_an_altered_signature_is_refused(store, staff_user):
    """The memo is keyed by the whole token: a forgery sharing its header and payload is new."""
    raw = str(tokens_for_staff(staff_user).access_token)
    assert client_with_token(raw).get("/inventory").status_code == 200
    header, payload, signature = raw.split(".")
    middle = len(signature) // 2
    forged_signature = signature[:middle] + ("A" if signature[middle] != "A" else "B") + signature[middle + 1 :]

    assert_unauthorized(client_with_token(f"{header}.{payload}.{forged_signature}").get("/inventory"))
