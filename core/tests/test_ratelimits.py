"""core.ratelimits on its own: the counter (django-ratelimit's, with its clock stopped), the
limits each action is counted under, who is counted, and the throttle's answers."""

import logging
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from core.ratelimits import (
    LimitsUnavailable,
    RateLimit,
    ScopedRateThrottle,
    address_unless_staff,
    by_address,
    by_caller,
    caller_unless_staff,
    count,
    limits_of,
)

HOUR = 3600


@pytest.fixture
def clock(ratelimit_clock):
    ratelimit_clock.set_into_window("k", 0)  # the first second of an hourly window of "k"
    return ratelimit_clock


def allowed(**kwargs) -> bool:
    return not count(None, **{"group": "g", "value": "k", "rate": "3/hour", **kwargs}).exceeded


# --- the counter ---------------------------------------------------------------------------------


def test_exactly_the_limit_is_allowed_in_one_window(clock):
    answers = []
    for _ in range(5):
        answers.append(allowed())
        clock.advance(1)
    assert answers == [True, True, True, False, False]


@pytest.mark.parametrize("offset, left", [(0, 3600), (0.25, 3600), (1799, 1801), (3599, 1), (3599.5, 1)])
def test_seconds_left_count_to_the_start_of_the_next_window(clock, offset, left):
    clock.advance(offset)
    usage = count(None, group="g", value="k", rate="5/hour")
    assert usage.count == 1 and usage.limit == 5 and usage.seconds_left == left


def test_a_new_window_starts_a_new_count(clock):
    assert allowed(rate="2/minute") and allowed(rate="2/minute")
    clock.advance(59.9)
    assert not allowed(rate="2/minute")
    clock.advance(0.1)  # the next minute
    assert allowed(rate="2/minute") and allowed(rate="2/minute")
    assert not allowed(rate="2/minute")


def test_groups_values_and_rates_are_counted_apart(clock):
    assert allowed(rate="1/hour")
    assert not allowed(rate="1/hour")
    assert allowed(rate="1/hour", value="other")
    assert allowed(rate="1/hour", group="other")
    assert allowed(rate="1/minute")  # the same value under another rate


def test_refused_requests_are_counted_and_reading_counts_nothing(clock):
    for _ in range(4):
        count(None, group="g", value="k", rate="1/hour")
    assert count(None, group="g", value="k", rate="1/hour", increment=False).count == 4
    assert count(None, group="g", value="k", rate="1/hour", increment=False).count == 4


def test_concurrent_requests_are_counted_exactly(clock):
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda _: allowed(rate="5/hour"), range(50)))
    assert answers.count(True) == 5
    assert count(None, group="g", value="k", rate="5/hour", increment=False).count == 50


def raise_error(*args, **kwargs):
    raise ConnectionError("the cache is down")


@pytest.mark.parametrize(
    ("method", "replacement", "increment"),
    [
        pytest.param("add", raise_error, True, id="add-raises"),
        pytest.param("incr", raise_error, True, id="incr-raises"),
        pytest.param("incr", lambda *args, **kwargs: None, True, id="incr-counts-nothing"),
        pytest.param("get", raise_error, False, id="get-raises"),
    ],
)
def test_a_cache_that_does_not_count_is_limits_unavailable(clock, monkeypatch, method, replacement, increment):
    count(None, group="g", value="k", rate="5/hour")  # the counter exists, so incr and get are reached
    monkeypatch.setattr(caches["limits"], method, replacement)

    with pytest.raises(LimitsUnavailable):
        count(None, group="g", value="k", rate="5/hour", increment=increment)


def test_with_django_ratelimit_off_nothing_is_counted(clock, settings):
    settings.RATELIMIT_ENABLE = False
    assert count(None, group="g", value="k", rate="1/hour") is None


# --- which limits an action has, and who is counted ----------------------------------------------


def view(action: str | None, scopes: dict | None = None):
    attributes = {"action": action}
    if scopes is not None:
        attributes["throttle_scopes"] = scopes
    return SimpleNamespace(**attributes)


SIGNUP = RateLimit("signup", key=address_unless_staff)
SCOPES = {"list": "mechanics_list", "destroy": "mechanics_delete", "create": SIGNUP, "update": ["a", SIGNUP]}


