"""Exact, shared rate limits.

DRF's stock throttles keep a list of timestamps in the cache and read-modify-write it, so
concurrent requests can all read the same history and all pass. Here each (scope, caller,
window) is one counter incremented atomically by the cache (Redis INCR, or the locked file
cache), so 50 concurrent requests against a limit of 5 let exactly 5 through, in every process
that shares the cache. Windows are fixed and aligned to the epoch, like the original's
fixed-window limiter.

When the cache is unavailable the scoped limits fail open: the request is served, uncounted.
These limits protect capacity, not secrets, and refusing every list call because the counter
store is down would turn a cache outage into an API outage. (The login limits guard passwords
and fail closed instead: core/ratelimits.py.)
"""

import logging
import re
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from core.cache import CACHE_ERRORS

logger = logging.getLogger(__name__)

# Counters outlive their window a little, so an increment never lands on an expired key.
_EXPIRY_MARGIN = 60


_PERIODS = {
    **dict.fromkeys(("s", "sec", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86400),
}
_RATE = re.compile(r"([0-9]+)/([a-z]+)")


def parse_rate(rate: str) -> tuple[int, int]:
    """'15/hour' -> (15, 3600). Periods: s, m, h, d, or sec/min/hour/day spelled out.

    Strict on purpose: the login rate also goes to django-ratelimit, which reads only the
    period's first letter and falls back to per-second on anything else, so a lax parser here
    would let '5/month' mean 5 a minute and ' 10/minute' crash every login.
    """
    match = _RATE.fullmatch(rate) if isinstance(rate, str) else None
    if match is None or match[2] not in _PERIODS:
        raise ValueError(f"Invalid rate {rate!r}; expected e.g. '5/hour' or '10/minute'.")
    return int(match[1]), _PERIODS[match[2]]


def client_address(request) -> str:
    """The client's address, trusting X-Forwarded-For only through NUM_PROXIES proxies."""
    remote_addr = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    proxies = settings.NUM_PROXIES
    if forwarded and proxies > 0:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return remote_addr


def caller_identity(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        kind = "staff" if getattr(user, "_meta", None) and user._meta.label == "auth.User" else "customer"
        return f"{kind}:{user.pk}"
    return f"ip:{client_address(request)}"


def hit(key: str, limit: int, duration: int, now: float) -> tuple[bool, float]:
    """Count one request against `key`. Returns (allowed, seconds until the window resets)."""
    window = int(now // duration)
    reset_at = (window + 1) * duration
    counter_key = f"throttle:{key}:{duration}:{window}"
    cache.add(counter_key, 0, timeout=int(reset_at - now) + _EXPIRY_MARGIN)
    try:
        count = cache.incr(counter_key)
    except ValueError:  # evicted between add() and incr(): count this request as the first
        cache.add(counter_key, 1, timeout=int(reset_at - now) + _EXPIRY_MARGIN)
        count = 1
    return count <= limit, reset_at - now


class ScopedRateThrottle(BaseThrottle):
    """Applies the rate of `view.throttle_scopes[view.action]`, if the action has a scope."""

    timer = staticmethod(time.time)

    def allow_request(self, request, view) -> bool:
        if not settings.THROTTLING_ENABLED:
            return True
        scope = getattr(view, "throttle_scopes", {}).get(getattr(view, "action", None))
        if scope is None:
            return True
        limit, duration = parse_rate(settings.THROTTLE_RATES[scope])
        try:
            allowed, self._wait = hit(f"{scope}:{caller_identity(request)}", limit, duration, self.timer())
        except CACHE_ERRORS as exc:
            logger.warning("cache unavailable; rate limit %s not applied: %r", scope, exc)
            return True
        return allowed

    def wait(self) -> float:
        return self._wait
