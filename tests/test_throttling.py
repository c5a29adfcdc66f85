"""Rate limits (API.md "Rate limits"): every scope's limit, its 429, its window, its buckets,
exactness under concurrency on the default store (diskcache) and on Redis, and what happens
when the store is down: the scoped limits (signup included) fail open. Whole requests racing
real servers are counted in test_multiprocess.py.

Time is injected: django-ratelimit's clock, which times every limit (the root conftest's
`ratelimit_clock`). The sign-in limits themselves (per address, per account, the owner not locked
out, failing closed) are tested in accounts/tests/test_sign_in_limits.py, and live in
test_faults.py; the signup scope in the customers' tests. The counter and the caller's key on
their own are in core/tests/test_ratelimits.py.
"""

import multiprocessing
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from conftest import RATE_LIMIT_EPOCH, access_token_for, client_with_token
from core.ratelimits import ScopedRateThrottle, account_key, client_address, count
from tickets.models import Ticket, TicketMechanic
from vehicles.models import Vehicle
from vehicles.tests.factories import make_vin

HOUR = 3600
# 100 s into an hour (and 40 s into a minute): Retry-After of an hourly window is then 3500.
INTO_WINDOW = 100


@pytest.fixture
def clock(ratelimit_clock):
    """Stopped, so no test straddles the end of a window."""
    return ratelimit_clock


@pytest.fixture
def staff_clock(ratelimit_clock, staff_user):
    """Stopped 100 s into an hourly window of the staff user's counters."""
    ratelimit_clock.set_into_window(account_key(staff_user), INTO_WINDOW)
    return ratelimit_clock


@pytest.fixture
def num_proxies(settings):
    """NUM_PROXIES as the environment sets it (settings.py hands it to DRF)."""

    def set_to(count: int) -> None:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": count}

    return set_to


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
    staff_client, shop, staff_clock, scope, method, path, limit, first_status
):
    statuses = exhaust(staff_client, method, path(shop), limit)
    over = call(staff_client, method, path(shop))

    assert statuses[0] == first_status
    assert 429 not in statuses
    assert over.status_code == 429
    assert over.json().keys() == {"error"} and over.json()["error"]
    assert over["Retry-After"] == str(HOUR - INTO_WINDOW)


def test_the_defaults_are_the_documented_ones(settings):
    scopes = [*SCOPE_IDS, "signup", "customer_writes", "login", "login_account"]
    assert {scope: settings.THROTTLE_RATES[scope] for scope in scopes} == {
        "customers_list": "15/hour",
        "mechanics_list": "5/hour",
        "mechanics_delete": "1/hour",
        "tickets_list": "5/hour",
        "tickets_remove_mechanic": "20/hour",
        "signup": "10/hour",
        "customer_writes": "30/hour",
        "login": "10/minute",
        "login_account": "100/hour",
    }


def test_the_429_leaves_the_data_alone(staff_client, shop, staff_clock):
    """Over the limit, a DELETE is refused before it reaches the record."""
    staff_client.delete(f"/mechanics/{shop.spare_mechanic.pk}")
    other = shop.mechanic
    TicketMechanic.objects.filter(mechanic=other).delete()

    assert staff_client.delete(f"/mechanics/{other.pk}").status_code == 429
    assert type(other).objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize(("seconds_into_window", "retry_after"), [(0, 3600), (100, 3500), (3000, 600), (3599.2, 1)])
def test_retry_after_counts_the_seconds_left_in_the_window(
    staff_client, staff_user, staff_clock, seconds_into_window, retry_after
):
    staff_clock.set_into_window(account_key(staff_user), seconds_into_window)
    exhaust(staff_client, "get", "/mechanics", 5)

    response = staff_client.get("/mechanics")

    assert response.status_code == 429
    assert response["Retry-After"] == str(retry_after)


