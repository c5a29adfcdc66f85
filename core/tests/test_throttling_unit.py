"""core.throttling on its own: the fixed-window counter (with an injected clock), the scope each
action is counted under, and the throttle's answers."""

import logging
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from core import throttling
from core.throttling import ScopedRateThrottle, caller_key, count_in_window

HOUR = 3600
WINDOW_START = 1_000_800.0  # a multiple of 3600 (and of 60): the start of an hourly window


def test_exactly_the_limit_is_allowed_in_one_window():
    results = [count_in_window("k", 3, HOUR, WINDOW_START + i) for i in range(5)]
    assert [allowed for allowed, _ in results] == [True, True, True, False, False]
    assert [left for _, left in results] == [HOUR - i for i in range(5)]


@pytest.mark.parametrize("offset, left", [(0, 3600), (0.25, 3599.75), (1799, 1801), (3599, 1), (3599.5, 0.5)])
def test_seconds_left_count_to_the_end_of_the_clock_aligned_window(offset, left):
    allowed, seconds_left = count_in_window("k", 5, HOUR, WINDOW_START + offset)
    assert allowed and seconds_left == pytest.approx(left)


def test_a_new_window_starts_a_new_count():
    for i in range(2):
        assert count_in_window("k", 2, 60, WINDOW_START + i)[0]
    assert not count_in_window("k", 2, 60, WINDOW_START + 59.9)[0]
    assert count_in_window("k", 2, 60, WINDOW_START + 60)[0]  # the next minute
    assert count_in_window("k", 2, 60, WINDOW_START + 61)[0]
    assert not count_in_window("k", 2, 60, WINDOW_START + 62)[0]


def test_keys_and_periods_are_counted_apart():
    assert count_in_window("a", 1, HOUR, WINDOW_START)[0]
    assert not count_in_window("a", 1, HOUR, WINDOW_START)[0]
    assert count_in_window("b", 1, HOUR, WINDOW_START)[0]
    assert count_in_window("a", 1, 60, WINDOW_START)[0]  # the same key under another period


def test_refused_requests_are_counted_too():
    for _ in range(4):
        count_in_window("k", 1, HOUR, WINDOW_START)
    assert caches["limits"].get(f"throttle:k:{HOUR}:{int(WINDOW_START // HOUR)}") == 4


def test_a_counter_outlives_its_window_by_a_margin(monkeypatch):
    calls = []
    store = caches["limits"]

    class Recording:
        def add(self, key, value, timeout):
            calls.append(timeout)
            return store.add(key, value, timeout=timeout)

        def incr(self, key):
            return store.incr(key)

    monkeypatch.setattr(throttling, "rate_limit_cache", lambda: Recording())
    count_in_window("k", 1, HOUR, WINDOW_START + 600)
    assert calls == [HOUR - 600 + throttling._EXPIRY_MARGIN]


def test_a_counter_evicted_between_add_and_incr_counts_this_request_as_the_first(monkeypatch):
    store = caches["limits"]

    class Evicting:
        def add(self, key, value, timeout):
            return store.add(key, value, timeout=timeout)

        def incr(self, key):
            store.delete(key)
            raise ValueError(key)

    monkeypatch.setattr(throttling, "rate_limit_cache", lambda: Evicting())
    assert count_in_window("k", 1, HOUR, WINDOW_START) == (True, HOUR)
    monkeypatch.undo()
    assert not count_in_window("k", 1, HOUR, WINDOW_START)[0]  # the second, counted in the store


def test_concurrent_requests_are_counted_exactly():
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: count_in_window("k", 5, HOUR, WINDOW_START)[0], range(50)))
    assert results.count(True) == 5
    assert caches["limits"].get(f"throttle:k:{HOUR}:{int(WINDOW_START // HOUR)}") == 50


# --- the throttle class ---------------------------------------------------------------------------


