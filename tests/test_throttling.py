"""Rate limits: every scope's limit, its 429, its window, its buckets, and exactness under
concurrency, with the default file store and with Redis.

Time is injected: `ScopedRateThrottle.timer` for the scoped limits, django-ratelimit's clock for
the login limits, and the file cache's own clock where expiry matters.
"""

import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from conftest import STAFF_PASSWORD
from core.cache import LockedFileBasedCache
from core.throttling import ScopedRateThrottle, caller_identity, client_address, hit, parse_rate
from tickets.models import TicketMechanic

pytestmark = pytest.mark.usefixtures("private_file_cache")

HOUR = 3600
# 100 s into an hour (and 40 s into a minute): Retry-After of an hourly window is then 3500.
START = 1_900_000_000 - 1_900_000_000 % 86400 + 10 * HOUR + 100


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock(START)
    monkeypatch.setattr(ScopedRateThrottle, "timer", staticmethod(clock))
    return clock


@pytest.fixture
def shop(make_customer, make_mechanic, make_ticket):
    """A ticket with one mechanic on it (for remove-mechanic) and a spare mechanic (for delete)."""
    mechanic = make_mechanic()
    return SimpleNamespace(
        customer=make_customer(),
        mechanic=mechanic,
        spare_mechanic=make_mechanic(),
        ticket=make_ticket(mechanics=[mechanic]),
    )


# scope, method, path, default limit, status of the first (allowed) request
SCOPES = [
    ("customers_list", "get", lambda s: "/customers", 15, 200),
    ("mechanics_list", "get", lambda s: "/mechanics", 5, 200),
    ("mechanics_delete", "delete", lambda s: f"/mechanics/{s.spare_mechanic.pk}", 1, 204),
    ("tickets_list", "get", lambda s: "/tickets", 5, 200),
    ("tickets_remove_mechanic", "put", lambda s: f"/tickets/{s.ticket.pk}/remove-mechanic/{s.mechanic.pk}", 20, 200),
]
SCOPE_IDS = [scope for scope, *_ in SCOPES]


def call(client, method: str, path: str, **extra):
    return getattr(client, method)(path, **extra)


def exhaust(client, method: str, path: str, limit: int) -> list[int]:
    return [call(client, method, path).status_code for _ in range(limit)]


@pytest.mark.parametrize(("scope", "method", "path", "limit", "first_status"), SCOPES, ids=SCOPE_IDS)
def test_scope_allows_exactly_its_default_limit_then_answers_429(
    staff_client, shop, clock, scope, method, path, limit, first_status
):
    statuses = exhaust(staff_client, method, path(shop), limit)
    over = call(staff_client, method, path(shop))

    assert statuses[0] == first_status
    assert 429 not in statuses
    assert over.status_code == 429
    assert over.json().keys() == {"error"} and over.json()["error"]
    assert over["Retry-After"] == str(HOUR - 100)


def test_the_429_leaves_the_data_alone(staff_client, shop, clock):
    """Over the limit, a DELETE is refused before it reaches the record."""
    staff_client.delete(f"/mechanics/{shop.spare_mechanic.pk}")
    other = shop.mechanic
    TicketMechanic.objects.filter(mechanic=other).delete()

    assert staff_client.delete(f"/mechanics/{other.pk}").status_code == 429
    assert type(other).objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize(("seconds_into_window", "retry_after"), [(0, 3600), (100, 3500), (3000, 600), (3599.2, 1)])
def test_retry_after_counts_the_seconds_left_in_the_window(staff_client, clock, seconds_into_window, retry_after):
    clock.now = START - 100 + seconds_into_window
    exhaust(staff_client, "get", "/mechanics", 5)

    response = staff_client.get("/mechanics")

    assert response.status_code == 429
    assert response["Retry-After"] == str(retry_after)


@pytest.mark.parametrize(("scope", "method", "path", "limit", "first_status"), SCOPES, ids=SCOPE_IDS)
def test_the_limit_resets_when_the_window_ends(staff_client, shop, clock, scope, method, path, limit, first_status):
    exhaust(staff_client, method, path(shop), limit)

    clock.advance(HOUR - 100 - 1)  # the window's last second
    still_over = call(staff_client, method, path(shop))
    clock.advance(1)  # the next window
    after_reset = [call(staff_client, method, path(shop)).status_code for _ in range(limit)]
    over_again = call(staff_client, method, path(shop))

    assert still_over.status_code == 429 and still_over["Retry-After"] == "1"
    assert 429 not in after_reset
    assert over_again.status_code == 429