@pytest.mark.parametrize(("scope", "method", "path", "limit", "first_status"), SCOPES, ids=SCOPE_IDS)
def test_the_limit_resets_when_the_window_ends(
    staff_client, shop, staff_clock, scope, method, path, limit, first_status
):
    exhaust(staff_client, method, path(shop), limit)

    staff_clock.advance(HOUR - INTO_WINDOW - 1)  # the window's last second
    still_over = call(staff_client, method, path(shop))
    staff_clock.advance(1)  # the next window
    after_reset = [call(staff_client, method, path(shop)).status_code for _ in range(limit)]
    over_again = call(staff_client, method, path(shop))

    assert still_over.status_code == 429 and still_over["Retry-After"] == "1"
    assert 429 not in after_reset
    assert over_again.status_code == 429


@pytest.mark.parametrize(("scope", "method", "path", "limit", "first_status"), SCOPES, ids=SCOPE_IDS)
def test_each_staff_user_has_a_bucket_of_their_own(
    staff_client, make_staff, client_for, shop, staff_clock, scope, method, path, limit, first_status
):
    other_client = client_for(make_staff(username="other-staff"))
    exhaust(staff_client, method, path(shop), limit)

    assert call(staff_client, method, path(shop)).status_code == 429
    assert call(other_client, method, path(shop)).status_code != 429


def test_a_new_token_of_the_same_user_shares_the_bucket(staff_user, staff_client, staff_clock):
    """Signing in again does not buy a new budget: the caller is the account, not the token."""
    exhaust(staff_client, "get", "/mechanics", 5)

    assert client_with_token(access_token_for(staff_user)).get("/mechanics").status_code == 429


def test_scopes_count_separately(staff_client, staff_clock):
    exhaust(staff_client, "get", "/mechanics", 5)

    assert staff_client.get("/mechanics").status_code == 429
    assert staff_client.get("/tickets").status_code == 200
    assert staff_client.get("/customers").status_code == 200


def test_reads_outside_a_scope_are_not_limited(staff_client, make_mechanic, staff_clock):
    mechanic = make_mechanic()
    exhaust(staff_client, "get", "/mechanics", 5)

    assert {staff_client.get(f"/mechanics/{mechanic.pk}").status_code for _ in range(10)} == {200}
    assert {staff_client.get("/mechanics/top-3-mechanics").status_code for _ in range(10)} == {200}


@pytest.mark.parametrize(("path", "limit"), [("/customers", 15), ("/mechanics", 5), ("/tickets", 5)])
def test_refused_callers_keep_getting_401_and_403_not_429(api_client, customer_client, clock, path, limit):
    """Authorization comes before the limit: were the limit counted first, the (limit+1)th
    refused request would be a 429 instead."""
    assert set(exhaust(api_client, "get", path, limit + 3)) == {401}
    assert set(exhaust(customer_client, "get", path, limit + 3)) == {403}


@pytest.mark.parametrize(("scope", "method", "path", "limit", "first_status"), SCOPES, ids=SCOPE_IDS)
def test_throttle_rates_setting_overrides_the_default(
    settings, staff_client, shop, staff_clock, scope, method, path, limit, first_status
):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, scope: "2/minute"}
    statuses = exhaust(staff_client, method, path(shop), 2)
    over = call(staff_client, method, path(shop))

    assert 429 not in statuses
    assert over.status_code == 429
    assert over["Retry-After"] == "20"  # 40 s into its minute


@pytest.mark.parametrize(("scope", "method", "path", "limit", "first_status"), SCOPES, ids=SCOPE_IDS)
def test_throttling_disabled_lifts_every_limit(
    settings, staff_client, shop, staff_clock, scope, method, path, limit, first_status
):
    settings.THROTTLING_ENABLED = False

    assert 429 not in exhaust(staff_client, method, path(shop), limit + 5)


# --- customer_writes: what a customer creates ------------------------------------------------


def new_ticket_body(n: int) -> dict:
    return {"VIN": "1HGCM82633A004352", "service_date": "2026-11-25", "service_description": f"Visit {n}"}


def new_vehicle_body(n: int) -> dict:
    return {"vin": make_vin(n), "year": 2018, "make": "Honda", "model": "Civic"}


def customer_write(client, n: int):
    """The n-th write of a caller: tickets and vehicles by turns."""
    if n % 2:
        return client.post("/vehicles", new_vehicle_body(n), format="json")
    return client.post("/tickets", new_ticket_body(n), format="json")


