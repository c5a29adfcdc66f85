"""Rate limits as DRF throttle classes, exact across processes.

DRF's stock `SimpleRateThrottle` keeps a list of timestamps per caller and writes it back after
reading it, so concurrent requests can all read the same history and all pass. These throttles
keep one counter per (scope, caller, window) and increment it atomically in the shared cache
(Redis INCR, or diskcache's transaction), so 50 concurrent requests against a limit of 5 let
exactly 5 through, in every process and server that shares the cache. Windows are fixed and
aligned to the clock, like the original service's limiter: `5/hour` allows 5 from 10:00:00 to
10:59:59, and `Retry-After` says when the window ends.

A view names the scope of each action it limits:

    throttle_classes = [ScopedRateThrottle]
    throttle_scopes = {"list": "tickets_list"}

When the cache is unavailable these limits fail open (the request is served, uncounted): they
protect capacity, and a cache outage should not become an API outage. The sign-in limits guard
passwords and fail closed instead (core/ratelimits.py).
"""

import ipaddress
import logging

from django.conf import settings
from django.core.cache import caches
from rest_framework import throttling

logger = logging.getLogger(__name__)

# Counters outlive their window a little, so an increment never lands on an expired key.
_EXPIRY_MARGIN = 60


def rate_limit_cache():
    return caches["limits"]


def count_in_window(key: str, limit: int, period: int, now: float) -> tuple[bool, float]:
    """Count one request against `key` in the current fixed window of `period` seconds.
    Returns (allowed, seconds until the window ends)."""
    cache = rate_limit_cache()
    window = int(now // period)
    ends_at = (window + 1) * period
    counter = f"throttle:{key}:{period}:{window}"
    timeout = int(ends_at - now) + _EXPIRY_MARGIN
    cache.add(counter, 0, timeout=timeout)
    try:
        count = cache.incr(counter)
    except ValueError:  # evicted between add() and incr(): this request is the first
        cache.add(counter, 1, timeout=timeout)
        count = 1
    return count <= limit, ends_at - now


def client_address(request) -> str:
    """The client's address as the API's throttles see it (NUM_PROXIES, X-Forwarded-For), an
    IPv6 address as its /64 network."""
    address = throttling.BaseThrottle().get_ident(request) or ""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is 192.0.2.1
        return str(parsed.ipv4_mapped)
    return str(ipaddress.IPv6Network((parsed, 64), strict=False))


def caller_key(request, view) -> str:
    """Who is counted: the signed-in customer or staff user, else the client address."""
    user = request.user
    if user is not None and user.is_authenticated:
        return f"{user._meta.model_name}:{user.pk}"
    return f"address:{client_address(request)}"


class ScopedRateThrottle(throttling.ScopedRateThrottle):
    """DRF's ScopedRateThrottle, with the scope chosen per action (`view.throttle_scopes`) and
    an atomic fixed-window counter instead of the request history."""

    def allow_request(self, request, view) -> bool:
        if not settings.THROTTLING_ENABLED:
            return True
        self.scope = self.get_scope(request, view)
        if self.scope is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.get_rate())
        try:
            allowed, self.seconds_left = count_in_window(
                f"{self.scope}:{self.get_caller_key(request, view)}", self.num_requests, self.duration, self.timer()
            )
        except Exception as exc:  # noqa: BLE001 - any failure of the counter store: fail open
            logger.warning("rate-limit store unavailable; %s not counted: %r", self.scope, exc)
            return True
        return allowed

    def get_scope(self, request, view) -> str | None:
        return getattr(view, "throttle_scopes", {}).get(getattr(view, "action", None))

    def get_caller_key(self, request, view) -> str:
        return caller_key(request, view)

    def get_rate(self) -> str:
        # Read at request time (DRF binds its rates at import), so settings can change them.
        return settings.THROTTLE_RATES[self.scope]

    def wait(self) -> float:
        return self.seconds_left