@pytest.mark.parametrize(("scope", "method", "path", "limit", "first_status"), SCOPES, ids=SCOPE_IDS)
def test_each_staff_user_has_a_bucket_of_their_own(
    staff_client, make_staff, client_for, shop, clock, scope, method, path, limit, first_status
):
    other_client = client_for(make_staff("other-staff"))
    exhaust(staff_client, method, path(shop), limit)

    assert call(staff_client, method, path(shop)).status_code == 429
    assert call(other_client, method, path(shop)).status_code != 429


@pytest.mark.parametrize(("path", "limit"), [("/customers", 15), ("/mechanics", 5), ("/tickets", 5)])
def test_refused_callers_keep_getting_401_and_403_not_429(api_client, customer_client, clock, path, limit):
    """Authorization comes before the limit: were the limit counted first, the (limit+1)th
    refused request would be a 429 instead."""
    assert set(exhaust(api_client, "get", path, limit + 3)) == {401}
    assert set(exhaust(customer_client, "get", path, limit + 3)) == {403}


@pytest.mark.parametrize(("scope", "method", "path", "limit", "first_status"), SCOPES, ids=SCOPE_IDS)
def test_throttle_rates_setting_overrides_the_default(
    settings, staff_client, shop, clock, scope, method, path, limit, first_status
):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, scope: "2/minute"}
    statuses = exhaust(staff_client, method, path(shop), 2)
    over = call(staff_client, method, path(shop))

    assert 429 not in statuses
    assert over.status_code == 429
    assert over["Retry-After"] == "20"  # START is 40 s into its minute


@pytest.mark.parametrize(("scope", "method", "path", "limit", "first_status"), SCOPES, ids=SCOPE_IDS)
def test_throttling_disabled_lifts_every_limit(
    settings, staff_client, shop, clock, scope, method, path, limit, first_status
):
    settings.THROTTLING_ENABLED = False

    assert 429 not in exhaust(staff_client, method, path(shop), limit + 5)


# --- the caller's identity -------------------------------------------------------------------


def anonymous_request(remote_addr: str, forwarded_for: str | None = None) -> Request:
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    request = Request(APIRequestFactory().get("/mechanics", **extra))
    request.user = AnonymousUser()
    return request


LIST_VIEW = SimpleNamespace(action="list", throttle_scopes={"list": "mechanics_list"})


def throttle_allows(request: Request) -> bool:
    return ScopedRateThrottle().allow_request(request, LIST_VIEW)


@pytest.mark.parametrize(
    ("remote_addr", "forwarded_for", "num_proxies", "expected"),
    [
        ("203.0.113.7", None, 0, "203.0.113.7"),
        ("203.0.113.7", "198.51.100.1", 0, "203.0.113.7"),  # no proxy: the header is the client's word
        ("10.0.0.1", "198.51.100.1", 1, "198.51.100.1"),
        ("10.0.0.1", "1.1.1.1, 198.51.100.1", 1, "198.51.100.1"),  # a spoofed hop ahead of the real one
        ("10.0.0.2", "198.51.100.1, 10.0.0.1", 2, "198.51.100.1"),
        ("10.0.0.1", None, 1, "10.0.0.1"),
        ("10.0.0.1", " , ", 1, "10.0.0.1"),
    ],
)
def test_client_address_trusts_forwarded_for_only_through_configured_proxies(
    settings, remote_addr, forwarded_for, num_proxies, expected
):
    settings.NUM_PROXIES = num_proxies

    assert client_address(anonymous_request(remote_addr, forwarded_for)) == expected


def test_caller_identity_names_the_principal_else_the_address(staff_user, customer):
    request = anonymous_request("203.0.113.7")
    assert caller_identity(request) == "ip:203.0.113.7"
    request.user = staff_user
    assert caller_identity(request) == f"staff:{staff_user.pk}"
    request.user = customer
    assert caller_identity(request) == f"customer:{customer.pk}"