@pytest.fixture
def customer_clock(ratelimit_clock, customer):
    """Stopped 100 s into an hourly window of the customer's counters."""
    ratelimit_clock.set_into_window(account_key(customer), INTO_WINDOW)
    return ratelimit_clock


def test_a_customer_creates_30_tickets_and_vehicles_an_hour_then_gets_429(customer, customer_client, customer_clock):
    statuses = [customer_write(customer_client, n).status_code for n in range(30)]
    tickets, vehicles = Ticket.objects.count(), Vehicle.objects.count()

    over = [customer_write(customer_client, n) for n in (30, 31)]  # a ticket, then a vehicle

    assert statuses == [201] * 30
    for response in over:
        assert response.status_code == 429
        assert response.json().keys() == {"error"}
        assert response["Retry-After"] == str(HOUR - INTO_WINDOW)
    assert (Ticket.objects.count(), Vehicle.objects.count()) == (tickets, vehicles)
    # Reading, and changing what exists, is not limited by it.
    assert customer_client.get("/tickets/my-tickets").status_code == 200


def test_customer_writes_count_per_customer(customer, customer_client, make_customer, client_for, customer_clock):
    for n in range(30):
        customer_write(customer_client, n)
    assert customer_write(customer_client, 30).status_code == 429

    assert customer_write(client_for(make_customer()), 40).status_code == 201


def test_staff_creating_tickets_and_vehicles_are_not_counted(staff_client, customer, staff_clock):
    bodies = [{**new_ticket_body(n), "customer_id": customer.pk} for n in range(16)]
    statuses = [staff_client.post("/tickets", body, format="json").status_code for body in bodies]
    bodies = [{**new_vehicle_body(n), "customer_id": customer.pk} for n in range(16)]
    statuses += [staff_client.post("/vehicles", body, format="json").status_code for body in bodies]

    assert statuses == [201] * 32


def test_the_customer_writes_rate_is_configurable(settings, customer_client, customer_clock):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "customer_writes": "2/minute"}

    statuses = [customer_write(customer_client, n).status_code for n in range(3)]

    assert statuses == [201, 201, 429]


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
    ("remote_addr", "forwarded_for", "proxies", "expected"),
    [
        ("203.0.113.7", None, 0, "203.0.113.7"),
        ("203.0.113.7", "198.51.100.1", 0, "203.0.113.7"),  # no proxy: the header is the client's word
        ("10.0.0.1", "198.51.100.1", 1, "198.51.100.1"),
        ("10.0.0.1", "1.1.1.1, 198.51.100.1", 1, "198.51.100.1"),  # a spoofed hop ahead of the real one
        ("10.0.0.2", "198.51.100.1, 10.0.0.1", 2, "198.51.100.1"),
    ],
)
def test_client_address_trusts_forwarded_for_only_through_configured_proxies(
    num_proxies, remote_addr, forwarded_for, proxies, expected
):
    num_proxies(proxies)

    assert client_address(anonymous_request(remote_addr, forwarded_for)) == expected


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


def test_forwarded_for_does_not_open_a_new_bucket_without_a_proxy(num_proxies, clock):
    num_proxies(0)
    spoofed = [anonymous_request("203.0.113.7", f"198.51.100.{n}") for n in range(6)]

    assert [throttle_allows(request) for request in spoofed] == [True] * 5 + [False]


def test_forwarded_for_names_the_client_behind_one_proxy(num_proxies, clock):
    num_proxies(1)
    first_client = [anonymous_request("10.0.0.1", "198.51.100.1") for _ in range(6)]
    spoofing_first_client = anonymous_request("10.0.0.1", "1.2.3.4, 198.51.100.1")
    second_client = anonymous_request("10.0.0.1", "198.51.100.2")

    assert [throttle_allows(request) for request in first_client] == [True] * 5 + [False]
    assert not throttle_allows(spoofing_first_client)
    assert throttle_allows(second_client)


def staff_login(
    client, username: str, forwarded_for: str | None = None, remote_addr: str = "203.0.113.7", password="wrong-password"
):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post("/auth/login", {"username": username, "password": password}, format="json", **extra)