@pytest.mark.parametrize(
    "action, scopes, limits",
    [
        ("list", SCOPES, [RateLimit("mechanics_list")]),
        ("destroy", SCOPES, [RateLimit("mechanics_delete")]),
        ("create", SCOPES, [SIGNUP]),
        ("update", SCOPES, [RateLimit("a"), SIGNUP]),
        ("retrieve", SCOPES, []),  # an action the view does not limit
        (None, SCOPES, []),  # a method the view does not serve
        ("list", None, []),  # a view without throttle_scopes
        ("list", {}, []),
    ],
)
def test_limits_of_reads_the_views_scopes_for_the_action(action, scopes, limits):
    assert limits_of(view(action, scopes)) == limits


def anonymous_request(address: str = "203.0.113.7") -> Request:
    request = Request(APIRequestFactory().get("/mechanics", REMOTE_ADDR=address))
    request.user = AnonymousUser()
    return request


def test_the_caller_is_the_signed_in_account_else_the_address(staff_user, customer):
    request = anonymous_request("198.51.100.9")
    assert by_caller(request) == by_address(request) == "address:198.51.100.9"
    request.user = staff_user
    assert by_caller(request) == f"user:{staff_user.pk}"
    request.user = customer
    assert by_caller(request) == f"customer:{customer.pk}"
    assert by_address(request) == "address:198.51.100.9"


def test_the_unless_staff_keys_leave_staff_uncounted(staff_user, customer):
    request = anonymous_request("198.51.100.9")
    assert address_unless_staff(request) == caller_unless_staff(request) == "address:198.51.100.9"
    request.user = customer
    assert address_unless_staff(request) == "address:198.51.100.9"
    assert caller_unless_staff(request) == f"customer:{customer.pk}"
    request.user = staff_user
    assert address_unless_staff(request) is None and caller_unless_staff(request) is None


# --- the throttle class --------------------------------------------------------------------------


def test_the_throttle_allows_the_scopes_rate_then_refuses_with_the_wait(clock, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "mechanics_list": "3/hour"}
    clock.set_into_window("address:203.0.113.7", 100)
    answers = []
    for _ in range(4):
        throttle = ScopedRateThrottle()
        answers.append(throttle.allow_request(anonymous_request(), view("list", SCOPES)))
    assert answers == [True, True, True, False]
    assert throttle.wait() == HOUR - 100


def test_over_several_limits_the_wait_is_the_longest(clock, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "mechanics_list": "1/minute", "mechanics_delete": "1/hour"}
    both = view("list", {"list": ["mechanics_list", "mechanics_delete"]})
    assert ScopedRateThrottle().allow_request(anonymous_request(), both)
    throttle = ScopedRateThrottle()
    assert not throttle.allow_request(anonymous_request(), both)
    assert 60 < throttle.wait() <= HOUR


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


def test_a_request_its_key_leaves_out_is_not_counted(clock, settings, staff_user):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "signup": "1/hour"}
    request = anonymous_request()
    request.user = staff_user
    assert all(ScopedRateThrottle().allow_request(request, view("create", SCOPES)) for _ in range(3))
    assert ScopedRateThrottle().allow_request(anonymous_request(), view("create", SCOPES))
    assert not ScopedRateThrottle().allow_request(anonymous_request(), view("create", SCOPES))


def test_throttling_disabled_allows_everything(clock, settings):
    settings.THROTTLING_ENABLED = False
    assert all(ScopedRateThrottle().allow_request(anonymous_request(), view("destroy", SCOPES)) for _ in range(5))


def test_addresses_are_counted_apart(clock, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "mechanics_delete": "1/hour"}
    assert ScopedRateThrottle().allow_request(anonymous_request("203.0.113.7"), view("destroy", SCOPES))
    assert not ScopedRateThrottle().allow_request(anonymous_request("203.0.113.7"), view("destroy", SCOPES))
    assert ScopedRateThrottle().allow_request(anonymous_request("198.51.100.1"), view("destroy", SCOPES))


def test_a_broken_counter_store_fails_open_and_says_so(clock, settings, monkeypatch, caplog):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "mechanics_list": "1/hour"}
    monkeypatch.setattr(caches["limits"], "add", raise_error)
    with caplog.at_level(logging.WARNING, logger="core.ratelimits"):
        assert all(ScopedRateThrottle().allow_request(anonymous_request(), view("list", SCOPES)) for _ in range(3))
    assert "mechanics_list" in caplog.text