def test_staff_and_customer_with_the_same_id_do_not_share_a_bucket(staff_user, make_customer, clock):
    customer = make_customer()
    staff_request, customer_request = anonymous_request("203.0.113.7"), anonymous_request("203.0.113.7")
    staff_request.user, customer_request.user = staff_user, customer
    customer_request.user.pk = staff_user.pk  # the same number in two different tables

    assert all(throttle_allows(staff_request) for _ in range(5))
    assert not throttle_allows(staff_request)
    assert throttle_allows(customer_request)


def test_two_anonymous_addresses_have_separate_buckets(clock):
    first, second = anonymous_request("203.0.113.7"), anonymous_request("203.0.113.8")

    assert [throttle_allows(first) for _ in range(6)] == [True] * 5 + [False]
    assert throttle_allows(second)


def test_forwarded_for_does_not_open_a_new_bucket_without_a_proxy(settings, clock):
    settings.NUM_PROXIES = 0
    spoofed = [anonymous_request("203.0.113.7", f"198.51.100.{n}") for n in range(6)]

    assert [throttle_allows(request) for request in spoofed] == [True] * 5 + [False]


def test_forwarded_for_names_the_client_behind_one_proxy(settings, clock):
    settings.NUM_PROXIES = 1
    first_client = [anonymous_request("10.0.0.1", "198.51.100.1") for _ in range(6)]
    spoofing_first_client = anonymous_request("10.0.0.1", "1.2.3.4, 198.51.100.1")
    second_client = anonymous_request("10.0.0.1", "198.51.100.2")

    assert [throttle_allows(request) for request in first_client] == [True] * 5 + [False]
    assert not throttle_allows(spoofing_first_client)
    assert throttle_allows(second_client)


# --- login limits (django-ratelimit, per address and per account) ------------------------------


@pytest.fixture
def login_clock(monkeypatch):
    """django-ratelimit reads time.time() through its module; pin it so a test cannot straddle
    the end of a minute."""
    import django_ratelimit.core

    clock = Clock(START)
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=clock))
    return clock


def staff_login(client, username: str, forwarded_for: str | None = None, remote_addr: str = "203.0.113.7"):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post("/auth/login", {"username": username, "password": "wrong-password"}, format="json", **extra)


def test_login_limit_per_address_ignores_forwarded_for_without_a_proxy(db, settings, api_client, login_clock):
    settings.NUM_PROXIES = 0
    statuses = [staff_login(api_client, f"user{n}", forwarded_for=f"198.51.100.{n}").status_code for n in range(11)]

    assert statuses == [401] * 10 + [429]
    over = staff_login(api_client, "another-user", forwarded_for="198.51.100.99")
    assert over.status_code == 429
    assert over.json().keys() == {"error"}
    assert int(over["Retry-After"]) >= 1


def test_login_limit_per_address_follows_forwarded_for_behind_a_proxy(db, settings, api_client, login_clock):
    settings.NUM_PROXIES = 1
    statuses = [staff_login(api_client, f"user{n}", "198.51.100.1", remote_addr="10.0.0.1").status_code for n in range(11)]

    assert statuses == [401] * 10 + [429]
    assert staff_login(api_client, "user-x", "198.51.100.2", remote_addr="10.0.0.1").status_code == 401


def test_login_limit_per_account_holds_across_addresses(api_client, staff_user, login_clock):
    statuses = [staff_login(api_client, "staff", remote_addr=f"203.0.113.{n}").status_code for n in range(11)]

    assert statuses == [401] * 10 + [429]
    # Even the right password is refused while the account is locked out.
    right = api_client.post("/auth/login", {"username": "staff", "password": STAFF_PASSWORD}, format="json", REMOTE_ADDR="192.0.2.1")
    assert right.status_code == 429


def test_login_limit_resets_after_its_minute(db, api_client, login_clock):
    [staff_login(api_client, f"user{n}") for n in range(10)]
    assert staff_login(api_client, "user-x").status_code == 429

    login_clock.advance(60)

    assert staff_login(api_client, "user-y").status_code == 401