def test_the_sign_in_address_limit_follows_forwarded_for_behind_a_proxy(db, num_proxies, api_client, clock):
    num_proxies(1)
    statuses = [
        staff_login(api_client, f"user{n}", "198.51.100.1", remote_addr="10.0.0.1").status_code for n in range(11)
    ]

    assert statuses == [401] * 10 + [429]
    assert staff_login(api_client, "user-x", "198.51.100.2", remote_addr="10.0.0.1").status_code == 401


# --- exactness under concurrency, on each store -----------------------------------------------


def run_at_once(count: int, task) -> list:
    """Run `task()` in `count` threads released together, so their cache operations interleave."""
    barrier = threading.Barrier(count)

    def job():
        barrier.wait()
        return task()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _: job(), range(count)))


def test_the_throttle_from_50_threads_lets_exactly_5_through(store, clock):
    results = run_at_once(50, lambda: throttle_allows(anonymous_request("203.0.113.7")))

    assert results.count(True) == 5


def seconds_to_live(cache, key: str) -> float:
    if hasattr(cache, "ttl"):  # django-redis
        return cache.ttl(key)
    _, expires_at = cache.get(key, expire_time=True)  # diskcache
    return expires_at - time.time()


def test_a_counter_lives_until_its_window_ends_however_often_it_is_counted(store, clock, monkeypatch):
    """A counter must not expire in the middle of its window (a store that reset the expiry on
    every increment, or set a default one, would let another full budget through)."""
    cache, added = caches["limits"], []
    add = cache.add
    monkeypatch.setattr(cache, "add", lambda key, *args, **kwargs: added.append(key) or add(key, *args, **kwargs))
    count(None, group="ttl", value="test", rate="100/hour")
    first = seconds_to_live(cache, added[0])
    for _ in range(5):
        clock.advance(1)
        count(None, group="ttl", value="test", rate="100/hour")

    later = seconds_to_live(cache, added[0])
    assert HOUR - 5 <= first <= HOUR + 5  # the window, and django-ratelimit's margin
    assert first - 5 <= later <= first
    assert set(added) == {added[0]} and cache.get(added[0]) == 6


# Workers run in forked children: fork needs no importable module, and they touch no database.
def _count_in_a_child(directory: str, results) -> None:
    import django_ratelimit.core
    from diskcache import DjangoCache

    caches["limits"] = DjangoCache(directory, {"KEY_PREFIX": "tests"})  # not the parent's open connections
    django_ratelimit.core.time = SimpleNamespace(time=lambda: RATE_LIMIT_EPOCH + 0.5)  # one window for all
    allowed = [not count(None, group="processes", value="test", rate="40/hour").exceeded for _ in range(25)]
    results.put(allowed.count(True))


def test_the_diskcache_store_counts_exactly_across_processes(tmp_path):
    """gunicorn's workers are processes; on the default store they share one directory."""
    directory = str(tmp_path / "limits")
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [context.Process(target=_count_in_a_child, args=(directory, results)) for _ in range(4)]
    for worker in workers:
        worker.start()
    allowed = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)

    assert [worker.exitcode for worker in workers] == [0] * 4
    assert sum(allowed) == 40  # of 100 attempts


# --- when the store is down -------------------------------------------------------------------


@pytest.fixture
def store_down(redis_unreachable):
    """Every cache alias on a Redis port nothing listens on: every call fails at once."""


@pytest.mark.parametrize(("scope", "method", "path", "limit", "first_status"), SCOPES, ids=SCOPE_IDS)
def test_scoped_limits_fail_open_when_the_store_is_down(
    store_down, staff_client, shop, scope, method, path, limit, first_status
):
    statuses = exhaust(staff_client, method, path(shop), limit + 3)

    assert statuses[0] == first_status
    assert 429 not in statuses and all(status < 500 for status in statuses)


def test_the_signup_limit_fails_open_when_the_store_is_down(store_down, db):
    client = APIClient()
    bodies = [
        {"name": "New", "email": f"new{n}@example.com", "phone": "1", "password": "Signup-Pass-42"} for n in range(12)
    ]

    assert [client.post("/customers", body, format="json").status_code for body in bodies] == [201] * 12