def view(action: str | None, scopes: dict | None = None):
    attributes = {"action": action}
    if scopes is not None:
        attributes["throttle_scopes"] = scopes
    return SimpleNamespace(**attributes)


SCOPES = {"list": "mechanics_list", "destroy": "mechanics_delete"}


@pytest.mark.parametrize(
    "action, scopes, scope",
    [
        ("list", SCOPES, "mechanics_list"),
        ("destroy", SCOPES, "mechanics_delete"),
        ("retrieve", SCOPES, None),  # an action the view does not limit
        (None, SCOPES, None),  # a method the view does not serve
        ("list", None, None),  # a view without throttle_scopes
        ("list", {}, None),
    ],
)
def test_get_scope_reads_the_views_scope_for_the_action(action, scopes, scope):
    assert ScopedRateThrottle().get_scope(request=None, view=view(action, scopes)) == scope


def anonymous_request(address: str = "203.0.113.7") -> Request:
    request = Request(APIRequestFactory().get("/mechanics", REMOTE_ADDR=address))
    request.user = AnonymousUser()
    return request


@pytest.fixture
def clock(monkeypatch):
    now = [WINDOW_START + 100]
    monkeypatch.setattr(ScopedRateThrottle, "timer", staticmethod(lambda: now[0]))
    return now


def test_the_throttle_allows_the_scopes_rate_then_refuses_with_the_wait(clock, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "mechanics_list": "3/hour"}
    answers = []
    for _ in range(4):
        throttle = ScopedRateThrottle()
        answers.append(throttle.allow_request(anonymous_request(), view("list", SCOPES)))
    assert answers == [True, True, True, False]
    assert throttle.wait() == HOUR - 100
    assert throttle.scope == "mechanics_list"


def test_the_rate_is_read_when_the_request_comes(clock, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "mechanics_delete": "1/minute"}
    assert ScopedRateThrottle().allow_request(anonymous_request(), view("destroy", SCOPES))
    assert not ScopedRateThrottle().allow_request(anonymous_request(), view("destroy", SCOPES))
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "mechanics_delete": "5/minute"}
    assert ScopedRateThrottle().allow_request(anonymous_request(), view("destroy", SCOPES))


def test_actions_without_a_scope_are_never_counted(clock):
    for _ in range(20):
        assert ScopedRateThrottle().allow_request(anonymous_request(), view("retrieve", SCOPES))
    assert ScopedRateThrottle().allow_request(anonymous_request(), view("list", SCOPES))


def test_throttling_disabled_allows_everything(clock, settings):
    settings.THROTTLING_ENABLED = False
    assert all(ScopedRateThrottle().allow_request(anonymous_request(), view("destroy", SCOPES)) for _ in range(5))


def test_addresses_are_counted_apart(clock, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "mechanics_delete": "1/hour"}
    assert ScopedRateThrottle().allow_request(anonymous_request("203.0.113.7"), view("destroy", SCOPES))
    assert not ScopedRateThrottle().allow_request(anonymous_request("203.0.113.7"), view("destroy", SCOPES))
    assert ScopedRateThrottle().allow_request(anonymous_request("198.51.100.1"), view("destroy", SCOPES))


def test_a_broken_counter_store_fails_open_and_says_so(clock, monkeypatch, caplog):
    def broken():
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(throttling, "rate_limit_cache", broken)
    with caplog.at_level(logging.WARNING, logger="core.throttling"):
        assert ScopedRateThrottle().allow_request(anonymous_request(), view("list", SCOPES))
    assert "mechanics_list" in caplog.text


def test_caller_key_names_the_signed_in_account_else_the_address(staff_user, customer):
    request = anonymous_request("198.51.100.9")
    assert caller_key(request, view=None) == "address:198.51.100.9"
    request.user = staff_user
    assert caller_key(request, view=None) == f"user:{staff_user.pk}"
    request.user = customer
    assert caller_key(request, view=None) == f"customer:{customer.pk}"