# --- parse_rate and startup validation -------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        ("15/hour", (15, 3600)),
        ("5/h", (5, 3600)),
        ("10/minute", (10, 60)),
        ("10/min", (10, 60)),
        ("3/s", (3, 1)),
        ("3/second", (3, 1)),
        ("100/day", (100, 86400)),
        ("0/hour", (0, 3600)),
    ],
)
def test_parse_rate_reads_count_and_period(rate, expected):
    assert parse_rate(rate) == expected


@pytest.mark.parametrize(
    "rate",
    ["abc", "5/fortnight", "5/month", "5", "5/", "/hour", "-1/hour", "1.5/hour", "five/hour", " 10/minute", "10/ minute", "10/Minute", "", "5/hour/extra", "٣/hour"],
)
def test_parse_rate_refuses_what_it_cannot_read_exactly(rate):
    with pytest.raises(ValueError, match="Invalid rate"):
        parse_rate(rate)


@pytest.mark.parametrize("rate", ["abc", "5/fortnight", " 10/minute"])
def test_an_invalid_configured_rate_stops_startup(settings, rate):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "tickets_list": rate}

    with pytest.raises(ImproperlyConfigured, match="tickets_list"):
        apps.get_app_config("core").ready()


# --- exactness under concurrency ---------------------------------------------------------------


def run_at_once(count: int, task) -> list:
    """Run `task()` in `count` threads released together, so their cache operations interleave."""
    barrier = threading.Barrier(count)

    def job():
        barrier.wait()
        return task()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _: job(), range(count)))


def test_hit_from_50_threads_lets_exactly_5_through(store):
    results = run_at_once(50, lambda: hit("concurrency:test", 5, HOUR, START)[0])

    assert results.count(True) == 5


def test_throttle_from_50_threads_lets_exactly_5_through(store, clock):
    results = run_at_once(50, lambda: throttle_allows(anonymous_request("203.0.113.7")))

    assert results.count(True) == 5


def _increment_many(location: str, times: int) -> None:
    cache = LockedFileBasedCache(location, {})
    for _ in range(times):
        cache.incr("shared-counter")


def test_locked_file_cache_increments_exactly_across_processes(tmp_path):
    location = str(tmp_path / "shared")
    LockedFileBasedCache(location, {}).add("shared-counter", 0, timeout=600)
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_increment_many, args=(location, 50)) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert [worker.exitcode for worker in workers] == [0] * 6
    assert LockedFileBasedCache(location, {}).get("shared-counter") == 300


@pytest.fixture
def cache_clock(monkeypatch) -> Clock:
    """The file cache's own clock (expiry), moved together with the throttle's."""
    import core.cache
    import django.core.cache.backends.base
    import django.core.cache.backends.filebased

    clock = Clock(START)
    fake_time = SimpleNamespace(time=clock)
    for module in (django.core.cache.backends.base, django.core.cache.backends.filebased, core.cache):
        monkeypatch.setattr(module, "time", fake_time, raising=False)
    monkeypatch.setattr(ScopedRateThrottle, "timer", staticmethod(clock))
    return clock


def test_a_counter_lives_as_long_as_its_window_in_the_file_cache(staff_client, cache_clock):
    """Django's file cache re-sets a value on incr() with the default 300 s timeout; the hour's
    counter must not vanish after 5 quiet minutes and let another 5 requests through."""
    exhaust(staff_client, "get", "/mechanics", 5)

    cache_clock.advance(10 * 60)  # still the same window

    assert staff_client.get("/mechanics").status_code == 429


def test_locked_file_cache_incr_keeps_the_expiry(tmp_path, cache_clock):
    cache = LockedFileBasedCache(str(tmp_path / "c"), {})
    cache.add("counter", 0, timeout=100)
    assert cache.incr("counter") == 1

    cache_clock.advance(99)
    assert cache.incr("counter") == 2
    cache_clock.advance(2)
    assert cache.get("counter") is None
    with pytest.raises(ValueError):
        cache.incr("counter")


def test_throttling_disabled_lifts_the_login_limits_too(db, settings, api_client, login_clock):
    settings.THROTTLING_ENABLED = False

    assert {staff_login(api_client, "staff").status_code for _ in range(15)} == {401}
